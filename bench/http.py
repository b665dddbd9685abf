"""HTTP pages: latency percentiles over keep-alive connections, and the number of
database queries each page makes (in process, with Django's test client)."""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import time
from urllib.parse import urlencode

import websockets

from bench.load import percentiles

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _timed_gets(host: str, path: str, n: int, cookie: str = "") -> dict:
    conn = http.client.HTTPConnection(host, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    times, status = [], set()
    for _ in range(n):
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        times.append(time.perf_counter() - start)
        status.add(response.status)
    conn.close()
    return {**percentiles(times), "status": sorted(status)}


def _timed_intake(host: str, slug: str, n: int) -> dict:
    times, status = [], set()
    for i in range(n):
        conn = http.client.HTTPConnection(host, timeout=30)
        conn.request("GET", f"/widget/services/{slug}/")
        page = conn.getresponse()
        body = page.read().decode()
        cookies = "; ".join(c.split(";", 1)[0] for c in page.headers.get_all("Set-Cookie") or [])
        form = urlencode(
            {
                "csrfmiddlewaretoken": CSRF.search(body).group(1),
                "name": f"Bench {i}",
                "phone": "040 123 4567",
                "matter": "Bench",
            }
        )
        start = time.perf_counter()
        conn.request(
            "POST",
            f"/widget/services/{slug}/",
            body=form,
            headers={
                "Cookie": cookies,
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://{host}/widget/services/{slug}/",
                "Origin": f"http://{host}",
            },
        )
        response = conn.getresponse()
        response.read()
        times.append(time.perf_counter() - start)
        status.add(response.status)
        conn.close()
    return {**percentiles(times), "status": sorted(status)}


def _queries(path: str, cookie_value: str | None = None) -> int:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    if cookie_value:
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie_value
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return len(captured.captured_queries)


async def _staff_hello(host: str, cookie: str, n: int) -> dict:
    times, sizes = [], []
    for _ in range(n):
        start = time.perf_counter()
        async with websockets.connect(
            f"ws://{host}/ws/v1/staff/",
            additional_headers={"Cookie": cookie, "Origin": f"http://{host}"},
            compression=None,
        ) as ws:
            hello = json.loads(await ws.recv())
            times.append(time.perf_counter() - start)
            sizes.append(len(hello["queue"]))
    return {**percentiles(times), "queue_length": sizes[0]}


def measure_pages(host: str, n: int) -> dict:
    from bench import fixtures

    (row,) = fixtures.create(1, waiting=10)
    cookie = f"{fixtures.cookie_name()}={row['staff']}"
    result: dict = {"requests_per_page": n, "pages": {}, "queries": {}}
    pages = result["pages"]
    waiting_now = 10
    for label, target in (("10", 10), ("1000", 1000)):
        if target > waiting_now:
            fixtures.create(0, waiting=target - waiting_now)
            waiting_now = target
        pages[f"staff dashboard, {label} waiting"] = _timed_gets(host, "/staff/", n, cookie)
        result["queries"][f"staff dashboard, {label} waiting"] = _queries("/staff/", row["staff"])
        result[f"staff socket hello, {label} waiting"] = asyncio.run(_staff_hello(host, cookie, 20))
    pages["front page"] = _timed_gets(host, "/", n)
    pages["service list"] = _timed_gets(host, "/widget/services/", n)
    pages["intake POST"] = _timed_intake(host, "bench", n)
    result["queries"]["front page"] = _queries("/")
    result["queries"]["service list"] = _queries("/widget/services/")
    return result
