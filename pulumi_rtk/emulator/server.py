"""The HTTP layer: a threading HTTP/1.1 server, the request handler, faults, admin routes.

Speed matters (tests and benchmarks make thousands of calls): keep-alive, TCP_NODELAY,
and every response goes out in a single ``write`` of headers + body. Writing them
separately meets Nagle + delayed ACK and costs ~40 ms per request on loopback.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
import socket
import socketserver
import struct
import sys
import threading
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .api import Api, Response, gateway_error, json_response, rtk_error
from .delivery import Dispatcher
from .faults import Fault, FaultSet
from .requestlog import RequestLog, RequestRecord
from .routing import RouteTable
from .store import Store
from .validation import ApiError, parse_app_recording_config, parse_meeting

__all__ = ["ADMIN_PREFIX", "WELL_KNOWN_KEYS", "EmulatorServer", "check_loopback"]

ADMIN_PREFIX = "/__emulator"
WELL_KNOWN_KEYS = "/.well-known/webhooks.json"
MAX_WAIT_SECONDS = 60.0
_DOWNLOAD = re.compile(r"([0-9a-f-]{36})(?:\.audio)?\.(mp4|mp3|m4a)")
_MEDIA_TYPES = {"mp4": "video/mp4", "mp3": "audio/mpeg", "m4a": "audio/mp4"}
_MALFORMED = b'{"success":true,"data":{"id":"'
_LINGER_RESET = struct.pack("ii", 1, 0)

Params = tuple[str, ...]
Query = dict[str, list[str]]
AdminHandler = Callable[[Params, Query, Any], Response]


def check_loopback(host: str) -> None:
    """Refuse to bind anything but loopback: the emulator has no real security."""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"refusing to listen on {host!r}: only loopback addresses are allowed")


def _admin_error(status: int, message: str) -> Response:
    return json_response(status, {"error": message})


def _log_body(raw: bytes) -> Any:
    """The body as the log shows it: parsed JSON, else raw text, else None."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return raw.decode("utf-8", errors="replace")


class EmulatorServer(ThreadingHTTPServer):
    """Holds the shared state the handler threads need and the open connections."""

    daemon_threads = True
    block_on_close = False  # keep-alive threads must not block shutdown
    request_queue_size = 128

    def __init__(
        self,
        host: str,
        port: int,
        *,
        store: Store,
        token: str,
        faults: FaultSet,
        log: RequestLog,
        dispatcher: Dispatcher,
        latency: float = 0.0,
        verbose: bool = False,
    ) -> None:
        check_loopback(host)
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.store = store
        self.api = Api(store, token)
        self.faults = faults
        self.log = log
        self.dispatcher = dispatcher
        self.latency = latency
        """Seconds slept before answering each public API request (not admin calls)."""
        self.verbose = verbose
        self._admin_routes = self._admin_table()
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((host, port), _Handler)
        self.store.download_base = f"{self.origin}{ADMIN_PREFIX}/downloads"

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup that can stall.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    @property
    def origin(self) -> str:
        host = self.server_name
        return (
            f"http://[{host}]:{self.server_port}"
            if ":" in host
            else f"http://{host}:{self.server_port}"
        )

    def track(self, conn: socket.socket, opened: bool) -> None:
        with self._connections_lock:
            if opened:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        """Shut idle keep-alive connections so their threads end with the server."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    # --- admin API (no auth, no faults, not logged) -----------------------------------

    def admin(self, method: str, path: str, query: dict[str, list[str]], raw: bytes) -> Response:
        sub = path[len(ADMIN_PREFIX) :]
        try:
            body = json.loads(raw) if raw.strip() else {}
        except (ValueError, UnicodeDecodeError):
            return _admin_error(400, "body: must be valid JSON")
        found = self._admin_routes.match(method, sub)
        if found is None:
            return _admin_error(404, f"no admin endpoint {method} {ADMIN_PREFIX}{sub}")
        try:
            return found.handler(found.params, query, body)
        except ApiError as exc:
            return _admin_error(exc.status, exc.message)
        except ValueError as exc:
            return _admin_error(400, str(exc))

    def _admin_table(self) -> RouteTable[AdminHandler]:
        return RouteTable(
            [
                ("GET", "/health", lambda _p, _q, _b: _ok_json({"ok": True})),
                ("GET", "/requests", self._get_requests),
                ("DELETE", "/requests", self._clear_requests),
                ("GET", "/recordings", self._get_recordings),
                ("POST", "/recordings/{id}", self._force_status),
                ("DELETE", "/recordings/{id}", self._forget),
                ("POST", "/meetings", self._create_meeting),
                ("POST", "/meetings/{id}/participants", self._join),
                ("DELETE", "/meetings/{id}/participants/{participant_id}", self._leave),
                ("GET", "/sessions", self._sessions),
                ("GET", "/app-config", self._get_app_config),
                ("PUT", "/app-config", self._put_app_config),
                ("GET", "/uploads", lambda _p, _q, _b: _ok_json({"uploads": self.store.uploads()})),
                ("GET", "/deliveries", self._deliveries),
                ("POST", "/deliveries/wait", self._wait_deliveries),
                ("GET", "/webhook-key", self._webhook_key),
                ("GET", "/latency", lambda _p, _q, _b: _ok_json({"ms": self.latency * 1000})),
                ("PUT", "/latency", self._set_latency),
                ("GET", "/clock", lambda _p, _q, _b: _ok_json({"now": self.store.now_iso()})),
                ("POST", "/clock", self._advance),
                ("GET", "/faults", lambda _p, _q, _b: _ok_json({"faults": self.faults.to_json()})),
                ("POST", "/faults", self._add_fault),
                ("DELETE", "/faults", self._clear_faults),
                ("GET", "/stats", lambda _p, _q, _b: _ok_json(self.log.stats())),
                ("POST", "/reset", self._reset),
                ("GET", "/downloads/{file}", self._download),
            ]
        )

    def _get_requests(self, _p: Params, _q: Query, _b: Any) -> Response:
        return _ok_json({"requests": [r.to_json() for r in self.log.records()]})

    def _clear_requests(self, _p: Params, _q: Query, _b: Any) -> Response:
        self.log.clear()
        return _ok_json({"ok": True})

    def _get_recordings(self, _p: Params, query: Query, _b: Any) -> Response:
        meeting_id = _one(query, "meeting_id")
        return _ok_json({"recordings": self.store.internal_recordings(meeting_id)})

    def _force_status(self, params: Params, _q: Query, body: Any) -> Response:
        if not isinstance(body, dict) or not isinstance(body.get("status"), str):
            return _admin_error(400, "status: required string")
        reason = body.get("stop_reason")
        view = self.store.force_status(
            params[0], body["status"], reason if isinstance(reason, str) else None
        )
        return _ok_json({"recording": view})

    def _forget(self, params: Params, _q: Query, _b: Any) -> Response:
        self.store.forget(params[0])
        return _ok_json({"ok": True})

    def _create_meeting(self, _p: Params, _q: Query, body: Any) -> Response:
        account_id, app_id = _scope(body)
        options = parse_meeting(body, patch=True)  # admin may also set status
        return _ok_json(
            {"success": True, "data": self.store.create_meeting(account_id, app_id, options)}
        )

    def _join(self, params: Params, _q: Query, body: Any) -> Response:
        if not isinstance(body, dict):
            return _admin_error(400, "body: must be a JSON object")
        name = body.get("name", "participant")
        custom = body.get("custom_participant_id")
        if not isinstance(name, str) or not (custom is None or isinstance(custom, str)):
            return _admin_error(400, "name, custom_participant_id: must be strings")
        return _ok_json({"participant": self.store.join(params[0], name, custom)})

    def _leave(self, params: Params, _q: Query, _b: Any) -> Response:
        return _ok_json({"participant": self.store.leave(params[0], params[1])})

    def _sessions(self, _p: Params, query: Query, _b: Any) -> Response:
        return _ok_json({"sessions": self.store.sessions(_one(query, "meeting_id"))})

    def _get_app_config(self, _p: Params, query: Query, _b: Any) -> Response:
        account_id, app_id = _one(query, "account_id"), _one(query, "app_id")
        if not account_id or not app_id:
            return _admin_error(400, "account_id and app_id: required query parameters")
        return _ok_json({"recording_config": self.store.app_recording_config(account_id, app_id)})

    def _put_app_config(self, _p: Params, _q: Query, body: Any) -> Response:
        account_id, app_id = _scope(body)
        config = parse_app_recording_config(body.pop("recording_config", None))
        if body:
            return _admin_error(400, f"{sorted(body)[0]}: unknown field")
        stored = self.store.set_app_recording_config(account_id, app_id, config)
        return _ok_json({"recording_config": stored})

    def _deliveries(self, _p: Params, _q: Query, _b: Any) -> Response:
        return _ok_json({"deliveries": self.dispatcher.deliveries()})

    def _wait_deliveries(self, _p: Params, _q: Query, body: Any) -> Response:
        timeout = body.get("timeout", 5.0) if isinstance(body, dict) else None
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0:
            return _admin_error(400, "timeout: must be a number >= 0")
        drained = self.dispatcher.wait_idle(min(float(timeout), MAX_WAIT_SECONDS))
        return _ok_json({"drained": drained})

    def _webhook_key(self, _p: Params, _q: Query, _b: Any) -> Response:
        return _ok_json({"public_key_pem": self.dispatcher.signer.public_pem()})

    def _set_latency(self, _p: Params, _q: Query, body: Any) -> Response:
        ms = body.get("ms") if isinstance(body, dict) else None
        if isinstance(ms, bool) or not isinstance(ms, (int, float)) or ms < 0:
            return _admin_error(400, "ms: must be a number >= 0")
        self.latency = float(ms) / 1000
        return _ok_json({"ms": float(ms)})

    def _advance(self, _p: Params, _q: Query, body: Any) -> Response:
        seconds = body.get("advance_seconds") if isinstance(body, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            return _admin_error(400, "advance_seconds: must be a number >= 0")
        return _ok_json({"now": self.store.advance(float(seconds))})

    def _add_fault(self, _p: Params, _q: Query, body: Any) -> Response:
        return _ok_json({"id": self.faults.add(Fault.from_json(body))})

    def _clear_faults(self, _p: Params, _q: Query, _b: Any) -> Response:
        self.faults.clear()
        return _ok_json({"ok": True})

    def _reset(self, _p: Params, _q: Query, _b: Any) -> Response:
        self.reset()
        return _ok_json({"ok": True})

    def _download(self, params: Params, _q: Query, _b: Any) -> Response:
        download = _DOWNLOAD.fullmatch(params[0])
        if download is None or not self.store.has_recording(download.group(1)):
            return _admin_error(404, f"no download {params[0]}")
        media = f"RTK emulator fake media for {download.group(1)}\n".encode()
        return Response(200, media, content_type=_MEDIA_TYPES[download.group(2)])

    def reset(self) -> None:
        """Forget all state, logged requests and deliveries, counters and faults."""
        self.store.reset()
        self.log.reset()
        self.faults.clear()
        self.dispatcher.clear()


def _ok_json(payload: object) -> Response:
    return json_response(200, payload)


def _one(query: Query, key: str) -> str | None:
    values = query.get(key)
    return values[0] if values else None


def _scope(body: Any) -> tuple[str, str]:
    """Pop ``account_id`` and ``app_id`` from an admin body."""
    if not isinstance(body, dict) or not all(
        isinstance(body.get(k), str) and body.get(k) for k in ("account_id", "app_id")
    ):
        raise ValueError("account_id and app_id: required strings")
    return body.pop("account_id"), body.pop("app_id")


class _Handler(BaseHTTPRequestHandler):
    """Moves bytes; the logic lives in :class:`Api` and :meth:`EmulatorServer.admin`."""

    server: EmulatorServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "rtk-emulator"

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, opened=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, opened=False)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        path, query = split.path, parse_qs(split.query, keep_blank_values=True)
        raw = self._read_body()
        if raw is None:
            return
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            self._send(self.server.admin(self.command, path, query, raw))
            return
        if path == WELL_KNOWN_KEYS and self.command == "GET":
            key = {"publicKey": self.server.dispatcher.signer.public_pem()}
            self._send(json_response(200, {"success": True, "data": key}))
            return
        if self.server.latency > 0:
            # In this request's own thread: concurrent requests overlap, like a network.
            self.server.stopping.wait(self.server.latency)
        route = self.server.api.match(self.command, path)
        record = RequestRecord(self.command, path, query, _log_body(raw))
        fault = self.server.faults.take(self.command, path)
        if fault is not None:
            record.fault = fault.kind
        self.server.log.add(record, route.name if route else "UNROUTED")

        def perform() -> Response:
            try:
                return self.server.api.call(
                    route, path, query, raw, self.headers.get("Authorization")
                )
            except Exception:
                traceback.print_exc(file=sys.stderr)
                return rtk_error(500, "internal emulator error")

        response = perform() if fault is None else self._apply_fault(fault, perform)
        status = response.status if response is not None else 0
        self.server.log.finish(record, status)
        if self.server.verbose:
            self.log_message('"%s %s" %d', self.command, path, status)
        if response is not None:
            self._send(response)

    def _apply_fault(self, fault: Fault, perform: Callable[[], Response]) -> Response | None:
        """Returns the response to send, or None when the fault sends nothing."""
        acted = perform() if fault.acts else None
        retry = (("Retry-After", fault.retry_after),) if fault.retry_after else ()
        if fault.kind == "status":
            status = fault.status or 503
            return rtk_error(status, f"Injected fault: HTTP {status}", retry)
        if fault.kind == "gateway_error":
            code = fault.error_code or 971
            message = (
                "Please wait and consider throttling your request speed"
                if code == 971
                else "Injected gateway error"
            )
            return gateway_error(fault.status or 429, code, message, headers=retry)
        if fault.kind == "malformed":
            body = acted.body[: len(acted.body) // 2] if acted else _MALFORMED
            return Response(200, body)
        if fault.kind == "hang":
            self.server.stopping.wait(fault.hang_for)
            self.close_connection = True
            return None
        self._reset_connection()  # reset_before / reset_after
        return None

    def _reset_connection(self) -> None:
        """Close with SO_LINGER 0 so the peer gets a TCP RST instead of a response."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        self.rfile.close()  # drop the makefile reference so close() really closes now
        self.connection.close()

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._send(rtk_error(411, "Chunked request bodies are not supported"))
            return None
        length_header = self.headers.get("Content-Length", "0")
        if not length_header.isdigit():
            self.close_connection = True
            self._send(rtk_error(400, "Invalid Content-Length"))
            return None
        return self.rfile.read(int(length_header)) if int(length_header) else b""

    def _send(self, response: Response) -> None:
        """Headers and body in ONE write: see the module docstring."""
        reason = self.responses.get(response.status, ("",))[0]
        lines = [
            f"HTTP/1.1 {response.status} {reason}",
            "Server: rtk-emulator",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {response.content_type}",
            f"Content-Length: {len(response.body)}",
        ]
        lines.extend(f"{name}: {value}" for name, value in response.headers)
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        with contextlib.suppress(OSError):
            self.wfile.write(head + response.body)
