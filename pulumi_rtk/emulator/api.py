"""The RealtimeKit REST surface: routing, bearer auth and the two error envelopes.

Transport-free: :meth:`Api.call` maps (method, path, query, body, Authorization) to a
:class:`Response`, so the HTTP handler only moves bytes and applies faults.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .routing import RouteTable
from .store import Store
from .validation import (
    ApiError,
    parse_action,
    parse_list_query,
    parse_meeting,
    parse_meeting_list_query,
    parse_meeting_query,
    parse_start,
    parse_track,
    parse_webhook,
)

__all__ = ["API_PREFIX", "Api", "Response", "Route", "gateway_error", "json_response", "rtk_error"]

API_PREFIX = "/client/v4"
_SCOPE = re.compile(
    "^" + re.escape(API_PREFIX) + r"/accounts/([A-Za-z0-9_-]+)/realtime/kit/([A-Za-z0-9_-]+)(/.*)$"
)
_BEARER = re.compile(r"^Bearer ([\x21-\x7e]+)$")

Payload = dict[str, Any]
Params = tuple[str, ...]
Query = dict[str, list[str]]


@dataclass(frozen=True)
class Response:
    """A complete HTTP answer; the handler writes it in one ``write``."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "application/json"


def json_response(
    status: int, payload: object, headers: tuple[tuple[str, str], ...] = ()
) -> Response:
    return Response(status, json.dumps(payload, separators=(",", ":")).encode(), headers)


def rtk_error(status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    """The RealtimeKit service envelope: ``{"success": false, "error": {code, message}}``."""
    return json_response(
        status, {"success": False, "error": {"code": status, "message": message}}, headers
    )


def gateway_error(
    status: int,
    code: int,
    message: str,
    *,
    chain: list[dict[str, Any]] | None = None,
    extra: list[dict[str, Any]] | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> Response:
    """The Cloudflare v4 gateway envelope (auth, routing, rate limits)."""
    error: dict[str, Any] = {"code": code, "message": message}
    if chain:
        error["error_chain"] = chain
    payload = {"success": False, "errors": [error, *(extra or [])], "messages": [], "result": None}
    return json_response(status, payload, headers)


def _no_route(path: str) -> Response:
    return gateway_error(
        404,
        7003,
        f"Could not route to {path}, perhaps your object identifier is invalid?",
        extra=[{"code": 7000, "message": "No route for that URI"}],
    )


Handler = Callable[[str, str, tuple[str, ...], dict[str, list[str]], object], Payload]
"""(account id, app id, path parameters, query, parsed body) -> success payload."""


@dataclass(frozen=True)
class Route:
    """A matched route: its stats name, handler, scope and the path parameters."""

    name: str
    handler: Handler
    account_id: str
    app_id: str
    params: tuple[str, ...]


class Api:
    """Recordings, meetings and webhooks, scoped by account/app."""

    def __init__(self, store: Store, token: str) -> None:
        self._store = store
        self._token = token.encode()
        self._routes: RouteTable[Handler] = RouteTable(
            [
                ("POST", "/recordings", self._start),
                ("GET", "/recordings", self._list),
                ("POST", "/recordings/track", self._track),
                ("GET", "/recordings/active-recording/{meeting_id}", self._active),
                ("GET", "/recordings/{id}", self._get),
                ("PUT", "/recordings/{id}", self._act),
                ("POST", "/meetings", self._create_meeting),
                ("GET", "/meetings", self._list_meetings),
                ("GET", "/meetings/{id}", self._get_meeting),
                ("PATCH", "/meetings/{id}", self._patch_meeting),
                ("PUT", "/meetings/{id}", self._put_meeting),
                ("POST", "/webhooks", self._create_webhook),
                ("GET", "/webhooks", self._list_webhooks),
                ("GET", "/webhooks/{id}", self._get_webhook),
                ("PATCH", "/webhooks/{id}", self._patch_webhook),
                ("PUT", "/webhooks/{id}", self._put_webhook),
                ("DELETE", "/webhooks/{id}", self._delete_webhook),
            ]
        )

    def match(self, method: str, path: str) -> Route | None:
        scope = _SCOPE.match(path)
        if scope is None:
            return None
        account_id, app_id, rest = scope.groups()
        found = self._routes.match(method, rest)
        if found is None:
            return None
        return Route(found.name, found.handler, account_id, app_id, found.params)

    def call(
        self,
        route: Route | None,
        path: str,
        query: dict[str, list[str]],
        raw_body: bytes,
        authorization: str | None,
    ) -> Response:
        """Answer one API request: routing, then auth, then the endpoint itself."""
        if route is None:
            return _no_route(path)
        bearer = _BEARER.match(authorization or "")
        if bearer is None:
            return gateway_error(
                400,
                6003,
                "Invalid request headers",
                chain=[{"code": 6111, "message": "Invalid format for Authorization header"}],
            )
        if not hmac.compare_digest(bearer.group(1).encode(), self._token):
            return gateway_error(401, 10000, "Authentication error")
        try:
            body = _parse_json(raw_body)
            payload = route.handler(route.account_id, route.app_id, route.params, query, body)
        except ApiError as exc:
            return rtk_error(exc.status, exc.message)
        return json_response(200, payload)

    # --- endpoints (account, app, path params, query, parsed body) -> payload ------------

    def _start(self, account: str, app: str, _p: Params, _q: Query, body: object) -> Payload:
        return _ok(self._store.start(account, app, parse_start(body)))

    def _track(self, account: str, app: str, _p: Params, _q: Query, body: object) -> Payload:
        return _ok({"recording": self._store.start_track(account, app, parse_track(body))})

    def _list(self, account: str, app: str, _p: Params, query: Query, _b: object) -> Payload:
        items, paging = self._store.list_recordings(account, app, parse_list_query(query))
        return {"success": True, "data": items, "paging": paging}

    def _get(self, account: str, app: str, params: Params, _q: Query, _b: object) -> Payload:
        return _ok(self._store.get(account, app, params[0]))

    def _act(self, account: str, app: str, params: Params, _q: Query, body: object) -> Payload:
        return _ok(self._store.act(account, app, params[0], parse_action(body)))

    def _active(self, account: str, app: str, params: Params, _q: Query, _b: object) -> Payload:
        return _ok(self._store.active_recording(account, app, params[0]))

    def _create_meeting(
        self, account: str, app: str, _p: Params, _q: Query, body: object
    ) -> Payload:
        return _ok(self._store.create_meeting(account, app, parse_meeting(body)))

    def _list_meetings(
        self, account: str, app: str, _p: Params, query: Query, _b: object
    ) -> Payload:
        items, paging = self._store.list_meetings(account, app, parse_meeting_list_query(query))
        return {"success": True, "data": items, "paging": paging}

    def _get_meeting(
        self, account: str, app: str, params: Params, query: Query, _b: object
    ) -> Payload:
        parse_meeting_query(query)
        return _ok(self._store.get_meeting(account, app, params[0]))

    def _patch_meeting(
        self, account: str, app: str, params: Params, _q: Query, body: object
    ) -> Payload:
        fields = parse_meeting(_required(body), patch=True)
        return _ok(self._store.update_meeting(account, app, params[0], fields, replace=False))

    def _put_meeting(
        self, account: str, app: str, params: Params, _q: Query, body: object
    ) -> Payload:
        fields = parse_meeting(_required(body))
        return _ok(self._store.update_meeting(account, app, params[0], fields, replace=True))

    def _create_webhook(
        self, account: str, app: str, _p: Params, _q: Query, body: object
    ) -> Payload:
        return _ok(self._store.create_webhook(account, app, parse_webhook(body)))

    def _list_webhooks(self, account: str, app: str, _p: Params, _q: Query, _b: object) -> Payload:
        return _ok(self._store.list_webhooks(account, app))

    def _get_webhook(
        self, account: str, app: str, params: Params, _q: Query, _b: object
    ) -> Payload:
        return _ok(self._store.get_webhook(account, app, params[0]))

    def _patch_webhook(
        self, account: str, app: str, params: Params, _q: Query, body: object
    ) -> Payload:
        fields = parse_webhook(_required(body), patch=True)
        return _ok(self._store.update_webhook(account, app, params[0], fields))

    def _put_webhook(
        self, account: str, app: str, params: Params, _q: Query, body: object
    ) -> Payload:
        return _ok(self._store.update_webhook(account, app, params[0], parse_webhook(body)))

    def _delete_webhook(
        self, account: str, app: str, params: Params, _q: Query, _b: object
    ) -> Payload:
        return _ok(self._store.delete_webhook(account, app, params[0]))


def _required(body: object) -> object:
    """PATCH/PUT need a body (an empty one, ``{}``, is a valid no-op PATCH)."""
    if body is None:
        raise ApiError(400, "body: must be a JSON object")
    return body


def _ok(data: object) -> Payload:
    return {"success": True, "data": data}


def _parse_json(raw: bytes) -> object:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "body: must be valid JSON") from None
