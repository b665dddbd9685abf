"""Load for the queue surge and the idle-socket memory scenarios.

Surge: N residents wait in one service's queue with their sockets open (live
positions); P professionals on their dashboards claim from the head of the
queue as fast as their answers come back. Measured at the clients: the claim's
latency (claim sent → its `conversation.changed`), every `queue.position`
frame each resident got, and how long after the claims every resident still
waiting shows their final place."""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque

import websockets

from bench.load import Ledger, in_batches, open_socket, percentiles


class Surge:
    def __init__(self, data: dict, host: str, cookie: str, claims: int):
        self.data = data
        self.host = host
        self.cookie = cookie
        self.claims = claims
        self.ledger = Ledger()
        self.residents: list = []
        self.staff: list = []
        self.tasks: list[asyncio.Task] = []
        # resident index (queue order) -> [(time, position)]
        self.positions: dict[int, list[tuple[float, int]]] = {}
        self.last_position: dict[int, int] = {}
        self.claimed_at: list[float] = []
        self.claim_latency: list[float] = []
        self.refused = 0
        self.refusals: dict[str, int] = {}

    async def _resident(self, index: int, row: dict):
        ws = await open_socket(
            f"ws://{self.host}/ws/v1/resident/",
            f"{self.cookie}={row['resident']}",
            f"http://{self.host}",
            self.ledger,
        )
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello", hello
        self.last_position[index] = hello["conversation"]["position"]
        await ws.send(json.dumps({"type": "sync", "after_seq": 0}))
        return ws

    async def _staff(self, key: str):
        ws = await open_socket(
            f"ws://{self.host}/ws/v1/staff/",
            f"{self.cookie}={key}",
            f"http://{self.host}",
            self.ledger,
        )
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello", hello
        return ws

    async def connect(self) -> None:
        rows = self.data["residents"]
        self.residents = await in_batches(
            [lambda i=i, r=r: self._resident(i, r) for i, r in enumerate(rows)]
        )
        for index, ws in enumerate(self.residents):
            self.tasks.append(asyncio.create_task(self._read_resident(index, ws)))
        self.staff = await in_batches([lambda k=k: self._staff(k) for k in self.data["staff"]])
        await asyncio.sleep(2)  # connection announcements settle; positions are current
        for times in self.positions.values():
            times.clear()

    async def _read_resident(self, index: int, ws) -> None:
        try:
            async for raw in ws:
                frame = json.loads(raw)
                if frame["type"] == "queue.position":
                    now = time.perf_counter()
                    self.positions.setdefault(index, []).append((now, frame["position"]))
                    self.last_position[index] = frame["position"]
        except websockets.ConnectionClosed:
            pass

    async def run(self) -> dict:
        queue = deque(row["conversation"] for row in self.data["residents"][: self.claims])
        start = time.perf_counter()

        async def professional(ws) -> None:
            waiting: dict[int, asyncio.Future] = {}

            async def reader() -> None:
                try:
                    async for raw in ws:
                        frame = json.loads(raw)
                        if frame["type"] == "conversation.changed" and frame["change"] == "claimed":
                            future = waiting.pop(frame["conversation"]["id"], None)
                            if future and not future.done():
                                future.set_result(True)
                        elif frame["type"] == "error" and waiting:
                            self.refusals[frame["code"]] = self.refusals.get(frame["code"], 0) + 1
                            for future in waiting.values():
                                if not future.done():
                                    future.set_result(False)
                            waiting.clear()
                except websockets.ConnectionClosed:
                    pass

            task = asyncio.create_task(reader())
            while queue:
                conversation = queue.popleft()
                future = asyncio.get_running_loop().create_future()
                waiting[conversation] = future
                sent = time.perf_counter()
                await ws.send(
                    json.dumps({"type": "conversation.claim", "conversation": conversation})
                )
                if await asyncio.wait_for(future, 60):
                    done = time.perf_counter()
                    self.claim_latency.append(done - sent)
                    self.claimed_at.append(done)
                else:
                    self.refused += 1
            task.cancel()

        await asyncio.gather(*(professional(ws) for ws in self.staff))
        claims_done = time.perf_counter()
        settled = await self._settle(claims_done)
        return self._figures(start, claims_done, settled)

    async def _settle(self, since: float, limit: float = 60.0) -> float | None:
        """Seconds after the last claim until every resident still waiting shows
        their final place (None if not within `limit`)."""
        remaining = len(self.data["residents"]) - self.claims
        final = {self.claims + j: j + 1 for j in range(remaining)}
        while time.perf_counter() - since < limit:
            if all(self.last_position.get(i) == p for i, p in final.items()):
                last = max(
                    (times[-1][0] for i, times in self.positions.items() if i in final and times),
                    default=since,
                )
                return max(0.0, last - since)
            await asyncio.sleep(0.05)
        return None

    def _figures(self, start: float, claims_done: float, settled: float | None) -> dict:
        # A frame showing place p to the resident at queue index i reflects
        # i + 1 - p claims; its lag is measured from when that many claims were done.
        done = sorted(self.claimed_at)
        lags = []
        frames = 0
        for index, times in self.positions.items():
            frames += len(times)
            for at, position in times:
                reflected = index + 1 - position
                if 1 <= reflected <= len(done):
                    lags.append(max(0.0, at - done[reflected - 1]))
        claims = len(self.claim_latency)
        return {
            "waiting": len(self.data["residents"]),
            "professionals": len(self.staff),
            "claims": claims,
            "refused_claims": self.refused,
            "refusals": self.refusals,
            "claims_per_second": round(claims / (claims_done - start), 1) if claims else None,
            "claim_latency": percentiles(self.claim_latency),
            "position_frames": frames,
            "position_frames_per_claim": round(frames / claims, 1) if claims else None,
            "position_lag": percentiles(lags),
            "settled_seconds_after_last_claim": None if settled is None else round(settled, 2),
        }

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for ws in self.residents + self.staff:
            await ws.close()


async def idle_sockets(host: str, urls_and_cookies: list[tuple[str, str | None]]) -> list:
    """Open sockets that then say nothing (a resident's page left open); residents
    send their sync like a page does."""
    ledger = Ledger()

    async def one(url: str, cookie: str | None):
        ws = await open_socket(url, cookie, f"http://{host}", ledger)
        if cookie:
            hello = json.loads(await ws.recv())
            assert hello["type"] == "hello", hello
            await ws.send(json.dumps({"type": "sync", "after_seq": 0}))
        return ws

    return await in_batches([lambda u=u, c=c: one(u, c) for u, c in urls_and_cookies])
