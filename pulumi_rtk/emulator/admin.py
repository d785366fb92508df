"""Control an emulator over its admin HTTP API (e.g. one running as a subprocess).

:class:`AdminClient` and the in-process :class:`~pulumi_rtk.emulator.app.Emulator` both
satisfy :class:`EmulatorControl`, so test helpers can accept either.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Protocol

from .api import API_PREFIX
from .requestlog import RequestRecord
from .server import ADMIN_PREFIX

__all__ = ["AdminClient", "AdminError", "EmulatorControl"]


class EmulatorControl(Protocol):
    """What tests need from an emulator, wherever it runs."""

    @property
    def base_url(self) -> str: ...

    def create_meeting(
        self, account_id: str, app_id: str, title: str = "standup", **fields: Any
    ) -> str: ...

    def join(
        self, meeting_id: str, name: str = "participant", custom_participant_id: str | None = None
    ) -> str: ...

    def leave(self, meeting_id: str, participant_id: str) -> None: ...

    def sessions(self, meeting_id: str | None = None) -> list[dict[str, Any]]: ...

    def set_app_recording_config(
        self, account_id: str, app_id: str, config: dict[str, Any]
    ) -> dict[str, Any]: ...

    def uploads(self) -> list[dict[str, Any]]: ...

    def deliveries(self) -> list[dict[str, Any]]: ...

    def wait_deliveries(self, timeout: float = 5.0) -> bool: ...

    def webhook_public_key(self) -> str: ...

    def set_latency(self, seconds: float) -> None: ...

    def advance(self, seconds: float) -> None: ...

    def requests(
        self, method: str | None = None, path: str | None = None
    ) -> list[RequestRecord]: ...

    def clear_requests(self) -> None: ...

    def recordings(self, meeting_id: str | None = None) -> list[dict[str, Any]]: ...

    def set_status(
        self, recording_id: str, status: str, stop_reason: str | None = None
    ) -> None: ...

    def forget(self, recording_id: str) -> None: ...

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
    ) -> str: ...

    def clear_faults(self) -> None: ...

    def stats(self) -> dict[str, Any]: ...

    def reset(self) -> None: ...


class AdminError(RuntimeError):
    """The admin API answered an error (the message is the server's)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class AdminClient:
    """Admin API client; ``url`` is the emulator origin, ``http://127.0.0.1:PORT``."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        # No proxies: an http_proxy in the environment must never see emulator traffic.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @property
    def base_url(self) -> str:
        return self.url + API_PREFIX

    @property
    def admin_url(self) -> str:
        return f"{self.url}{ADMIN_PREFIX}"

    def _call(self, method: str, path: str, body: object = None, wait: float = 0.0) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 (the URL is the emulator's own)
            self.admin_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with self._opener.open(request, timeout=self.timeout + wait) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            try:
                message = json.loads(exc.read()).get("error", exc.reason)
            except ValueError:
                message = exc.reason
            raise AdminError(exc.code, str(message)) from None

    def health(self) -> bool:
        return bool(self._call("GET", "/health").get("ok"))

    def create_meeting(
        self, account_id: str, app_id: str, title: str = "standup", **fields: Any
    ) -> str:
        body = {"account_id": account_id, "app_id": app_id, "title": title, **fields}
        return str(self._call("POST", "/meetings", body)["data"]["id"])

    def join(
        self, meeting_id: str, name: str = "participant", custom_participant_id: str | None = None
    ) -> str:
        body = {"name": name, "custom_participant_id": custom_participant_id}
        path = f"/meetings/{urllib.parse.quote(meeting_id)}/participants"
        return str(self._call("POST", path, body)["participant"]["id"])

    def leave(self, meeting_id: str, participant_id: str) -> None:
        path = f"/meetings/{urllib.parse.quote(meeting_id)}/participants/"
        self._call("DELETE", path + urllib.parse.quote(participant_id))

    def sessions(self, meeting_id: str | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", f"/sessions{_query(meeting_id)}")[
            "sessions"
        ]
        return result

    def set_app_recording_config(
        self, account_id: str, app_id: str, config: dict[str, Any]
    ) -> dict[str, Any]:
        body = {"account_id": account_id, "app_id": app_id, "recording_config": config}
        result: dict[str, Any] = self._call("PUT", "/app-config", body)["recording_config"]
        return result

    def uploads(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/uploads")["uploads"]
        return result

    def deliveries(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/deliveries")["deliveries"]
        return result

    def wait_deliveries(self, timeout: float = 5.0) -> bool:
        answer = self._call("POST", "/deliveries/wait", {"timeout": timeout}, wait=timeout)
        return bool(answer["drained"])

    def webhook_public_key(self) -> str:
        return str(self._call("GET", "/webhook-key")["public_key_pem"])

    def set_latency(self, seconds: float) -> None:
        self._call("PUT", "/latency", {"ms": seconds * 1000})

    def advance(self, seconds: float) -> None:
        self._call("POST", "/clock", {"advance_seconds": seconds})

    def requests(self, method: str | None = None, path: str | None = None) -> list[RequestRecord]:
        pattern = re.compile(path) if path is not None else None
        records = [RequestRecord.from_json(r) for r in self._call("GET", "/requests")["requests"]]
        return [
            r
            for r in records
            if (method is None or r.method == method.upper())
            and (pattern is None or pattern.search(r.path))
        ]

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def recordings(self, meeting_id: str | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", f"/recordings{_query(meeting_id)}")[
            "recordings"
        ]
        return result

    def set_status(self, recording_id: str, status: str, stop_reason: str | None = None) -> None:
        body = {"status": status, "stop_reason": stop_reason}
        self._call("POST", f"/recordings/{urllib.parse.quote(recording_id)}", body)

    def forget(self, recording_id: str) -> None:
        self._call("DELETE", f"/recordings/{urllib.parse.quote(recording_id)}")

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
        body = {
            "method": method,
            "path": path,
            "kind": kind,
            "count": count,
            "status": status,
            "retry_after": retry_after,
            "hang_seconds": hang_seconds,
            "act": act,
            "error_code": error_code,
        }
        return str(self._call("POST", "/faults", body)["id"])

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/stats")
        return result

    def reset(self) -> None:
        self._call("POST", "/reset")


def _query(meeting_id: str | None) -> str:
    return f"?{urllib.parse.urlencode({'meeting_id': meeting_id})}" if meeting_id else ""
