"""Liveness and readiness probes for the operator (load balancer, orchestrator)."""

import asyncio
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse

from chatservice import lifecycle
from conversations import outages

CHECK_TIMEOUT_SECONDS = 2.0
# The broker's outage, logged once when it starts and once when it ends.
celery_broker = outages.Outage("celery broker")


def _outage(name: str) -> outages.Outage:
    return celery_broker if name == "celery_broker" else getattr(outages, name)


async def healthz(request):
    """The process is up and answering."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


async def _check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    channel = await layer.new_channel()
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "readyz.ping", "token": token})
    message = await layer.receive(channel)
    if message.get("token") != token:
        raise RuntimeError("channel layer returned a different message")


def _broker_connection():
    from chatservice.celery import app

    return app.connection_for_write()


def _check_celery_broker() -> None:
    """The broker that actions queue tasks on (transcripts, sweeps) takes a connection."""
    with _broker_connection() as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)


async def readyz(request):
    """The database, the channel layer and the Celery broker answer, and the process
    is not shutting down; 503 names what is wrong otherwise."""
    if lifecycle.shutting_down():
        # SIGTERM: the load balancer must stop sending new connections here.
        response = JsonResponse({"status": "shutting_down", "checks": {}}, status=503)
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
    checks = {
        "database": sync_to_async(_check_database, thread_sensitive=True)(),
        "channel_layer": _check_channel_layer(),
        # Not in the database thread: a broker that drops packets must not hold it up.
        "celery_broker": sync_to_async(_check_celery_broker, thread_sensitive=False)(),
    }
    results = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check, CHECK_TIMEOUT_SECONDS)
            results[name] = "ok"
            _outage(name).recovered()
        except Exception as exc:  # any failure means "not ready"; say which part
            # Probed every few seconds: the outage is logged once (conversations.outages
            # .database / .channel_layer), not per probe.
            _outage(name).failed(exc)
            results[name] = "unavailable"
    ready = all(value == "ok" for value in results.values())
    response = JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": results},
        status=200 if ready else 503,
    )
    # The outage is logged above, once; not a "Service Unavailable" line per probe.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
