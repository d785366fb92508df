"""The in-process :class:`Emulator`: runs the server in a daemon thread and controls it.

Its control methods mirror :class:`~pulumi_rtk.emulator.admin.AdminClient` (same names,
same results) so a test can drive an in-process or a subprocess emulator alike.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from .api import API_PREFIX
from .delivery import DeliveryPolicy, Dispatcher, Signer
from .faults import Fault, FaultSet
from .requestlog import RequestLog, RequestRecord
from .server import ADMIN_PREFIX, MAX_WAIT_SECONDS, EmulatorServer, check_loopback
from .store import Store
from .validation import parse_app_recording_config, parse_meeting

__all__ = ["DEFAULT_TOKEN", "Emulator"]

DEFAULT_TOKEN = "emulator-token"  # noqa: S105 (a well-known local default, not a secret)


class Emulator:
    """A local RealtimeKit API on ``host:port`` (``port=0`` picks a free one).

    Args:
        token: the only bearer token accepted.
        data_dir: where ``state.json`` lives; ``None`` keeps state in memory only.
        clock_speed: virtual seconds per real second; 0 freezes time (only
            :meth:`advance` moves it), which makes tests deterministic.
        invoke_delay: virtual seconds from INVOKED to RECORDING.
        upload_delay: virtual seconds from UPLOADING to UPLOADED.
        empty_meeting_timeout: virtual seconds a meeting may stay without participants
            before its recordings stop (``ALL_PEERS_LEFT``); the documented 60 by default,
            ``None`` never stops them.
        latency: seconds slept before answering each public API request.
        faults: faults active from the start (:class:`Fault` objects or CLI specs).
        webhook_key: PEM RSA private key that signs webhook deliveries; generated on
            first use when not given.
        webhook_attempts, webhook_backoff, webhook_timeout: delivery policy: attempts per
            delivery, backoff before retry n (``backoff * 2**(n-1)`` real seconds), and
            the timeout of one attempt.
        verbose: log one line per request to stderr (never headers).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        data_dir: str | os.PathLike[str] | None = None,
        clock_speed: float = 1.0,
        invoke_delay: float = 2.0,
        upload_delay: float = 5.0,
        empty_meeting_timeout: float | None = 60.0,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Iterable[Fault | str] = (),
        webhook_key: str | None = None,
        webhook_attempts: int = 4,
        webhook_backoff: float = 0.5,
        webhook_timeout: float = 5.0,
        verbose: bool = False,
    ) -> None:
        check_loopback(host)
        if not token:
            raise ValueError("token must not be empty")
        if latency < 0:
            raise ValueError("latency must be >= 0")
        self._latency = latency
        self._token = token
        self._host = host
        self._requested_port = port
        self._verbose = verbose
        self._store = Store(
            clock_speed=clock_speed,
            invoke_delay=invoke_delay,
            upload_delay=upload_delay,
            empty_meeting_timeout=empty_meeting_timeout,
            data_dir=data_dir,
        )
        self._dispatcher = Dispatcher(
            Signer(webhook_key),
            DeliveryPolicy(webhook_attempts, webhook_backoff, webhook_timeout),
            tick=self._store.settle if clock_speed > 0 else None,
        )
        self._store.outbox = self._dispatcher.submit
        self._faults = FaultSet()
        for fault in faults:
            self._faults.add(Fault.from_spec(fault) if isinstance(fault, str) else fault)
        self._log = RequestLog()
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> Emulator:
        """Bind and serve in a daemon thread; returns ``self`` for chaining."""
        if self._server is not None:
            raise RuntimeError("emulator already started")
        self._server = EmulatorServer(
            self._host,
            self._requested_port,
            store=self._store,
            token=self._token,
            faults=self._faults,
            log=self._log,
            dispatcher=self._dispatcher,
            latency=self._latency,
            verbose=self._verbose,
        )
        self._dispatcher.start()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"rtk-emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end hanging fault handlers and idle connections, save state."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._server = self._thread = None
        server.stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join()
        self._dispatcher.stop()
        self._store.save()

    def __enter__(self) -> Emulator:
        return self if self._server is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _running(self) -> EmulatorServer:
        if self._server is None:
            raise RuntimeError("emulator not started")
        return self._server

    @property
    def port(self) -> int:
        return self._running().server_port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: what :class:`AdminClient` takes."""
        return self._running().origin

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/client/v4``: what a user puts in ``rtk:apiBaseUrl``."""
        return self.url + API_PREFIX

    @property
    def admin_url(self) -> str:
        return f"{self.url}{ADMIN_PREFIX}"

    # --- control (mirrors AdminClient) ----------------------------------------------------

    def create_meeting(
        self, account_id: str, app_id: str, title: str = "standup", **fields: Any
    ) -> str:
        """A meeting with ``title`` and any meeting field (``record_on_start``, ``status``...)."""
        options = parse_meeting({"title": title, **fields}, patch=True)
        return str(self._store.create_meeting(account_id, app_id, options)["id"])

    def join(
        self, meeting_id: str, name: str = "participant", custom_participant_id: str | None = None
    ) -> str:
        """A participant joins (the first starts a session); returns the participant id."""
        return str(self._store.join(meeting_id, name, custom_participant_id)["id"])

    def leave(self, meeting_id: str, participant_id: str) -> None:
        self._store.leave(meeting_id, participant_id)

    def sessions(self, meeting_id: str | None = None) -> list[dict[str, Any]]:
        return self._store.sessions(meeting_id)

    def set_app_recording_config(
        self, account_id: str, app_id: str, config: dict[str, Any]
    ) -> dict[str, Any]:
        return self._store.set_app_recording_config(
            account_id, app_id, parse_app_recording_config(config)
        )

    def uploads(self) -> list[dict[str, Any]]:
        return self._store.uploads()

    def deliveries(self) -> list[dict[str, Any]]:
        return self._dispatcher.deliveries()

    def wait_deliveries(self, timeout: float = 5.0) -> bool:
        """Wait (at most ``timeout`` s, capped at 60) until no delivery is queued or in flight."""
        return self._dispatcher.wait_idle(min(timeout, MAX_WAIT_SECONDS))

    def webhook_public_key(self) -> str:
        """PEM public key that verifies ``rtk-signature`` (as /.well-known/webhooks.json serves)."""
        return self._dispatcher.signer.public_pem()

    def set_latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        self._latency = seconds
        if self._server is not None:
            self._server.latency = seconds

    def advance(self, seconds: float) -> None:
        self._store.advance(seconds)

    def requests(self, method: str | None = None, path: str | None = None) -> list[RequestRecord]:
        return self._log.records(method, path)

    def clear_requests(self) -> None:
        self._log.clear()

    def recordings(self, meeting_id: str | None = None) -> list[dict[str, Any]]:
        return self._store.internal_recordings(meeting_id)

    def set_status(self, recording_id: str, status: str, stop_reason: str | None = None) -> None:
        self._store.force_status(recording_id, status, stop_reason)

    def forget(self, recording_id: str) -> None:
        self._store.forget(recording_id)

    def add_fault(
        self,
        method: str,
        path: str,
        kind: str,
        *,
        count: int = 1,
        status: int | None = None,
        retry_after: str | None = None,
        hang_seconds: float | None = None,
        act: bool | None = None,
        error_code: int | None = None,
    ) -> str:
        fault = Fault(
            kind=kind,
            method=method,
            path=path,
            count=count,
            status=status,
            retry_after=retry_after,
            hang_seconds=hang_seconds,
            act=act,
            error_code=error_code,
        )
        return self._faults.add(fault)

    def clear_faults(self) -> None:
        self._faults.clear()

    def stats(self) -> dict[str, Any]:
        return self._log.stats()

    def reset(self) -> None:
        """Forget all state, logged requests and deliveries, counters and faults."""
        self._store.reset()
        self._log.reset()
        self._faults.clear()
        self._dispatcher.clear()
