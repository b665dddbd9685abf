"""The benchmark harness still runs and the stack loses nothing under it: a few
seconds of `python -m bench.run smoke` against real daphne processes on
PostgreSQL + Redis. Checks loss, duplication and the database only; never
timing (docs/benchmarks.md has the figures)."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from django.conf import settings

from tests.conftest import redis_url

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _beside(url: str, path: str) -> str:
    """The same server as `url`, another database (the run drops and creates it)."""
    return urlunparse(urlparse(url)._replace(path=path))


def test_a_short_benchmark_run_loses_and_duplicates_nothing(tmp_path):
    db = settings.DATABASES["default"]
    database = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/x"
    env = {
        **os.environ,
        "BENCH_RESULTS": str(tmp_path),
        "BENCH_DATABASE_URL": _beside(database, "/chatservice_bench_smoke"),
        "BENCH_REDIS_URL": _beside(redis_url(), "/13"),
    }
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "smoke", "--config", "redis-pubsub"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((tmp_path / "smoke-redis-pubsub.json").read_text())

    full = result["full"]
    assert full["messages"] > 0
    assert (full["unacked"], full["lost"], full["duplicated"]) == (0, 0, 0)
    assert full["database"] == {
        "stored": full["messages"],
        "acked_but_not_stored": 0,
        "stored_twice": 0,
    }

    surge = result["surge"]
    assert (surge["claims"], surge["refused_claims"]) == (10, 0)
    # Every resident still waiting ended up shown their final place.
    assert surge["settled_seconds_after_last_claim"] is not None
    assert surge["position_frames"] > 0
