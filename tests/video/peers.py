"""Real WebRTC peers for the tests (aiortc): a synthetic camera, a data channel,
and helpers to wait for the connection and the first frame."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    VideoStreamTrack,
)

TURNSERVER = shutil.which("turnserver") or "/usr/bin/turnserver"


def peer(ice_servers: list[dict] | None = None, *, relay_only: bool = False) -> RTCPeerConnection:
    """Always an explicit configuration: with none, aiortc adds a public STUN server."""
    servers = [
        RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
        for s in ice_servers or []
    ]
    policy = RTCIceTransportPolicy.RELAY if relay_only else RTCIceTransportPolicy.ALL
    return RTCPeerConnection(RTCConfiguration(iceServers=servers, iceTransportPolicy=policy))


def camera() -> VideoStreamTrack:
    """A synthetic video track (green frames), like a fake camera."""
    return VideoStreamTrack()


async def connected(pc: RTCPeerConnection, timeout: float = 20) -> None:
    async def wait() -> None:
        while pc.connectionState != "connected":
            if pc.connectionState in ("failed", "closed"):
                raise AssertionError(f"connection {pc.connectionState}")
            await asyncio.sleep(0.05)

    await asyncio.wait_for(wait(), timeout)


def settle(future: asyncio.Future, value) -> None:
    """Resolve `future` once; later events are ignored."""
    if not future.done():
        future.set_result(value)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def coturn(secret: str, workdir: Path):
    """Debian's coturn on loopback with the TURN REST scheme (`use-auth-secret`)."""
    port = free_port()
    low = 49160 + (port % 400) * 10
    log = workdir / "turnserver.log"
    process = subprocess.Popen(
        [
            TURNSERVER,
            "-n",
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            f"--listening-port={port}",
            f"--min-port={low}",
            f"--max-port={low + 9}",
            "--use-auth-secret",
            f"--static-auth-secret={secret}",
            "--realm=chatservice.test",
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--allow-loopback-peers",
            "--fingerprint",
            f"--log-file={log}",
            "--simple-log",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while not log.exists() or "listener" not in log.read_text(errors="replace").lower():
            if process.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        yield port, log
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
