"""Start and stop real daphne processes for a run, and read their RSS and CPU."""

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.request import urlopen

try:
    import psutil
except ImportError:  # the CI smoke run checks loss only: no CPU or RSS figures there
    psutil = None

ROOT = Path(__file__).resolve().parent.parent
# Where results and server logs go (the CI smoke run writes to its own folder).
RESULTS = Path(os.environ.get("BENCH_RESULTS") or ROOT / "bench" / "results")
# Twisted listens with a backlog of 50 unless told otherwise; a reconnect storm of
# 1,000 clients overflows that (see docs/deployment.md).
BACKLOG = 4096


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
    )


@dataclass
class Servers:
    env: dict
    count: int = 1
    processes: list[subprocess.Popen] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    logs: list = field(default_factory=list)

    def __enter__(self) -> "Servers":
        for i in range(self.count):
            port = free_port()
            RESULTS.mkdir(parents=True, exist_ok=True)
            log = open(RESULTS / f"daphne-{i}.log", "w")
            self.logs.append(log)
            self.processes.append(
                subprocess.Popen(
                    # -v 0: no access log on stdout (a proxy in front logs requests in production)
                    [
                        sys.executable,
                        "-m",
                        "daphne",
                        "-v",
                        "0",
                        "-e",
                        f"tcp:port={port}:interface=127.0.0.1:backlog={BACKLOG}",
                        # daphne drops a handshake the application has not accepted in
                        # 5 s; during a reconnect storm the accepts queue up longer.
                        "--websocket_connect_timeout",
                        "30",
                        "bench.asgi:application",
                    ],
                    cwd=ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            self.ports.append(port)
        for port in self.ports:
            for _ in range(200):
                try:
                    with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                        break
                except OSError:
                    time.sleep(0.05)
            else:
                raise RuntimeError(f"server on {port} did not start")
        self.cpu_start = [self._cpu(p) for p in self.processes]
        self.t_start = time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        for p in self.processes:
            p.terminate()
        for p in self.processes:
            try:  # thousands of open sockets take a while to say goodbye to
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)
        for log in self.logs:
            log.close()

    @staticmethod
    def _cpu(process: subprocess.Popen) -> float:
        if psutil is None:
            return 0.0
        times = psutil.Process(process.pid).cpu_times()
        return times.user + times.system

    def mark(self) -> None:
        """Start measuring CPU from now (after setup and connecting)."""
        self.cpu_start = [self._cpu(p) for p in self.processes]
        self.t_start = time.monotonic()

    def figures(self) -> dict:
        if psutil is None:
            return {"server_cpu_percent": [], "server_rss_mb": []}
        elapsed = time.monotonic() - self.t_start
        cpu = [self._cpu(p) - c for p, c in zip(self.processes, self.cpu_start, strict=True)]
        rss = [psutil.Process(p.pid).memory_info().rss for p in self.processes]
        return {
            "server_cpu_percent": [round(100 * c / elapsed, 1) for c in cpu],
            "server_rss_mb": [round(r / 2**20, 1) for r in rss],
        }

    def urls(self) -> list[str]:
        return [f"127.0.0.1:{port}" for port in self.ports]


def environment(config: str, database_url: str) -> dict:
    """The server's environment for a configuration: embedded or postgres+redis."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DATABASE_URL=database_url,
        INTAKE_RATE_LIMIT="100000",
        # Load generators send faster than people type: lift the per-socket limits.
        CHAT_RATE_BURST="100000",
        CHAT_RATE_PER_SECOND="100000",
        LOG_LEVEL="WARNING",
        # Thousands of residents take a while to connect: none of them counts as
        # gone (and is closed as abandoned) meanwhile.
        RESIDENT_GONE_GRACE_SECONDS="3600",
        DJANGO_SETTINGS_MODULE="chatservice.settings",
    )
    if config.startswith("redis"):
        env["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
        env["CHANNEL_LAYER_BACKEND"] = "core" if config == "redis-core" else "pubsub"
    return env
