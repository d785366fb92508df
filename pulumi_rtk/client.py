"""HTTP client for the RealtimeKit API: recordings, meetings and webhooks.

One ``requests.Session`` per client, built on first use under a lock: the provider object is
pickled into Pulumi state, and a session (with the bearer token in its headers) must never be.

One retry policy, urllib3's ``Retry`` through the requests adapter: connection failures are
retried for every method (nothing was sent), answers and read failures only for the methods that
cannot fork state when repeated (GET, PUT actions, PATCH of absolute values, DELETE). A create
(POST) is never blindly repeated: the providers decide what to do after an ambiguous one, with
the same backoff (:func:`retry_delay`).

Failures come out by the phase that failed, mapped in one place (:func:`_transport_error`):
``ConnectError`` when nothing was sent, ``ReadError``/``ApiTimeoutError`` when the server may
have acted, an ``ApiError`` subclass when it answered.
"""

from __future__ import annotations

import email.utils
import errno
import functools
import math
import os
import random
import re
import socket
import ssl
import threading
import time
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from json import dumps as json_dumps
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from pulumi_rtk import debug_log
from pulumi_rtk._version import __version__
from pulumi_rtk.config import ProviderSettings
from pulumi_rtk.errors import (
    ApiError,
    ApiTimeoutError,
    ConnectError,
    ConnectTimeoutError,
    NotFoundError,
    ReadError,
    ResponseFormatError,
    TransportError,
    error_for_status,
)
from pulumi_rtk.secrets import scrub, secret_values

if TYPE_CHECKING:
    from urllib3.connectionpool import ConnectionPool

__all__ = [
    "RETRYABLE_STATUSES",
    "USER_AGENT",
    "RealtimeKitClient",
    "Target",
    "parse_retry_after",
    "retry_delay",
]

USER_AGENT: Final = f"pulumi-rtk/{__version__}"
RETRYABLE_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})
RETRY_AFTER_CAP_SECONDS: Final = 30.0
BACKOFF_FACTOR: Final = 0.25
BACKOFF_MAX: Final = 8.0
BACKOFF_JITTER: Final = 0.25
# Methods whose repetition cannot fork state: reads, recording actions (stop twice is stopped),
# PATCH bodies that set absolute values, DELETE (gone twice is gone).
REPEATABLE_METHODS: Final = frozenset({"GET", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Target:
    """Where an object lives; stored in state so read and delete outlive config changes."""

    base_url: str
    account_id: str
    app_id: str

    @functools.cached_property
    def _prefix(self) -> str:
        segments = ("accounts", self.account_id, "realtime", "kit", self.app_id)
        return "".join("/" + quote(segment, safe="") for segment in segments)

    @functools.cached_property
    def address(self) -> str:
        """``host:port`` of the API, as errors name it."""
        parts = urlsplit(self.base_url)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:  # no port at all: shown as written, and requests names the fault
            return parts.netloc
        return f"{parts.hostname}:{port}"

    def path(self, *parts: str) -> str:
        return self._prefix + "".join("/" + quote(part, safe="") for part in parts)


_DIGITS: Final = re.compile(r"\+?[0-9]+(\.[0-9]*)?")


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds a server asks us to wait: ``retry-after-ms``, then ``Retry-After`` as seconds or
    an HTTP date. Garbage is ignored (None), negatives count as 0, large values are capped."""
    raw_ms = headers.get("retry-after-ms")
    seconds: float | None = None
    if raw_ms is not None:
        seconds = _number(raw_ms)
        seconds = None if seconds is None else seconds / 1000
    raw = headers.get("Retry-After")
    if seconds is None and raw is not None:
        seconds = _number(raw)
        if seconds is None:
            try:
                when = email.utils.parsedate_to_datetime(raw.strip())
            except (TypeError, ValueError, IndexError):
                when = None
            if when is not None and when.tzinfo is not None:
                seconds = when.timestamp() - time.time()
    if seconds is None:
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP_SECONDS)


def _number(text: str) -> float | None:
    """A number of seconds: digits too many for a float are a long wait (the caller caps it),
    while ``inf`` or ``nan`` spelt out is no number a server means."""
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        return None
    if math.isfinite(value) or (value > 0 and _DIGITS.fullmatch(text)):
        return value
    return None


def retry_delay(attempt: int, retry_after: float | None = None) -> float:
    """The pause before retry ``attempt`` (1-based): the server's wish when it said one, else
    exponential backoff with the urllib3 policy's factor, cap and jitter. Unlike that policy,
    which retries the first time at once, it waits before the first retry too: what the start
    and create loops repeat is a request that may have acted."""
    if retry_after is not None:
        return retry_after
    backoff = min(BACKOFF_FACTOR * 2.0 ** (attempt - 1), BACKOFF_MAX)
    return backoff + random.uniform(0, BACKOFF_JITTER)  # noqa: S311 (jitter, not crypto)


class _Retry(Retry):
    """urllib3's Retry with lenient, capped Retry-After parsing (urllib3 raises InvalidHeader
    on ``Retry-After: soon`` and honours any value unbounded), and no retry of a connection
    that cannot come about by waiting: a refused port, a name that does not resolve. Those fail
    at once, naming the cause, instead of after seconds of backoff (urllib3 itself never
    retries a TLS failure)."""

    RETRY_AFTER_STATUS_CODES = RETRYABLE_STATUSES

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        return parse_retry_after(response.headers)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> _Retry:
        if error is not None and _will_not_heal(error):
            # What Retry raises when its budget is spent (it too passes a pool that may be None).
            pool: Any = _pool
            raise urllib3.exceptions.MaxRetryError(pool, url or "", error) from error
        return super().increment(method, url, response, error, _pool, _stacktrace)


def _will_not_heal(error: BaseException) -> bool:
    """A connection failure that the same attempt a second later would meet again."""
    if isinstance(error, urllib3.exceptions.NameResolutionError):
        return not any(
            isinstance(e, OSError) and e.errno == socket.EAI_AGAIN for e in _chain(error)
        )
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        return any(isinstance(e, OSError) and e.errno == errno.ECONNREFUSED for e in _chain(error))
    if isinstance(error, urllib3.exceptions.ProxyError):
        return _will_not_heal(error.original_error)
    return False


def _retry_policy(max_retries: int) -> Retry:
    return _Retry(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        status=max_retries,
        other=0,
        allowed_methods=REPEATABLE_METHODS,
        status_forcelist=RETRYABLE_STATUSES,
        backoff_factor=BACKOFF_FACTOR,
        backoff_max=BACKOFF_MAX,
        backoff_jitter=BACKOFF_JITTER,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
    )


def _reason(exc: BaseException) -> BaseException:
    """The lower-layer cause requests wraps: ConnectionError(MaxRetryError(reason=...))."""
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    reason = getattr(inner, "reason", None)
    return reason if isinstance(reason, BaseException) else inner


def _connect_cause(reason: BaseException) -> str:
    """Why a connection could not be made, in the words a user searches for."""
    if isinstance(reason, urllib3.exceptions.NameResolutionError):
        return "name not resolved"
    if isinstance(reason, (urllib3.exceptions.SSLError, requests.exceptions.SSLError)):
        return f"TLS error ({_first_line(reason)})"
    if isinstance(reason, urllib3.exceptions.ProxyError):
        return f"proxy error ({_connect_cause(reason.original_error)})"
    os_error = next(
        (e for e in _chain(reason) if isinstance(e, OSError) and e.errno is not None), None
    )
    if os_error is not None and os_error.errno is not None:
        known = {
            errno.ECONNREFUSED: "connection refused",
            errno.EHOSTUNREACH: "host unreachable",
            errno.ENETUNREACH: "network unreachable",
        }
        return known.get(os_error.errno, os.strerror(os_error.errno).lower())
    return _first_line(reason)


def _in_handshake(reason: BaseException) -> bool:
    """Whether a TLS failure came before any request byte: a certificate refused, or an error
    raised inside the handshake (``ssl``'s ``do_handshake`` is on its traceback). A TLS error
    that cannot be placed may have come after the request was sent."""
    for error in _chain(reason):
        if isinstance(error, ssl.SSLCertVerificationError):
            return True
        frame = error.__traceback__
        while frame is not None:
            if frame.tb_frame.f_code.co_name == "do_handshake":
                return True
            frame = frame.tb_next
    return False


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _transport_error(
    exc: requests.RequestException,
    method: str,
    path: str,
    address: str,
    timeouts: tuple[float, float],
) -> TransportError:
    """Map a requests failure to the phase that failed: the one place that knows urllib3's and
    requests' exception shapes."""
    reason = _reason(exc)
    connect, read = timeouts
    if isinstance(exc, requests.exceptions.ConnectTimeout) or (
        isinstance(reason, urllib3.exceptions.ConnectTimeoutError)
        and not isinstance(reason, urllib3.exceptions.NewConnectionError)
    ):
        detail = f"no connection within {connect:g} s (connect timeout)"
        return ConnectTimeoutError(method, path, address, detail)
    if isinstance(exc, requests.exceptions.ReadTimeout) or isinstance(
        reason, urllib3.exceptions.ReadTimeoutError
    ):
        return ApiTimeoutError(method, path, address, f"no answer within {read:g} s")
    tls = isinstance(exc, requests.exceptions.SSLError) or isinstance(
        reason, urllib3.exceptions.SSLError
    )
    if tls and not _in_handshake(reason):
        detail = f"TLS failed after the request may have been sent ({_first_line(reason)})"
        return ReadError(method, path, address, detail)
    if (
        tls
        or isinstance(exc, requests.exceptions.ProxyError)
        or isinstance(
            reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ProxyError)
        )
    ):
        return ConnectError(method, path, address, _connect_cause(reason))
    if isinstance(exc, requests.exceptions.InvalidURL):
        return ConnectError(method, path, address, f"invalid URL ({_first_line(exc)})")
    if isinstance(reason, urllib3.exceptions.ProtocolError):
        detail = f"the connection broke before an answer came ({_first_line(reason)})"
        return ReadError(method, path, address, detail)
    return ReadError(method, path, address, _first_line(reason))


def _secret_forms(values: Collection[str]) -> list[str]:
    """Each secret as given and as JSON escapes it on the wire (a multi-line private key, say),
    which is how an API that quotes the request body back in an error shows it."""
    forms: list[str] = []
    for value in values:
        if value:
            escaped = json_dumps(value)[1:-1]
            forms.extend((value, escaped) if escaped != value else (value,))
    return forms


def _envelope_errors(payload: object) -> list[tuple[int | None, str]]:
    """Read both error envelopes: RealtimeKit's ``error{}`` and Cloudflare's ``errors[]``."""
    if not isinstance(payload, Mapping):
        return []
    found: list[tuple[int | None, str]] = []
    single = payload.get("error")
    if isinstance(single, Mapping):
        found.append(_code_message(single))
    elif isinstance(single, str):
        found.append((None, single))
    many = payload.get("errors")
    if isinstance(many, list):
        found.extend(_code_message(item) for item in many if isinstance(item, Mapping))
    return found


def _code_message(item: Mapping[str, Any]) -> tuple[int | None, str]:
    code = item.get("code")
    message = item.get("message")
    if isinstance(code, float) and code.is_integer():
        code = int(code)
    return (
        code if isinstance(code, int) and not isinstance(code, bool) else None,
        message if isinstance(message, str) else "no message",
    )


class RealtimeKitClient:
    """Typed calls for the recordings, meetings and webhooks endpoints; errors come out as
    ``pulumi_rtk.errors``."""

    def __init__(self, settings: ProviderSettings) -> None:
        self._settings = settings
        self._session: requests.Session | None = None
        self._lock = threading.Lock()
        self._timeout = (settings.connect_timeout, settings.request_timeout)
        self._proxies: dict[str, dict[str, str]] = {}

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("RealtimeKitClient holds the API token and must never be pickled")

    @property
    def session(self) -> requests.Session:
        session = self._session
        if session is None:
            with self._lock:
                session = self._session
                if session is None:
                    session = self._session = self._build_session()
        return session

    def _build_session(self) -> requests.Session:
        session = requests.Session()
        # requests would otherwise read the environment and ~/.netrc on every request, and a
        # netrc entry for the API host would replace the bearer token with Basic auth.
        session.trust_env = False
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        session.verify = bundle or True
        retry = _retry_policy(self._settings.max_retries)
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers.update(
            {
                "Authorization": f"Bearer {self._settings.require_token()}",
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            }
        )
        return session

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None

    def _proxies_for(self, base_url: str) -> dict[str, str]:
        """Proxy settings from the environment (NO_PROXY included), read once per endpoint."""
        proxies = self._proxies.get(base_url)
        if proxies is None:
            proxies = self._proxies[base_url] = requests.utils.get_environ_proxies(base_url)
        return proxies

    # Recordings

    def start_recording(self, target: Target, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._data("POST", target, ("recordings",), json=body)

    def start_track_recording(self, target: Target, body: Mapping[str, Any]) -> dict[str, Any]:
        parts = ("recordings", "track")
        recording = self._data("POST", target, parts, json=body).get("recording")
        if not isinstance(recording, dict):
            raise _format_error("POST", target, parts, "data.recording is not an object")
        return recording

    def get_recording(self, target: Target, recording_id: str) -> dict[str, Any]:
        return self._data("GET", target, ("recordings", recording_id))

    def act_on_recording(self, target: Target, recording_id: str, action: str) -> dict[str, Any]:
        """Stop, pause or resume; PUT is retried, since repeating an action cannot fork state."""
        return self._data("PUT", target, ("recordings", recording_id), json={"action": action})

    def get_active_recording(self, target: Target, meeting_id: str) -> dict[str, Any] | None:
        """The meeting's running recording, or None when the API answers 404."""
        try:
            return self._data("GET", target, ("recordings", "active-recording", meeting_id))
        except NotFoundError:
            return None

    def list_recordings(
        self,
        target: Target,
        *,
        meeting_id: str | None = None,
        status: Collection[str] = (),
        sort_order: str | None = None,
        search: str | None = None,
        start_time: str | None = None,
        end_time: str | None = None,
        expired: bool | None = None,
        per_page: int = 100,
        max_pages: int = 10_000,
    ) -> Iterator[dict[str, Any]]:
        """Every recording matching the filters, following pages until ``total_count``."""
        params: dict[str, Any] = {
            "meeting_id": meeting_id,
            "sort_order": sort_order,
            "search": search,
            "start_time": start_time,
            "end_time": end_time,
            "expired": None if expired is None else str(expired).lower(),
            "status": list(status) or None,
        }
        return self._pages(target, ("recordings",), params, per_page, max_pages)

    # Meetings

    def create_meeting(self, target: Target, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._data("POST", target, ("meetings",), json=body)

    def get_meeting(self, target: Target, meeting_id: str) -> dict[str, Any]:
        return self._data("GET", target, ("meetings", meeting_id))

    def update_meeting(
        self, target: Target, meeting_id: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        """PATCH the given fields only; a nested object given replaces the stored one."""
        return self._data("PATCH", target, ("meetings", meeting_id), json=fields)

    def list_meetings(
        self,
        target: Target,
        *,
        search: str | None = None,
        status: str | None = None,
        start_time: str | None = None,
        end_time: str | None = None,
        per_page: int = 100,
        max_pages: int = 10_000,
    ) -> Iterator[dict[str, Any]]:
        """Every meeting matching the filters, following pages until ``total_count``."""
        params = {
            "search": search,
            "status": status,
            "start_time": start_time,
            "end_time": end_time,
        }
        return self._pages(target, ("meetings",), params, per_page, max_pages)

    # Webhooks

    def create_webhook(self, target: Target, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._data("POST", target, ("webhooks",), json=body)

    def get_webhook(self, target: Target, webhook_id: str) -> dict[str, Any]:
        return self._data("GET", target, ("webhooks", webhook_id))

    def update_webhook(
        self, target: Target, webhook_id: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        return self._data("PATCH", target, ("webhooks", webhook_id), json=fields)

    def delete_webhook(self, target: Target, webhook_id: str) -> None:
        self._call("DELETE", target, ("webhooks", webhook_id))

    def list_webhooks(self, target: Target) -> list[dict[str, Any]]:
        payload = self._call("GET", target, ("webhooks",))
        items = payload.get("data")
        if not isinstance(items, list):
            raise _format_error("GET", target, ("webhooks",), "data is not a list")
        return [item for item in items if isinstance(item, dict)]

    # Plumbing

    def _pages(
        self,
        target: Target,
        parts: tuple[str, ...],
        filters: Mapping[str, Any],
        per_page: int,
        max_pages: int,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a paged list, following pages until ``total_count`` (bounded)."""
        params = {key: value for key, value in filters.items() if value is not None}
        params["per_page"] = per_page
        seen = 0
        for page in range(1, max_pages + 1):
            payload = self._call("GET", target, parts, params={**params, "page_no": page})
            items = payload.get("data")
            if not isinstance(items, list):
                raise _format_error("GET", target, parts, "data is not a list")
            yield from (item for item in items if isinstance(item, dict))
            seen += len(items)
            paging = payload.get("paging")
            total = _count(paging.get("total_count")) if isinstance(paging, Mapping) else None
            if not items or total is None or seen >= total:
                return

    def _data(
        self,
        method: str,
        target: Target,
        parts: tuple[str, ...],
        *,
        json: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        data = self._call(method, target, parts, json=json).get("data")
        if not isinstance(data, dict):
            raise _format_error(method, target, parts, "data is not an object")
        return data

    def _call(
        self,
        method: str,
        target: Target,
        parts: tuple[str, ...],
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        path = target.path(*parts)
        started = time.perf_counter()
        try:
            response = self.session.request(
                method,
                target.base_url + path,
                json=json,
                params=params,
                timeout=self._timeout,
                proxies=self._proxies_for(target.base_url),
            )
        except requests.RequestException as exc:
            error = _transport_error(exc, method, path, target.address, self._timeout)
            self._log(method, path, f"no response ({error.detail})", started, None)
            raise error from exc
        self._log(method, path, str(response.status_code), started, response)
        return self._parse(method, path, target.address, response, json)

    def _parse(
        self,
        method: str,
        path: str,
        address: str,
        response: requests.Response,
        body: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        status = response.status_code
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if 200 <= status < 300:
            if isinstance(payload, dict) and payload.get("success") is not False:
                return payload
            raise ResponseFormatError(
                method=method,
                path=path,
                address=address,
                status=status,
                code=None,
                message="response is not a JSON envelope",
            )
        secrets = _secret_forms([*secret_values(body), self._settings.api_token or ""])
        errors = [(code, scrub(message, secrets)) for code, message in _envelope_errors(payload)]
        # Without an envelope the reason phrase stands in, and a proxy may have put anything there.
        fallback = scrub(response.reason or "no error body", secrets)
        code, message = errors[0] if errors else (None, fallback)
        raise error_for_status(status)(
            method=method,
            path=path,
            address=address,
            status=status,
            code=code,
            message=message,
            errors=errors,
            retry_after=parse_retry_after(response.headers),
        )

    def _log(
        self,
        method: str,
        path: str,
        outcome: str,
        started: float,
        response: requests.Response | None,
    ) -> None:
        if not self._settings.debug:
            return
        retries = getattr(getattr(response, "raw", None), "retries", None)
        count = len(retries.history) if isinstance(retries, Retry) else 0
        line = (
            f"{method} {path} -> {outcome} in {(time.perf_counter() - started) * 1000:.1f} ms "
            f"(retries: {count})"
        )
        debug_log.emit(line)


def _count(value: object) -> int | None:
    """A count as servers send it: 3, 3.0 or "3"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _format_error(method: str, target: Target, parts: tuple[str, ...], message: str) -> ApiError:
    return ResponseFormatError(
        method=method,
        path=target.path(*parts),
        address=target.address,
        status=200,
        code=None,
        message=message,
    )
