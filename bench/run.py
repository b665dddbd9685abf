"""Benchmark scenarios. Each starts its own servers on a fresh database, drives
them over real sockets and writes bench/results/<scenario>.json.

    python -m bench.run curve|saturation|scaleout|realistic|storm|http|surge|idle|all [options]

Figures are reported, never asserted: see docs/benchmarks.md."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from bench.servers import RESULTS, ROOT, Servers, environment, manage, psutil

PG_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/chatservice_bench"
)


def fresh_database(config: str) -> str:
    if "django.db" in sys.modules:  # a second run in this process: let go of the old database
        from django.db import connections

        connections.close_all()
    if config == "embedded":
        path = RESULTS / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    name = PG_URL.rsplit("/", 1)[1]
    admin = PG_URL.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(
        [
            "psql",
            admin,
            "-q",
            "-c",
            f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
            "-c",
            f"CREATE DATABASE {name}",
        ],
        check=True,
    )
    redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    subprocess.run(["redis-cli", "-u", redis, "FLUSHDB"], check=True, capture_output=True)
    return PG_URL


def prepare(config: str) -> dict:
    """A fresh database for `config`, migrated. The runner process then uses the
    same database (Django is set up on the first import of bench.fixtures, so a
    run does one configuration: `all` runs each scenario in its own process)."""
    env = environment(config, fresh_database(config))
    manage(env, "migrate", "--noinput", "-v0")
    # The runner talks to the same database for fixtures and the final check.
    os.environ.update(
        {
            k: v
            for k, v in env.items()
            if k in ("DATABASE_URL", "REDIS_URL", "CHANNEL_LAYER_BACKEND")
        }
    )
    if "REDIS_URL" not in env:
        os.environ.pop("REDIS_URL", None)
    return env


def machine() -> dict:
    if psutil is None:
        return {"cpus": os.cpu_count(), "memory_gb": None, "python": platform.python_version()}
    return {
        "cpus": psutil.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def save(name: str, data: dict) -> None:
    data["machine"] = machine()
    data["when"] = time.strftime("%Y-%m-%d %H:%M")
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2))
    print(json.dumps(data, indent=2))


def in_thread(name: str, *args):
    """A fixture function of bench.fixtures, run in a worker thread that lets go of
    its database connection afterwards (a scenario may drop the database and
    create it anew; a kept connection would still point at the old one)."""
    from django.db import connections

    from bench import fixtures

    try:
        return getattr(fixtures, name)(*args)
    finally:
        connections.close_all()


def database_check(load) -> dict:
    """Every message the generator saw acked is in the database exactly once."""
    from django.db import connections

    from bench import fixtures

    try:
        stored = fixtures.stored_client_ids([p.conversation for p in load.pairs])
    finally:
        connections.close_all()
    stored_ids = [c for ids in stored.values() for c in ids]
    acked = set(load.ledger.acked)
    return {
        "stored": len(stored_ids),
        "acked_but_not_stored": len(acked - set(stored_ids)),
        "stored_twice": len(stored_ids) - len(set(stored_ids)),
    }


async def full_stack(servers: Servers, rows: list[dict], run) -> dict:
    from bench.fixtures import cookie_name
    from bench.load import ChatLoad

    load = ChatLoad(rows, servers.urls(), servers.urls(), cookie_name())
    await load.connect()
    servers.mark()
    elapsed = await run(load)
    await load.drain()
    figures = {**load.ledger.summary(elapsed), **servers.figures(), "seconds": round(elapsed, 1)}
    figures["database"] = await asyncio.to_thread(database_check, load)
    await load.close()
    return figures


# --- scenarios -------------------------------------------------------------------------
async def saturation(config: str, processes: int, conversations: int, seconds: float) -> dict:
    env = prepare(config)
    from bench import fixtures
    from bench.load import echo_baseline, relay_baseline

    rows = await asyncio.to_thread(fixtures.create, conversations)
    with Servers(env, processes) as servers:
        result = {"config": config, "processes": processes, "conversations": conversations}
        servers.mark()
        result["echo"] = {
            **await echo_baseline(servers.urls()[0], conversations, seconds),
            **servers.figures(),
        }
        servers.mark()
        result["relay"] = {
            **await relay_baseline(servers.urls(), conversations, seconds),
            **servers.figures(),
        }
        result["full"] = await full_stack(servers, rows, lambda load: load.saturate(seconds))
        # The relay again after the full stack: on a shared machine the load of
        # other processes changes within a run; the ratio uses both relay runs.
        servers.mark()
        result["relay_after"] = {
            **await relay_baseline(servers.urls(), conversations, seconds),
            **servers.figures(),
        }
    # Throughput is what reached the other party within the run: the sender's ack
    # does not wait for delivery, so acks can run ahead of a lagging delivery.
    relay = (
        result["relay"]["delivered_per_second"] + result["relay_after"]["delivered_per_second"]
    ) / 2
    full = result["full"]["delivered_per_second"]
    result["relay_delivered_per_second_mean"] = round(relay, 1)
    result["full_vs_relay_throughput"] = round(full / relay, 2) if relay else None
    acked = result["full"]["messages_per_second"]
    result["full_acked_vs_relay"] = round(acked / relay, 2) if relay else None
    result["full_minus_relay_p50_ms"] = round(
        result["full"]["send_to_delivery"]["p50_ms"]
        - result["relay"]["send_to_delivery"]["p50_ms"],
        2,
    )
    return result


async def curve(config: str, levels: list[int], seconds: float) -> dict:
    """Delivery latency against load: closed-loop senders 1…N, each stack."""
    env = prepare(config)
    from bench import fixtures
    from bench.fixtures import cookie_name
    from bench.load import ChatLoad, echo_baseline, relay_baseline

    rows = await asyncio.to_thread(fixtures.create, max(levels))
    points: dict[str, list] = {"echo": [], "relay": [], "full": []}
    with Servers(env, 1) as servers:
        load = ChatLoad(rows, servers.urls(), servers.urls(), cookie_name())
        await load.connect()
        all_pairs = load.pairs
        for level in levels:
            points["echo"].append(
                {"senders": level, **await echo_baseline(servers.urls()[0], level, seconds)}
            )
            points["relay"].append(
                {"senders": level, **await relay_baseline(servers.urls(), level, seconds)}
            )
            load.ledger = type(load.ledger)()
            load.pairs = all_pairs[:level]
            elapsed = await load.saturate(seconds)
            await load.drain()
            points["full"].append({"senders": level, **load.ledger.summary(elapsed)})
        load.pairs = all_pairs
        await load.close()
    return {"config": config, "seconds_per_point": seconds, "points": points}


async def realistic(
    config: str, conversations: int, seconds: float, interval: float, processes: int = 1
) -> dict:
    env = prepare(config)
    from bench import fixtures

    rows = await asyncio.to_thread(fixtures.create, conversations)
    with Servers(env, processes) as servers:
        full = await full_stack(servers, rows, lambda load: load.steady(seconds, interval))
    return {
        "config": config,
        "conversations": conversations,
        "interval_seconds": interval,
        "processes": processes,
        "full": full,
    }


async def storm(config: str, conversations: int) -> dict:
    env = prepare(config)
    from bench import fixtures
    from bench.fixtures import cookie_name
    from bench.load import ChatLoad

    rows = await asyncio.to_thread(fixtures.create, conversations)
    with Servers(env, 1) as servers:
        load = ChatLoad(rows, servers.urls(), servers.urls(), cookie_name())
        await load.connect()
        servers.mark()
        result = await load.reconnect_storm()
        await load.drain()
        result.update(servers.figures())
        summary = load.ledger.summary(1)
        result["lost"] = summary["lost"]
        result["duplicated"] = summary["duplicated"]
        await load.close()
    return {"config": config, "conversations": conversations, **result}


SURGE_LEVELS = [100, 500, 2000]
SURGE_PROFESSIONALS = 20
SURGE_MAX_CLAIMS = 100


async def surge(config: str, levels: list[int], professionals: int) -> dict:
    """A long queue with live positions while professionals claim as fast as
    they can: one fresh server and database per queue length."""
    from bench.surge import Surge

    points = []
    for waiting in levels:
        env = await asyncio.to_thread(prepare, config)
        # Django is set up (on this database) by the first import of bench.fixtures.
        from bench.fixtures import cookie_name

        data = await asyncio.to_thread(in_thread, "create_queue", waiting, professionals)
        with Servers(env, 1) as servers:
            load = Surge(
                data, servers.urls()[0], cookie_name(), min(waiting // 2, SURGE_MAX_CLAIMS)
            )
            await load.connect()
            servers.mark()
            figures = await load.run()
            figures.update(servers.figures())
            await load.close()
        print(json.dumps(figures), flush=True)
        points.append(figures)
    return {"config": config, "professionals": professionals, "points": points}


async def idle(config: str, residents: int) -> dict:
    """Memory per idle socket: `residents` resident sockets that say nothing after
    their sync, against the same number of bare echo sockets on a fresh process."""
    env = prepare(config)
    from bench import fixtures
    from bench.fixtures import cookie_name
    from bench.surge import idle_sockets

    rows = await asyncio.to_thread(fixtures.create, residents + 20)
    cookie = cookie_name()
    result: dict = {"config": config, "sockets": residents}
    stacks = {
        "full": lambda host, rows: [
            (f"ws://{host}/ws/v1/resident/", f"{cookie}={r['resident']}") for r in rows
        ],
        "echo": lambda host, rows: [(f"ws://{host}/bench/echo/", None)] * len(rows),
    }
    for stack, targets in stacks.items():
        with Servers(env, 1) as servers:
            host = servers.urls()[0]
            # Warm up first: code loaded on the first sockets is not per-socket memory.
            warm = await idle_sockets(host, targets(host, rows[:20]))
            await asyncio.sleep(2)
            before = servers.figures()["server_rss_mb"][0]
            start = time.perf_counter()
            sockets = await idle_sockets(host, targets(host, rows[20:]))
            connected = time.perf_counter() - start
            await asyncio.sleep(5)  # connection bookkeeping settles
            after = servers.figures()["server_rss_mb"][0]
            for ws in warm + sockets:
                await ws.close()
        result[stack] = {
            "rss_before_mb": before,
            "rss_after_mb": after,
            "kb_per_socket": round((after - before) * 1024 / residents, 1),
            "connect_seconds": round(connected, 1),
        }
    return result


async def smoke(config: str) -> dict:
    """A few seconds of the harness for CI: the full stack under saturation and a
    small surge, checked for loss only (never timing): tests/bench/test_smoke.py."""
    from bench.surge import Surge

    env = await asyncio.to_thread(prepare, config)
    from bench.fixtures import cookie_name  # sets Django up on the database just made

    rows = await asyncio.to_thread(in_thread, "create", 5)
    with Servers(env, 1) as servers:
        full = await full_stack(servers, rows, lambda load: load.saturate(2))
    env = await asyncio.to_thread(prepare, config)
    data = await asyncio.to_thread(in_thread, "create_queue", 30, 3)
    with Servers(env, 1) as servers:
        load = Surge(data, servers.urls()[0], cookie_name(), 10)
        await load.connect()
        surged = await load.run()
        await load.close()
    return {"config": config, "full": full, "surge": surged}


def http_pages(config: str, requests: int) -> dict:
    env = prepare(config)
    from bench.http import measure_pages

    with Servers(env, 1) as servers:
        return {"config": config, **measure_pages(servers.urls()[0], requests)}


STANDARD = [
    ("curve", "embedded", []),
    ("saturation", "embedded", []),
    ("saturation", "redis-pubsub", []),
    ("saturation", "redis-core", []),
    ("scaleout", "redis-pubsub", []),
    ("realistic", "redis-pubsub", []),
    ("realistic", "redis-pubsub", ["--processes", "2"]),
    ("storm", "redis-pubsub", []),
    ("http", "embedded", []),
    ("surge", "embedded", []),
    ("surge", "redis-pubsub", []),
    ("idle", "redis-pubsub", []),
]


def run_one(
    scenario: str, config: str, conversations: int | None, seconds: float | None, processes: int
) -> None:
    if scenario == "curve":
        save(f"curve-{config}", asyncio.run(curve(config, [1, 5, 20, 50, 100, 200], seconds or 5)))
    elif scenario == "saturation":
        save(
            f"saturation-{config}",
            asyncio.run(saturation(config, processes, conversations or 100, seconds or 15)),
        )
    elif scenario == "scaleout":
        one = asyncio.run(saturation(config, 1, conversations or 100, seconds or 15))
        two = asyncio.run(saturation(config, 2, conversations or 100, seconds or 15))
        ratio = two["full"]["messages_per_second"] / one["full"]["messages_per_second"]
        save(
            f"scaleout-{config}",
            {"config": config, "one": one, "two": two, "two_vs_one": round(ratio, 2)},
        )
    elif scenario == "realistic":
        suffix = "" if processes == 1 else f"-{processes}"
        save(
            f"realistic-{config}{suffix}",
            asyncio.run(realistic(config, conversations or 1000, seconds or 120, 10, processes)),
        )
    elif scenario == "storm":
        save(f"storm-{config}", asyncio.run(storm(config, conversations or 1000)))
    elif scenario == "http":
        save(f"http-{config}", http_pages(config, 200))
    elif scenario == "surge":
        levels = [conversations] if conversations else SURGE_LEVELS
        if os.environ.get("BENCH_SURGE_LEVELS"):  # e.g. "100,500" for a shorter run
            levels = [int(n) for n in os.environ["BENCH_SURGE_LEVELS"].split(",")]
        save(f"surge-{config}", asyncio.run(surge(config, levels, SURGE_PROFESSIONALS)))
    elif scenario == "smoke":
        save(f"smoke-{config}", asyncio.run(smoke(config)))
    elif scenario == "idle":
        save(f"idle-{config}", asyncio.run(idle(config, conversations or 5000)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "scenario",
        choices=[
            "curve",
            "saturation",
            "scaleout",
            "realistic",
            "storm",
            "http",
            "surge",
            "idle",
            "smoke",
            "all",
        ],
    )
    parser.add_argument(
        "--config", default="embedded", choices=["embedded", "redis-pubsub", "redis-core"]
    )
    parser.add_argument("--conversations", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.scenario != "all":
        run_one(args.scenario, args.config, args.conversations, args.seconds, args.processes)
        return
    # Django is set up once per process, on one database: each run gets its own process.
    for scenario, config, extra in STANDARD:
        print(f"== {scenario} ({config}) {' '.join(extra)}", flush=True)
        done = subprocess.run(
            [sys.executable, "-m", "bench.run", scenario, "--config", config, *extra],
            cwd=ROOT,
            check=False,
        )
        if done.returncode:  # a configuration that breaks under load is a finding, not a stop
            failed = {"config": config, "failed": True, "returncode": done.returncode}
            failed.update(when=time.strftime("%Y-%m-%d %H:%M"), machine=machine())
            (RESULTS / f"{scenario}-{config}.json").write_text(json.dumps(failed, indent=2))


if __name__ == "__main__":
    main()
