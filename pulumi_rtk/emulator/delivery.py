"""Webhook delivery: a background worker that POSTs signed events to loopback receivers.

The store hands over each emission in event order, under its lock, and :meth:`submit` only
enqueues. One worker thread makes the attempts, so deliveries never block an API request
or the store lock. First attempts go out in emission order; a failed attempt (connection
error, timeout, 5xx) is retried with exponential backoff, other non-2xx answers are final,
as the real service documents. Only loopback URLs are ever contacted: any other URL is
recorded as not delivered and never attempted, so no test can reach the outside world.

With a running virtual clock the worker also replays due lifecycle transitions every
``tick`` seconds (the same lazy replay an API request triggers), so timed events such as
UPLOADED are delivered without waiting for traffic. With a frozen clock only ``advance``
moves time, and it replays everything due itself.
"""

from __future__ import annotations

import base64
import contextlib
import heapq
import http.client
import ipaddress
import json
import ssl
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from . import rsa
from .events import Emission, iso

__all__ = ["DeliveryPolicy", "Dispatcher", "Signer", "is_loopback_url"]


def _wall() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Signer:
    """The webhook signing key: given (PEM) or generated on first use (about a second)."""

    def __init__(self, pem: str | None = None) -> None:
        self._key = None if pem is None else rsa.load_private_pem(pem)
        self._lock = threading.Lock()

    def key(self) -> rsa.RsaKey:
        with self._lock:
            if self._key is None:
                self._key = rsa.generate()
            return self._key

    def public_pem(self) -> str:
        return self.key().public_pem()

    def sign(self, body: bytes) -> str:
        """``rtk-signature``: base64 of the RSA-SHA256 signature of the raw body."""
        return base64.b64encode(self.key().sign(body)).decode()


@dataclass(frozen=True)
class DeliveryPolicy:
    """Attempts per delivery, backoff before retry n (``backoff * 2**(n-1)`` s), timeout."""

    attempts: int = 4
    backoff: float = 0.5
    timeout: float = 5.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.backoff < 0 or self.timeout <= 0:
            raise ValueError("webhook policy: attempts >= 1, backoff >= 0, timeout > 0")


@dataclass
class _Delivery:
    id: str
    webhook_id: str
    url: str
    event: str
    body: bytes
    emitted_at: str
    status: str = "pending"
    reason: str | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)
    signature: str | None = None

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "webhook_id": self.webhook_id,
            "url": self.url,
            "event": self.event,
            "payload": json.loads(self.body),
            "emitted_at": self.emitted_at,
            "status": self.status,
            "reason": self.reason,
            "attempts": [dict(a) for a in self.attempts],
        }


class Dispatcher:
    """Delivery queue, worker thread and log (``GET /__emulator/deliveries``)."""

    def __init__(
        self,
        signer: Signer,
        policy: DeliveryPolicy,
        *,
        tick: Callable[[], None] | None = None,
        tick_interval: float = 0.1,
    ) -> None:
        self.signer = signer
        self.policy = policy
        self._tick = tick
        self._tick_interval = tick_interval
        self._cond = threading.Condition()
        self._log: list[_Delivery] = []
        self._ready: deque[_Delivery] = deque()
        self._retries: list[tuple[float, int, _Delivery]] = []
        self._busy = 0
        self._seq = 0
        self._stopping = False
        self._thread: threading.Thread | None = None

    # --- producer side (called under the store lock: enqueue only) ------------------------

    def submit(self, emission: Emission) -> None:
        body = json.dumps(emission.payload, separators=(",", ":")).encode()
        delivery = _Delivery(
            id=str(uuid.uuid4()),
            webhook_id=emission.webhook_id,
            url=emission.url,
            event=emission.event,
            body=body,
            emitted_at=iso(emission.at),
        )
        with self._cond:
            self._log.append(delivery)
            if not is_loopback_url(emission.url):
                delivery.status = "not_delivered"
                delivery.reason = (
                    "not a loopback URL: the emulator only contacts 127.0.0.1, ::1, localhost"
                )
                return
            self._ready.append(delivery)
            self._cond.notify_all()

    # --- control --------------------------------------------------------------------------

    def start(self) -> None:
        with self._cond:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="rtk-webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._cond:
            thread, self._thread = self._thread, None
            self._stopping = True
            self._cond.notify_all()
        if thread is not None:
            thread.join(timeout=self.policy.timeout + 1)

    def deliveries(self) -> list[dict[str, Any]]:
        with self._cond:
            return [d.view() for d in self._log]

    def clear(self) -> None:
        """Forget the log and drop queued deliveries (an attempt in flight still finishes)."""
        with self._cond:
            self._log.clear()
            self._ready.clear()
            self._retries.clear()
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or in flight; False if ``timeout`` ran out first."""
        with self._cond:
            return self._cond.wait_for(
                lambda: not (self._ready or self._retries or self._busy), timeout
            )

    # --- worker ---------------------------------------------------------------------------

    def _next(self) -> _Delivery | None:
        """The next delivery to attempt, waiting for one (None when stopping or to tick)."""
        with self._cond:
            while not self._stopping:
                now = time.monotonic()
                if self._retries and self._retries[0][0] <= now:
                    self._busy += 1
                    return heapq.heappop(self._retries)[2]
                if self._ready:
                    self._busy += 1
                    return self._ready.popleft()
                wait = self._retries[0][0] - now if self._retries else None
                if self._tick is not None:
                    wait = self._tick_interval if wait is None else min(wait, self._tick_interval)
                    self._cond.wait(wait)
                    return None
                self._cond.wait(wait)
            return None

    def _run(self) -> None:
        while True:
            delivery = self._next()
            if delivery is None:
                with self._cond:
                    if self._stopping:
                        return
                if self._tick is not None:
                    self._tick()
                continue
            try:
                self._attempt(delivery)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _attempt(self, delivery: _Delivery) -> None:
        if delivery.signature is None:
            delivery.signature = self.signer.sign(delivery.body)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "rtk-emulator",
            "rtk-uuid": delivery.id,
            "rtk-webhook-id": delivery.webhook_id,
            "rtk-signature": delivery.signature,
        }
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            status = _post(delivery.url, delivery.body, headers, self.policy.timeout)
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"
        attempt = {
            "at": _wall(),
            "status": status,
            "error": error,
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        }
        retry = error is not None or (status is not None and status >= 500)
        with self._cond:
            delivery.attempts.append(attempt)
            if status is not None and 200 <= status < 300:
                delivery.status = "delivered"
            elif retry and len(delivery.attempts) < self.policy.attempts:
                delay = self.policy.backoff * 2 ** (len(delivery.attempts) - 1)
                self._seq += 1
                heapq.heappush(self._retries, (time.monotonic() + delay, self._seq, delivery))
            else:
                delivery.status = "failed"
                delivery.reason = (
                    f"gave up after {len(delivery.attempts)} attempts"
                    if retry
                    else f"HTTP {status} is not retried"
                )


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """One POST to a loopback URL; returns the HTTP status."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        # Loopback only, so an unverified context is fine: test receivers use self-signed certs.
        context = ssl._create_unverified_context()  # noqa: S323
        conn = http.client.HTTPSConnection(host, parts.port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        with contextlib.suppress(OSError):
            conn.close()
