"""HTTP client for the RealtimeKit recordings API.

One ``requests.Session`` per client, built on first use under a lock: the provider object is
pickled into Pulumi state, and a session (with the bearer token in its headers) must never be.
Retries use urllib3's ``Retry`` through the requests adapter, for GET and PUT only: a start
request (POST) is never blindly repeated, the provider decides what to do after a failed one.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
import time
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from json import dumps as json_dumps
from typing import Any, Final
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from pulumi_rtk._version import __version__
from pulumi_rtk.config import ProviderSettings
from pulumi_rtk.errors import (
    ApiError,
    ApiTimeoutError,
    NotFoundError,
    ResponseFormatError,
    TransportError,
    error_for_status,
)
from pulumi_rtk.secrets import scrub, secret_values

__all__ = ["RETRYABLE_STATUSES", "USER_AGENT", "RealtimeKitClient", "Target"]

USER_AGENT: Final = f"pulumi-rtk/{__version__}"
RETRYABLE_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})
RETRY_AFTER_CAP_SECONDS: Final = 30.0

log = logging.getLogger("pulumi_rtk.http")


@dataclass(frozen=True)
class Target:
    """Where a recording lives; stored in state so read and delete outlive config changes."""

    base_url: str
    account_id: str
    app_id: str

    @functools.cached_property
    def _prefix(self) -> str:
        segments = ("accounts", self.account_id, "realtime", "kit", self.app_id)
        return "".join("/" + quote(segment, safe="") for segment in segments)

    def path(self, *parts: str) -> str:
        return self._prefix + "".join("/" + quote(part, safe="") for part in parts)


class _Retry(Retry):
    """urllib3's Retry with a ceiling on Retry-After, which urllib3 would honour unbounded."""

    RETRY_AFTER_STATUS_CODES = RETRYABLE_STATUSES

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, RETRY_AFTER_CAP_SECONDS)


def _retry_policy(max_retries: int) -> Retry:
    return _Retry(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        status=max_retries,
        other=0,
        allowed_methods=frozenset({"GET", "PUT"}),
        status_forcelist=RETRYABLE_STATUSES,
        backoff_factor=0.25,
        backoff_max=8.0,
        backoff_jitter=0.25,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
    )


def _timed_out(exc: requests.RequestException) -> bool:
    """A read timeout, also when urllib3's retries ran out on one (requests then wraps it in
    ConnectionError(MaxRetryError(reason=ReadTimeoutError)))."""
    if isinstance(exc, requests.Timeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ReadTimeoutError)


def _retry_after(response: requests.Response) -> float | None:
    """The server's Retry-After, parsed and capped by the same rules as the retry policy."""
    raw = response.raw
    if not isinstance(raw, BaseHTTPResponse):
        return None
    return _Retry().get_retry_after(raw)


def _secret_forms(values: Iterable[str]) -> list[str]:
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
    return (
        code if isinstance(code, int) and not isinstance(code, bool) else None,
        message if isinstance(message, str) else "no message",
    )


class RealtimeKitClient:
    """Typed calls for the six recordings endpoints; errors come out as ``pulumi_rtk.errors``."""

    def __init__(self, settings: ProviderSettings) -> None:
        self._settings = settings
        self._session: requests.Session | None = None
        self._lock = threading.Lock()
        self._timeout = (settings.connect_timeout, settings.request_timeout)
        self._proxies: dict[str, dict[str, str]] = {}
        if settings.debug:
            _enable_debug_log()

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

    # Endpoints

    def start_recording(self, target: Target, body: Mapping[str, Any]) -> dict[str, Any]:
        return self._data("POST", target, ("recordings",), json=body)

    def start_track_recording(self, target: Target, body: Mapping[str, Any]) -> dict[str, Any]:
        parts = ("recordings", "track")
        recording = self._data("POST", target, parts, json=body).get("recording")
        if not isinstance(recording, dict):
            raise _format_error("POST", target.path(*parts), "data.recording is not an object")
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
        per_page: int = 100,
        sort_order: str | None = None,
        search: str | None = None,
        start_time: str | None = None,
        end_time: str | None = None,
        expired: bool | None = None,
        max_pages: int = 1000,
    ) -> Iterator[dict[str, Any]]:
        """Every recording matching the filters, following pages until ``total_count``."""
        params: dict[str, Any] = {"per_page": per_page}
        optional: dict[str, Any] = {
            "meeting_id": meeting_id,
            "sort_order": sort_order,
            "search": search,
            "start_time": start_time,
            "end_time": end_time,
            "expired": None if expired is None else str(expired).lower(),
        }
        params.update({key: value for key, value in optional.items() if value is not None})
        if status:
            params["status"] = list(status)
        seen = 0
        for page in range(1, max_pages + 1):
            payload = self._call("GET", target, ("recordings",), params={**params, "page_no": page})
            items = payload.get("data")
            if not isinstance(items, list):
                raise _format_error("GET", target.path("recordings"), "data is not a list")
            yield from (item for item in items if isinstance(item, dict))
            seen += len(items)
            paging = payload.get("paging")
            total = paging.get("total_count") if isinstance(paging, Mapping) else None
            if not items or not isinstance(total, int) or seen >= total:
                return

    # Plumbing

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
            raise _format_error(method, target.path(*parts), "data is not an object")
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
            self._log(method, path, None, started, None)
            if _timed_out(exc):
                detail = f"no answer within {self._timeout[1]:g} s"
                raise ApiTimeoutError(method, path, detail) from exc
            raise TransportError(method, path, type(exc).__name__) from exc
        self._log(method, path, response.status_code, started, response)
        return self._parse(method, path, response, json)

    def _parse(
        self,
        method: str,
        path: str,
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
            raise _format_error(method, path, "response is not a JSON envelope", status)
        secrets = _secret_forms([*secret_values(body), self._settings.api_token or ""])
        errors = [(code, scrub(message, secrets)) for code, message in _envelope_errors(payload)]
        # Without an envelope the reason phrase stands in, and a proxy may have put anything there.
        fallback = scrub(response.reason or "no error body", secrets)
        code, message = errors[0] if errors else (None, fallback)
        raise error_for_status(status)(
            method=method,
            path=path,
            status=status,
            code=code,
            message=message,
            errors=errors,
            retry_after=_retry_after(response),
        )

    def _log(
        self,
        method: str,
        path: str,
        status: int | None,
        started: float,
        response: requests.Response | None,
    ) -> None:
        if not self._settings.debug:
            return
        retries = getattr(getattr(response, "raw", None), "retries", None)
        count = len(retries.history) if isinstance(retries, Retry) else 0
        log.info(
            "%s %s -> %s in %.1f ms (retries: %d)",
            method,
            path,
            status if status is not None else "no response",
            (time.perf_counter() - started) * 1000,
            count,
        )


def _format_error(method: str, path: str, message: str, status: int = 200) -> ApiError:
    return ResponseFormatError(method=method, path=path, status=status, code=None, message=message)


_debug_lock = threading.Lock()


def _enable_debug_log() -> None:
    """Send request lines to stderr, which the Pulumi engine shows for dynamic providers."""
    with _debug_lock:
        if any(getattr(h, "_rtk_debug", False) for h in log.handlers):
            return
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("pulumi-rtk: %(message)s"))
        handler._rtk_debug = True  # type: ignore[attr-defined]
        log.addHandler(handler)
        log.setLevel(logging.INFO)
