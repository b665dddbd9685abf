"""Prometheus metrics at /metrics (docs/deployment.md, "Metrics").

Two kinds of figures, because several server processes sit behind the load
balancer and a scrape through it reaches one of them at random:

- service-wide figures, read from the database or Redis at scrape time
  (`ServiceCollector`): queue length and longest wait per service, messages
  stored, claim latency, connected sockets, Celery task failures. Every
  process answers the same; aggregate them with max(), not sum().
- this process's own figures: open sockets by kind, publish failures, and the
  standard process_* figures. Scrape every replica for these (Prometheus DNS
  service discovery on the compose service name) and sum() them.

None of them carries personal data: labels are service identifiers, socket
kinds and task names.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, F, Max, Min, Q, Sum
from django.http import HttpResponse
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

logger = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)

OPEN_SOCKETS = Gauge(
    "chatservice_process_open_sockets",
    "WebSockets open on this server process, by kind.",
    ["kind"],
    registry=REGISTRY,
)
PUBLISH_FAILURES = Counter(
    "chatservice_process_publish_failures",
    "Events this process failed to publish to the channel layer (clients resync from the database).",
    registry=REGISTRY,
)
SHUTTING_DOWN = Gauge(
    "chatservice_process_shutting_down",
    "1 while this process is draining its sockets after SIGTERM.",
    registry=REGISTRY,
)
# Without Redis (the embedded setup) Celery runs in process and counts here.
_LOCAL_TASK_FAILURES = Counter(
    "chatservice_process_celery_task_failures",
    "Celery task failures seen in this process (embedded setup only).",
    ["task"],
    registry=REGISTRY,
)

# Claim latency buckets (seconds from the resident's start to a professional's claim).
CLAIM_BUCKETS = (30, 60, 120, 300, 600, 900, 1800, 3600)
TASK_FAILURES_KEY = "metrics:celery_task_failures"


def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def _failures_key() -> str:
    return f"{settings.CHANNEL_LAYER_PREFIX}:{TASK_FAILURES_KEY}"


def count_task_failure(sender=None, **kwargs) -> None:
    """celery.signals.task_failure: counted in Redis, so that whichever web process
    is scraped reports the failures of every worker."""
    name = getattr(sender, "name", None) or "unknown"
    if not settings.REDIS_URL:
        _LOCAL_TASK_FAILURES.labels(task=name).inc()
        return
    try:
        _redis().hincrby(_failures_key(), name, 1)
    except Exception:  # counting must never break the worker
        logger.warning("could not count a failure of task %s", name)


class ServiceCollector:
    """Service-wide figures, read at scrape time (a few indexed queries)."""

    def describe(self):
        # Nothing at registration: describing would otherwise query the database
        # when this module is imported.
        return []

    def collect(self):
        from conversations.connections import stale_before
        from conversations.models import (
            Conversation,
            ConversationStatus,
            Message,
            ResidentConnection,
        )
        from staff.models import StaffConnection

        now = timezone.now()
        queue = GaugeMetricFamily(
            "chatservice_queue_length", "Residents waiting, per service.", labels=["service"]
        )
        wait = GaugeMetricFamily(
            "chatservice_queue_longest_wait_seconds",
            "How long the longest-waiting resident has waited, per service.",
            labels=["service"],
        )
        rows = (
            Conversation.objects.filter(status=ConversationStatus.WAITING)
            .values("service__slug")
            .annotate(n=Count("id"), oldest=Min("created_at"))
        )
        for row in rows:
            queue.add_metric([row["service__slug"]], row["n"])
            wait.add_metric([row["service__slug"]], (now - row["oldest"]).total_seconds())
        yield queue
        yield wait

        # Message ids only grow: the highest is the number of messages ever stored
        # (also after retention purges), so rate() of it is messages per second.
        highest = Message.objects.aggregate(m=Max("id"))["m"] or 0
        yield CounterMetricFamily(
            "chatservice_messages_stored", "Messages stored, all conversations.", value=highest
        )

        latency = F("claimed_at") - F("created_at")
        claimed = Conversation.objects.filter(claimed_at__isnull=False)
        figures = claimed.aggregate(
            count=Count("id"),
            total=Sum(latency),
            **{
                f"le_{b}": Count(
                    "id", filter=Q(claimed_at__lte=F("created_at") + timedelta(seconds=b))
                )
                for b in CLAIM_BUCKETS
            },
        )
        total = figures["total"]
        total_seconds = total.total_seconds() if isinstance(total, timedelta) else 0.0
        histogram = HistogramMetricFamily(
            "chatservice_claim_latency_seconds",
            "From the resident's start to a professional's claim (conversations still stored).",
            buckets=[(str(float(b)), figures[f"le_{b}"]) for b in CLAIM_BUCKETS]
            + [("+Inf", figures["count"])],
            sum_value=total_seconds,
        )
        yield histogram

        fresh = stale_before(now)
        sockets = GaugeMetricFamily(
            "chatservice_connected_sockets",
            "Open sockets in all server processes (fresh connection rows), by kind.",
            labels=["kind"],
        )
        sockets.add_metric(
            ["resident"], ResidentConnection.objects.filter(last_seen__gte=fresh).count()
        )
        sockets.add_metric(["staff"], StaffConnection.objects.filter(last_seen__gte=fresh).count())
        yield sockets

        if settings.REDIS_URL:
            failures = CounterMetricFamily(
                "chatservice_celery_task_failures",
                "Celery task failures, all workers.",
                labels=["task"],
            )
            try:
                counts = _redis().hgetall(_failures_key())
            except Exception:
                counts = {}
            for name, value in sorted(counts.items()):
                failures.add_metric([name.decode()], int(value))
            yield failures


REGISTRY.register(ServiceCollector())


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header[len("Bearer ") :].encode(), token.encode())
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_NETWORKS
    )


def metrics(request):
    """The figures in Prometheus' text format; 403 unless the caller is allowed
    (METRICS_ALLOWED_NETWORKS, or `Authorization: Bearer <METRICS_TOKEN>`)."""
    if not _allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    response = HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
