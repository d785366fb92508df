"""Where the ``rtk:debug`` request lines go: the engine's log, under the resource that made the
request, when there is an engine; otherwise the ``pulumi_rtk.http`` logger, on stderr.

The engine shows whatever a dynamic provider writes to stderr as a message of the stack, with no
resource attached. The engine's own ``Log`` call takes a URN, and the engine passes its address
to the provider process as the first argument (``python -m pulumi.dynamic <host:port>``), so the
provider can log like any native provider. The SDK hands provider methods no URN, but the
servicer frame that called the method holds the request; when either is missing (an older or
newer SDK, a lookup in a program, a test driving a provider in-process) the line goes to stderr.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from types import FrameType
from typing import Any, Final

__all__ = ["emit", "log"]

PREFIX: Final = "pulumi-rtk: "
_ADDRESS = re.compile(r"^(127\.0\.0\.1|localhost|\[::1\]):\d+$")
_SERVICER_FILE: Final = "dynamic/__main__.py"
_MAX_FRAMES: Final = 32

log = logging.getLogger("pulumi_rtk.http")

_lock = threading.Lock()
_engine: Any = None
_connected = False


def emit(line: str) -> None:
    """One request line; never raises (a log line must not fail a deployment)."""
    stub = _engine_stub()
    if stub is None or not _to_engine(stub, PREFIX + line):
        _ensure_stderr_handler()
        log.info("%s", line)


def _ensure_stderr_handler() -> None:
    with _lock:
        if any(getattr(handler, "_rtk_debug", False) for handler in log.handlers):
            return
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(PREFIX + "%(message)s"))
        handler._rtk_debug = True  # type: ignore[attr-defined]
        log.addHandler(handler)
        log.setLevel(logging.INFO)


def _to_engine(stub: Any, message: str) -> bool:
    from pulumi.runtime.proto import engine_pb2  # noqa: PLC0415 (provider process only)

    request = engine_pb2.LogRequest(
        severity=engine_pb2.LogSeverity.INFO, message=message, urn=_current_urn()
    )
    try:
        stub.Log(request, timeout=5)
    except Exception:
        return False
    return True


def _engine_stub() -> Any:
    """The engine's gRPC stub when this is a provider process the engine started, else None."""
    global _engine, _connected  # noqa: PLW0603 (one connection per process)
    with _lock:
        if not _connected:
            _connected = True
            _engine = _connect()
        return _engine


def _connect() -> Any:
    if not sys.argv[0].replace("\\", "/").endswith(_SERVICER_FILE):
        return None
    address = next((arg for arg in sys.argv[1:] if _ADDRESS.match(arg)), None)
    if address is None:
        return None
    try:
        import grpc  # noqa: PLC0415 (provider process only)
        from pulumi.runtime.proto import engine_pb2_grpc  # noqa: PLC0415

        channel = grpc.insecure_channel(address)
        grpc.channel_ready_future(channel).result(timeout=2)
        return engine_pb2_grpc.EngineStub(channel)
    except Exception:
        return None


def _current_urn() -> str:
    """The URN of the request the SDK's servicer is serving on this thread, if it can be seen."""
    frame: FrameType | None = sys._getframe(1)
    for _ in range(_MAX_FRAMES):
        if frame is None:
            break
        if frame.f_code.co_filename.replace("\\", "/").endswith(_SERVICER_FILE):
            urn = getattr(frame.f_locals.get("request"), "urn", "")
            return urn if isinstance(urn, str) else ""
        frame = frame.f_back
    return ""
