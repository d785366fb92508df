"""Benchmark 5: how many GETs per second the emulator serves, so it cannot bound benchmark 1.

16 threads, each with its own keep-alive connection, GET one recording for a fixed time. The
load generator uses ``http.client`` rather than ``requests``: a ``requests`` call costs the
client several times the server's CPU per request, so 16 ``requests`` threads on one GIL
measure the client, not the emulator. The reference is what one sequential ``requests.Session``
drives (the shape of benchmark 1). The emulator's CPU per request comes from /proc.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import requests

from bench.common import TOKEN, EmulatorProcess, Outcome, Row, cpu_seconds, start_body, us
from tests.support.values import ACCOUNT, APP

CONCURRENCY = 16

# A client for one thread: returns a function doing one GET, and a function closing it.
Client = Callable[[str], tuple[Callable[[], None], Callable[[], None]]]


def http_client(url: str) -> tuple[Callable[[], None], Callable[[], None]]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}

    def get() -> None:
        conn.request("GET", parts.path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {parts.path}: HTTP {response.status}")
        json.loads(body)

    return get, conn.close


def requests_client(url: str) -> tuple[Callable[[], None], Callable[[], None]]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"

    def get() -> None:
        response = session.get(url, timeout=10)
        response.raise_for_status()
        response.json()

    return get, session.close


def hammer(client: Client, url: str, threads: int, seconds: float) -> tuple[int, float]:
    """GETs answered and wall seconds, ``threads`` keep-alive clients at once."""
    stop = threading.Event()
    barrier = threading.Barrier(threads + 1)
    counts = [0] * threads
    errors: list[BaseException] = []

    def body(slot: int) -> None:
        get, close = client(url)
        try:
            get()  # connect before the clock starts
            barrier.wait()
            while not stop.is_set():
                get()
                counts[slot] += 1
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
        finally:
            close()

    workers = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait(timeout=30)
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join(timeout=30)
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return sum(counts), elapsed


def run(emu: EmulatorProcess, seconds: float) -> Outcome:
    outcome = Outcome("capacity")
    meeting = emu.fresh_meetings(1)[0]
    base = f"{emu.base_url}/accounts/{ACCOUNT}/realtime/kit/{APP}/recordings"
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        response = session.post(base, json=start_body(meeting), timeout=10)
        response.raise_for_status()
        url = f"{base}/{response.json()['data']['id']}"
    hammer(http_client, url, CONCURRENCY, min(0.5, seconds))  # warm-up
    measured: dict[str, tuple[float, float]] = {}
    for name, client, threads in (
        ("requests x1", requests_client, 1),
        (f"http.client x{CONCURRENCY}", http_client, CONCURRENCY),
    ):
        cpu_before = cpu_seconds(emu.pid)
        count, elapsed = hammer(client, url, threads, seconds)
        server_cpu = cpu_seconds(emu.pid) - cpu_before
        measured[name] = (count / elapsed, server_cpu / max(count, 1))
    rate, cpu_each = measured[f"http.client x{CONCURRENCY}"]
    single, _ = measured["requests x1"]
    outcome.rows += [
        Row(
            "5 emulator",
            f"GET one recording, {CONCURRENCY} threads (req/s)",
            f"{rate:.0f} req/s",
            f"{single:.0f} req/s (1 requests.Session, as in 1)",
            rate / single,
            raw={"rate_and_server_cpu_per_request": measured},
        ),
        Row(
            "5 emulator",
            "emulator CPU per GET (from /proc)",
            us(cpu_each),
            f"busy {single * cpu_each:.0%} of a core at the rate of 1",
        ),
    ]
    return outcome
