"""Strict validation of RealtimeKit request bodies and query strings.

The emulator rejects anything the real API documents as invalid *and* any key it does not
know, so a test against the emulator proves the client sends exactly the documented names.
Every message starts with the offending field path (``video_config.width: ...``).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "RECORDING_STATUSES",
    "SECRET_STORAGE_KEYS",
    "ApiError",
    "ListQuery",
    "MeetingListQuery",
    "StartRequest",
    "TrackRequest",
    "parse_action",
    "parse_list_query",
    "parse_meeting_body",
    "parse_meeting_list_query",
    "parse_start",
    "parse_track",
    "strip_secrets",
]

RECORDING_STATUSES = ("INVOKED", "RECORDING", "UPLOADING", "UPLOADED", "ERRORED", "PAUSED")
SECRET_STORAGE_KEYS = frozenset({"access_key", "secret", "password", "private_key"})
"""Write-only storage fields: validated, then dropped; never stored nor echoed."""

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HTTP_URL = re.compile(r"^https?://[^\s/?#]+\S*$")
_RTMP_URL = re.compile(r"^rtmps?://[^\s/?#]+\S*$")
_DIGITS = re.compile(r"^[0-9]+$")

_START_KEYS = frozenset(
    {
        "meeting_id",
        "allow_multiple_recordings",
        "audio_config",
        "video_config",
        "file_name_prefix",
        "interactive_config",
        "max_seconds",
        "realtimekit_bucket_config",
        "rtmp_out_config",
        "storage_config",
        "url",
    }
)
_STORAGE_READ_KEYS = ("type", "auth_method", "bucket", "host", "path", "port", "region", "username")
_STORAGE_KEYS = frozenset(_STORAGE_READ_KEYS) | SECRET_STORAGE_KEYS
_STORAGE_REQUIRED = {
    "aws": ("bucket", "access_key", "secret", "region"),
    "azure": ("bucket", "access_key", "secret", "region"),
    "digitalocean": ("bucket", "access_key", "secret", "region"),
    "gcs": ("bucket",),
    "sftp": ("host", "username", "auth_method"),
}
_MEETING_BOOL_KEYS = (
    "record_on_start",
    "live_stream_on_start",
    "persist_chat",
    "summarize_on_end",
    "transcribe_on_end",
)


class ApiError(Exception):
    """An RTK-level failure, answered as ``{"success": false, "error": {code, message}}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _bad(message: str) -> ApiError:
    return ApiError(400, message)


class _Obj:
    """A JSON object under validation: rejects unknown keys, reads typed fields.

    JSON ``null`` counts as "not given" for optional fields (the SDKs model them as
    ``Optional``), but never satisfies a required one.
    """

    def __init__(self, value: object, path: str, allowed: frozenset[str]) -> None:
        if not isinstance(value, dict):
            raise _bad(f"{path or 'body'}: must be a JSON object")
        for key in value:
            if key not in allowed:
                raise _bad(f"{self._join(path, str(key))}: unknown field")
        self.data: dict[str, Any] = value
        self.path = path

    @staticmethod
    def _join(path: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    def name(self, key: str) -> str:
        return self._join(self.path, key)

    def _get(self, key: str, required: bool) -> object:
        value = self.data.get(key)
        if value is None and required:
            raise _bad(f"{self.name(key)}: is required")
        return value

    def string(self, key: str, *, required: bool = False) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise _bad(f"{self.name(key)}: must be a string")
        if required and not value:
            raise _bad(f"{self.name(key)}: must not be empty")
        return value

    def boolean(self, key: str, *, required: bool = False) -> bool | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise _bad(f"{self.name(key)}: must be a boolean")
        return value

    def integer(self, key: str, low: int, high: int | None = None) -> int | None:
        value = self._get(key, False)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(f"{self.name(key)}: must be an integer")
        if high is None and value < low:
            raise _bad(f"{self.name(key)}: must be >= {low}")
        if high is not None and not low <= value <= high:
            raise _bad(f"{self.name(key)}: must be between {low} and {high}")
        return value

    def enum(self, key: str, values: tuple[str, ...], *, required: bool = False) -> str | None:
        value = self.string(key, required=required)
        if value is not None and value not in values:
            raise _bad(f"{self.name(key)}: must be one of {', '.join(values)}")
        return value

    def url(self, key: str, pattern: re.Pattern[str], kind: str) -> str | None:
        value = self.string(key)
        if value is not None and not pattern.match(value):
            raise _bad(f"{self.name(key)}: must be an {kind} URL")
        return value

    def uuid(self, key: str) -> str:
        value = self.string(key, required=True)
        assert value is not None  # required=True raised otherwise
        if not _UUID.match(value):
            raise _bad(f"{self.name(key)}: must be a UUID")
        return value.lower()

    def obj(self, key: str, allowed: frozenset[str]) -> _Obj | None:
        value = self._get(key, False)
        return None if value is None else _Obj(value, self.name(key), allowed)


@dataclass(frozen=True)
class StartRequest:
    """A validated ``POST /recordings`` body, secrets already removed."""

    meeting_id: str
    allow_multiple_recordings: bool
    start_config: dict[str, Any]
    storage_view: dict[str, Any] | None
    audio_codec: str | None
    """``None`` when no ``audio_config`` was given (then there is no audio download)."""
    bucket_enabled: bool
    max_seconds: int
    file_name_prefix: str | None


@dataclass(frozen=True)
class TrackRequest:
    """A validated ``POST /recordings/track`` body."""

    meeting_id: str
    start_config: dict[str, Any]
    file_name_prefix: str


def strip_secrets(config: dict[str, Any]) -> dict[str, Any]:
    """Deep copy of a body with the write-only keys of any ``storage_config`` removed."""
    clean = copy.deepcopy(config)
    storage = clean.get("storage_config")
    if isinstance(storage, dict):
        for key in SECRET_STORAGE_KEYS:
            storage.pop(key, None)
    return clean


def _parse_storage(body: _Obj) -> dict[str, Any] | None:
    storage = body.obj("storage_config", _STORAGE_KEYS)
    if storage is None:
        return None
    kind = storage.enum("type", tuple(_STORAGE_REQUIRED), required=True)
    assert kind is not None
    for key in ("bucket", "region", "path", "host", "username"):
        storage.string(key)
    for key in SECRET_STORAGE_KEYS:
        storage.string(key)
    storage.integer("port", 1, 65535)
    auth = storage.enum("auth_method", ("KEY", "PASSWORD"))
    required = list(_STORAGE_REQUIRED[kind])
    if kind == "sftp":
        required.append("private_key" if auth == "KEY" else "password")
    for key in required:
        storage.string(key, required=True)
    return {key: storage.data.get(key) for key in _STORAGE_READ_KEYS}


def parse_start(raw: object) -> StartRequest:
    """Validate a start-recording body (rules of the Start recording API reference)."""
    body = _Obj(raw, "", _START_KEYS)
    meeting_id = body.uuid("meeting_id")
    allow_multiple = body.boolean("allow_multiple_recordings") or False

    audio = body.obj("audio_config", frozenset({"channel", "codec", "export_file"}))
    audio_codec: str | None = None
    if audio is not None:
        audio.enum("channel", ("mono", "stereo"))
        audio_codec = audio.enum("codec", ("MP3", "AAC")) or "AAC"
        audio.boolean("export_file")

    video_keys = frozenset({"codec", "width", "height", "export_file", "watermark"})
    video = body.obj("video_config", video_keys)
    if video is not None:
        video_codec = video.enum("codec", ("H264", "VP8", "VP9"))
        video.integer("width", 1, 1920)
        video.integer("height", 1, 1920)
        video.boolean("export_file")
        watermark = video.obj("watermark", frozenset({"url", "position", "size"}))
        if watermark is not None:
            watermark.url("url", _HTTP_URL, "http(s)")
            watermark.enum("position", ("left top", "right top", "left bottom", "right bottom"))
            size = watermark.obj("size", frozenset({"width", "height"}))
            if size is not None:
                size.integer("width", 1)
                size.integer("height", 1)
        if video_codec in ("VP8", "VP9") and audio is not None and audio.data.get("codec"):
            raise _bad(
                "audio_config.codec: cannot be set when video_config.codec is VP8 or VP9 "
                "(the audio codec is then vorbis)"
            )

    prefix = body.string("file_name_prefix")
    interactive = body.obj("interactive_config", frozenset({"type"}))
    if interactive is not None:
        interactive.enum("type", ("ID3",))
    max_seconds = body.integer("max_seconds", 60, 86400) or 86400
    bucket = body.obj("realtimekit_bucket_config", frozenset({"enabled"}))
    bucket_enabled = True
    if bucket is not None:
        bucket_enabled = bool(bucket.boolean("enabled", required=True))
    rtmp = body.obj("rtmp_out_config", frozenset({"rtmp_url"}))
    if rtmp is not None:
        rtmp.url("rtmp_url", _RTMP_URL, "rtmp(s)")
    body.url("url", _HTTP_URL, "http(s)")
    storage_view = _parse_storage(body)
    if not bucket_enabled and storage_view is None and rtmp is None:
        raise _bad(
            "realtimekit_bucket_config.enabled: false needs a storage_config or an "
            "rtmp_out_config, otherwise the recording goes nowhere"
        )
    return StartRequest(
        meeting_id=meeting_id,
        allow_multiple_recordings=allow_multiple,
        start_config=strip_secrets(body.data),
        storage_view=storage_view,
        audio_codec=audio_codec,
        bucket_enabled=bucket_enabled,
        max_seconds=max_seconds,
        file_name_prefix=prefix,
    )


def parse_track(raw: object) -> TrackRequest:
    """Validate a track-recording body: ``meeting_id``, ``layers``, ``user_ids``."""
    body = _Obj(raw, "", frozenset({"meeting_id", "layers", "user_ids"}))
    meeting_id = body.uuid("meeting_id")
    prefix = "default"
    layers = body.data.get("layers")
    if layers is not None:
        if not isinstance(layers, dict):
            raise _bad("layers: must be a JSON object")
        for name, layer_raw in layers.items():
            layer = _Obj(layer_raw, f"layers.{name}", frozenset({"file_name_prefix", "media_kind"}))
            layer.enum("media_kind", ("audio",))
            prefix = layer.string("file_name_prefix") or prefix
    user_ids = body.data.get("user_ids")
    if user_ids is not None:
        if not isinstance(user_ids, list) or not all(isinstance(u, str) for u in user_ids):
            raise _bad("user_ids: must be a list of strings")
        if len(user_ids) > 100:
            raise _bad("user_ids: must hold at most 100 entries")
    return TrackRequest(
        meeting_id=meeting_id, start_config=copy.deepcopy(body.data), file_name_prefix=prefix
    )


def parse_action(raw: object) -> str:
    """Validate a ``PUT /recordings/{id}`` body and return the action."""
    body = _Obj(raw, "", frozenset({"action"}))
    action = body.enum("action", ("stop", "pause", "resume"), required=True)
    assert action is not None
    return action


def parse_meeting_body(raw: object) -> dict[str, Any]:
    """Validate a create-meeting body; returns it with storage secrets removed."""
    keys = frozenset(
        {"title", "status", "session_keep_alive_time_in_secs", "recording_config", "ai_config"}
        | set(_MEETING_BOOL_KEYS)
    )
    body = _Obj({} if raw is None else raw, "", keys)
    body.string("title")
    body.enum("status", ("ACTIVE", "INACTIVE"))
    for key in _MEETING_BOOL_KEYS:
        body.boolean(key)
    body.integer("session_keep_alive_time_in_secs", 60, 600)
    for key in ("recording_config", "ai_config"):
        value = body.data.get(key)
        if value is not None and not isinstance(value, dict):
            raise _bad(f"{key}: must be a JSON object")
    clean = copy.deepcopy(body.data)
    if isinstance(clean.get("recording_config"), dict):
        clean["recording_config"] = strip_secrets(clean["recording_config"])
    return clean


# --- query strings -------------------------------------------------------------------


@dataclass(frozen=True)
class ListQuery:
    """Validated ``GET /recordings`` query."""

    meeting_id: str | None = None
    statuses: tuple[str, ...] = ()
    page_no: int = 1
    per_page: int = 20
    descending: bool = True
    search: str | None = None
    expired: bool | None = None
    start_time: float | None = None
    end_time: float | None = None


@dataclass(frozen=True)
class MeetingListQuery:
    """Validated ``GET /meetings`` query."""

    page_no: int = 1
    per_page: int = 20
    search: str | None = None


class _Query:
    """A parsed query string under validation; unknown parameters are rejected."""

    def __init__(self, query: dict[str, list[str]], allowed: frozenset[str]) -> None:
        for key in query:
            if key not in allowed:
                raise _bad(f"{key}: unknown query parameter")
        self.query = query

    def one(self, key: str) -> str | None:
        values = self.query.get(key)
        if not values:
            return None
        if len(values) > 1:
            raise _bad(f"{key}: must be given once")
        return values[0]

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.one(key)
        if value is None:
            return default
        if not _DIGITS.match(value) or not low <= int(value) <= high:
            raise _bad(f"{key}: must be an integer between {low} and {high}")
        return int(value)

    def enum(self, key: str, values: tuple[str, ...]) -> str | None:
        value = self.one(key)
        if value is not None and value not in values:
            raise _bad(f"{key}: must be one of {', '.join(values)}")
        return value

    def timestamp(self, key: str) -> float | None:
        value = self.one(key)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise _bad(f"{key}: must be an ISO 8601 date-time") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.timestamp()


def parse_list_query(query: dict[str, list[str]]) -> ListQuery:
    """Validate the ``GET /recordings`` query (``status`` may repeat)."""
    q = _Query(
        query,
        frozenset(
            {
                "meeting_id",
                "status",
                "page_no",
                "per_page",
                "sort_by",
                "sort_order",
                "search",
                "expired",
                "start_time",
                "end_time",
            }
        ),
    )
    meeting_id = q.one("meeting_id")
    if meeting_id is not None and not _UUID.match(meeting_id):
        raise _bad("meeting_id: must be a UUID")
    statuses = tuple(query.get("status", ()))
    for status in statuses:
        if status not in RECORDING_STATUSES:
            raise _bad(f"status: must be one of {', '.join(RECORDING_STATUSES)}")
    q.enum("sort_by", ("invokedTime",))
    expired = q.enum("expired", ("true", "false"))
    start, end = q.timestamp("start_time"), q.timestamp("end_time")
    if start is not None and end is not None and start > end:
        raise _bad("start_time: must not be after end_time")
    return ListQuery(
        meeting_id=meeting_id.lower() if meeting_id else None,
        statuses=statuses,
        page_no=q.integer("page_no", 1, 1, 1_000_000),
        per_page=q.integer("per_page", 20, 1, 100),
        descending=q.enum("sort_order", ("ASC", "DESC")) != "ASC",
        search=q.one("search"),
        expired=None if expired is None else expired == "true",
        start_time=start,
        end_time=end,
    )


def parse_meeting_list_query(query: dict[str, list[str]]) -> MeetingListQuery:
    """Validate the ``GET /meetings`` query."""
    q = _Query(query, frozenset({"page_no", "per_page", "search"}))
    return MeetingListQuery(
        page_no=q.integer("page_no", 1, 1, 1_000_000),
        per_page=q.integer("per_page", 20, 1, 100),
        search=q.one("search"),
    )
