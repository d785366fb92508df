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

from .faults import Fault, FaultSet
from .requestlog import RequestLog, RequestRecord
from .server import ADMIN_PREFIX, EmulatorServer, check_loopback
from .store import Store

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
        faults: faults active from the start (:class:`Fault` objects or CLI specs).
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
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Iterable[Fault | str] = (),
        verbose: bool = False,
    ) -> None:
        check_loopback(host)
        if not token:
            raise ValueError("token must not be empty")
        self._token = token
        self._host = host
        self._requested_port = port
        self._verbose = verbose
        self._store = Store(
            clock_speed=clock_speed,
            invoke_delay=invoke_delay,
            upload_delay=upload_delay,
            data_dir=data_dir,
        )
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
            verbose=self._verbose,
        )
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
        return f"{self.url}/client/v4"

    @property
    def admin_url(self) -> str:
        return f"{self.url}{ADMIN_PREFIX}"

    # --- control (mirrors AdminClient) ----------------------------------------------------

    def create_meeting(self, account_id: str, app_id: str, title: str = "standup") -> str:
        return str(self._store.create_meeting(account_id, app_id, {"title": title})["id"])

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
        """Forget meetings, recordings, logged requests, counters and faults."""
        self._store.reset()
        self._log.reset()
        self._faults.clear()
