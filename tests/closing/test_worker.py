"""The transcript task in a real Celery worker process, from the Redis broker,
with PostgreSQL, delivering to a real SMTP server. Needs Redis and PostgreSQL
(REQUIRE_SERVICES=1 makes their absence a failure)."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from closing import actions
from closing.models import TranscriptRequest, TranscriptState
from closing.tokens import make_transcript_token
from tests.closing.conftest import HETU, NOTE_TEXT, served_conversation
from tests.conftest import redis_url

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def wait_for(check, *, timeout: float = 30.0, what: str):
    """Poll until `check()` is truthy (a deadline, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def worker(smtp_server, tmp_path):
    """`celery worker` in its own process, on the test database, its own queue."""
    from chatservice.celery import app

    controller, sink = smtp_server
    queue = f"closing-test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": redis_url(),
        "CELERY_BROKER_URL": redis_url(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": controller.hostname,
        "EMAIL_PORT": str(controller.port),
        "DB_CONN_MAX_AGE": "0",
    }
    if db.get("PASSWORD"):
        env["DATABASE_URL"] = env["DATABASE_URL"].replace(
            f"{db['USER']}@", f"{db['USER']}:{db['PASSWORD']}@"
        )
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "chatservice",
            "worker",
            "--pool=solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            queue,
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    before = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "task_default_queue")}
    app.conf.update(task_always_eager=False, broker_url=redis_url(), task_default_queue=queue)
    try:
        wait_for(
            lambda: "ready" in (tmp_path / "worker.log").read_text() or process.poll() is not None,
            what="the worker to start",
        )
        assert process.poll() is None, (tmp_path / "worker.log").read_text()
        yield sink, tmp_path / "worker.log"
    finally:
        app.conf.update(before)
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_a_real_worker_sends_the_transcript(worker):
    sink, log = worker
    conversation = served_conversation()
    request = actions.request_transcript(
        conversation_id=conversation.pk,
        token=make_transcript_token(conversation.pk),
        email="resident@example.net",
    )  # committed (transaction=True): queued on commit to Redis

    message = wait_for(lambda: sink.messages and sink.messages[0], what="the e-mail")
    text = message.get_body(("plain",)).get_content()
    assert "Kan jag få vaccin?" in text
    assert NOTE_TEXT not in text and HETU not in text
    request = wait_for(
        lambda: TranscriptRequest.objects.filter(pk=request.pk, state=TranscriptState.SENT).first(),
        what="the request to be marked sent",
    )
    assert request.recipient == ""
    assert "resident@example.net" not in log.read_text()  # not in the worker's log either
