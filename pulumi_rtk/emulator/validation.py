"""Strict validation of RealtimeKit request bodies and query strings.

The emulator rejects anything the real API documents as invalid *and* any key it does not
know, so a test against the emulator proves the client sends exactly the documented names.
Every message starts with the offending field path (``video_config.width: ...``).

The request schemas below are tables transcribed from the official SDK's request types
(``cloudflare==5.9.0``, generated from Cloudflare's OpenAPI schema). The emulator keeps its
own copy of this vocabulary on purpose, instead of importing the provider's: it exists to
check the client independently, so it must not share the client's mistakes.

JSON types follow the schema: ``integer`` fields (video ``width``/``height``, watermark size,
``word_limit``, the start body's ``max_seconds``) take JSON integers only; ``number`` fields
(``session_keep_alive_time_in_secs``, a meeting's ``max_seconds``, storage ``port``,
``page_no``, ``per_page``) also take doubles such as ``60.0``, because the official SDK and
Pulumi send numbers as floats. Fractional values are still refused there: every ``number``
field of these APIs counts whole units (seconds, ports, pages).
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "MEETING_STATUSES",
    "RECORDING_STATUSES",
    "SECRET_STORAGE_KEYS",
    "WEBHOOK_EVENTS",
    "ApiError",
    "ListQuery",
    "MeetingListQuery",
    "StartRequest",
    "TrackRequest",
    "derive_recording",
    "merge_configs",
    "parse_action",
    "parse_app_recording_config",
    "parse_list_query",
    "parse_meeting",
    "parse_meeting_list_query",
    "parse_meeting_query",
    "parse_start",
    "parse_track",
    "parse_webhook",
    "strip_secrets",
]

RECORDING_STATUSES = ("INVOKED", "RECORDING", "UPLOADING", "UPLOADED", "ERRORED", "PAUSED")
MEETING_STATUSES = ("ACTIVE", "INACTIVE")
WEBHOOK_EVENTS = (
    "meeting.started",
    "meeting.ended",
    "meeting.participantJoined",
    "meeting.participantLeft",
    "meeting.chatSynced",
    "recording.statusUpdate",
    "livestreaming.statusUpdate",
    "meeting.transcript",
    "meeting.summary",
)
SECRET_STORAGE_KEYS = frozenset({"access_key", "secret", "password", "private_key"})
"""Write-only storage fields: validated, then dropped; never stored nor echoed."""

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_URLS = {
    "http(s)": re.compile(r"^https?://[^\s/?#]+\S*$"),
    "rtmp(s)": re.compile(r"^rtmps?://[^\s/?#]+\S*$"),
}
_WHOLE = re.compile(r"^[0-9]+(?:\.0*)?$")
_STORAGE_READ_KEYS = ("type", "auth_method", "bucket", "host", "path", "port", "region", "username")
_STORAGE_REQUIRED = {
    "aws": ("bucket", "access_key", "secret", "region"),
    "azure": ("bucket", "access_key", "secret", "region"),
    "digitalocean": ("bucket", "access_key", "secret", "region"),
    "gcs": ("bucket",),
    "sftp": ("host", "username", "auth_method"),
}
DEFAULT_MAX_SECONDS = 86400


class ApiError(Exception):
    """An RTK-level failure, answered as ``{"success": false, "error": {code, message}}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _bad(message: str) -> ApiError:
    return ApiError(400, message)


# --- the schema table -------------------------------------------------------------------


@dataclass(frozen=True)
class F:
    """One field of a request schema: its JSON type as the SDK declares it, and its limits.

    ``type`` is one of ``string``, ``boolean``, ``integer``, ``number``, ``enum``, ``url``,
    ``uuid``, ``object`` (``fields``), ``map`` (any key, values ``item``) and ``list``
    (``item``).
    """

    type: str
    required: bool = False
    low: int | None = None
    high: int | None = None
    values: tuple[str, ...] = ()
    url: str = ""
    fields: Mapping[str, F] = field(default_factory=dict)
    item: F | None = None
    max_items: int | None = None
    unique: bool = False


def _obj(required: bool = False, **fields: F) -> F:
    return F("object", required=required, fields=fields)


def _enum(*values: str, required: bool = False) -> F:
    return F("enum", required=required, values=values)


_STRING = F("string")
_BOOLEAN = F("boolean")
_AUDIO = _obj(channel=_enum("mono", "stereo"), codec=_enum("MP3", "AAC"), export_file=_BOOLEAN)
_VIDEO = _obj(
    codec=_enum("H264", "VP8", "VP9"),
    width=F("integer", low=1, high=1920),
    height=F("integer", low=1, high=1920),
    export_file=_BOOLEAN,
    watermark=_obj(
        url=F("url", url="http(s)"),
        position=_enum("left top", "right top", "left bottom", "right bottom"),
        size=_obj(width=F("integer", low=1), height=F("integer", low=1)),
    ),
)
_STORAGE = _obj(
    type=_enum(*_STORAGE_REQUIRED, required=True),
    access_key=_STRING,
    secret=_STRING,
    bucket=_STRING,
    region=_STRING,
    path=_STRING,
    host=_STRING,
    port=F("number", low=1, high=65535),
    username=_STRING,
    password=_STRING,
    private_key=_STRING,
    auth_method=_enum("KEY", "PASSWORD"),
)
_BUCKET = _obj(enabled=F("boolean", required=True))
START_SCHEMA = _obj(
    meeting_id=F("uuid", required=True),
    allow_multiple_recordings=_BOOLEAN,
    audio_config=_AUDIO,
    video_config=_VIDEO,
    file_name_prefix=_STRING,
    interactive_config=_obj(type=_enum("ID3")),
    max_seconds=F("integer", low=60, high=86400),
    realtimekit_bucket_config=_BUCKET,
    rtmp_out_config=_obj(rtmp_url=F("url", url="rtmp(s)")),
    storage_config=_STORAGE,
    url=F("url", url="http(s)"),
)
TRACK_SCHEMA = _obj(
    meeting_id=F("uuid", required=True),
    layers=F("map", item=_obj(file_name_prefix=_STRING, media_kind=_enum("audio"))),
    user_ids=F("list", item=_STRING, max_items=100),
)
RECORDING_CONFIG_SCHEMA = _obj(
    audio_config=_AUDIO,
    video_config=_VIDEO,
    file_name_prefix=_STRING,
    max_seconds=F("number", low=60, high=86400),
    realtimekit_bucket_config=_BUCKET,
    storage_config=_STORAGE,
    live_streaming_config=_obj(rtmp_url=F("url", url="rtmp(s)")),
)
_AI_CONFIG = _obj(
    transcription=_obj(
        keywords=F("list", item=_STRING),
        language=_enum("en-US", "en-IN", "de", "hi", "sv", "ru", "pl", "el", "fr", "nl"),
        profanity_filter=_BOOLEAN,
    ),
    summarization=_obj(
        summary_type=_enum(
            "general",
            "team_meeting",
            "sales_call",
            "client_check_in",
            "interview",
            "daily_standup",
            "one_on_one_meeting",
            "lecture",
            "code_review",
        ),
        text_format=_enum("plain_text", "markdown"),
        word_limit=F("integer", low=1),
    ),
)
_MEETING_FIELDS: dict[str, F] = {
    "title": _STRING,
    "record_on_start": _BOOLEAN,
    "live_stream_on_start": _BOOLEAN,
    "persist_chat": _BOOLEAN,
    "summarize_on_end": _BOOLEAN,
    "transcribe_on_end": _BOOLEAN,
    "session_keep_alive_time_in_secs": F("number", low=60, high=600),
    "recording_config": RECORDING_CONFIG_SCHEMA,
    "ai_config": _AI_CONFIG,
}
MEETING_SCHEMA = F("object", fields=_MEETING_FIELDS)
"""``POST /meetings`` and ``PUT /meetings/{id}``: the SDK's create/replace have no ``status``."""
MEETING_PATCH_SCHEMA = F("object", fields={**_MEETING_FIELDS, "status": _enum(*MEETING_STATUSES)})
_EVENTS = F("list", item=_enum(*WEBHOOK_EVENTS), unique=True)
WEBHOOK_SCHEMA = _obj(
    name=F("string", required=True),
    url=F("url", url="http(s)", required=True),
    events=F("list", required=True, item=_EVENTS.item, unique=True),
    enabled=_BOOLEAN,
)
WEBHOOK_PATCH_SCHEMA = _obj(
    name=_STRING, url=F("url", url="http(s)"), events=_EVENTS, enabled=_BOOLEAN
)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _check(value: object, spec: F, path: str) -> Any:
    """Validate ``value`` against ``spec``; returns a clean copy (nulls dropped, 2.0 → 2)."""
    kind = spec.type
    if kind in ("object", "map"):
        if not isinstance(value, dict):
            raise _bad(f"{path or 'body'}: must be a JSON object")
        if kind == "map":
            assert spec.item is not None
            return {k: _check(v, spec.item, _join(path, str(k))) for k, v in value.items()}
        for key in value:
            if key not in spec.fields:
                raise _bad(f"{_join(path, str(key))}: unknown field")
        clean: dict[str, Any] = {}
        for key, sub in spec.fields.items():
            item = value.get(key)
            if item is None:
                if sub.required:
                    raise _bad(f"{_join(path, key)}: is required")
                continue
            clean[key] = _check(item, sub, _join(path, key))
        return clean
    if kind == "list":
        if not isinstance(value, list):
            raise _bad(f"{path}: must be a list")
        if spec.required and not value:
            raise _bad(f"{path}: must not be empty")
        if spec.max_items is not None and len(value) > spec.max_items:
            raise _bad(f"{path}: must hold at most {spec.max_items} entries")
        assert spec.item is not None
        items = [_check(v, spec.item, f"{path}[{i}]") for i, v in enumerate(value)]
        if spec.unique and len(set(map(repr, items))) != len(items):
            raise _bad(f"{path}: must not hold duplicates")
        return items
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _bad(f"{path}: must be a boolean")
        return value
    if kind in ("integer", "number"):
        return _number(value, spec, path)
    if not isinstance(value, str):
        raise _bad(f"{path}: must be a string")
    if spec.required and not value:
        raise _bad(f"{path}: must not be empty")
    if kind == "enum" and value not in spec.values:
        raise _bad(f"{path}: must be one of {', '.join(spec.values)}")
    if kind == "url" and not _URLS[spec.url].match(value):
        raise _bad(f"{path}: must be an {spec.url} URL")
    if kind == "uuid":
        if not _UUID.match(value):
            raise _bad(f"{path}: must be a UUID")
        return value.lower()
    return value


def _number(value: object, spec: F, path: str) -> int:
    if spec.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(f"{path}: must be an integer")
        number = value
    else:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _bad(f"{path}: must be a number")
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            raise _bad(f"{path}: must be a whole number")
        number = int(value)
    low, high = spec.low, spec.high
    if low is not None and high is None and number < low:
        raise _bad(f"{path}: must be >= {low}")
    if low is not None and high is not None and not low <= number <= high:
        raise _bad(f"{path}: must be between {low} and {high}")
    return number


def _validate(raw: object, schema: F) -> dict[str, Any]:
    result: dict[str, Any] = _check(raw, schema, "")
    return result


# --- recordings ------------------------------------------------------------------------


@dataclass(frozen=True)
class StartRequest:
    """A validated ``POST /recordings`` body, secrets already removed."""

    meeting_id: str
    allow_multiple_recordings: bool
    start_config: dict[str, Any]
    """The body as given (minus secrets): the highest level of the config precedence."""


@dataclass(frozen=True)
class RecordingSettings:
    """What the lifecycle needs from an effective (merged) recording config."""

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


def _check_recording_rules(config: dict[str, Any], path: str) -> None:
    """Rules that span fields (the schema table holds one field at a time)."""
    storage = config.get("storage_config")
    if storage is not None:
        required = list(_STORAGE_REQUIRED[storage["type"]])
        if storage["type"] == "sftp":
            required.append("private_key" if storage.get("auth_method") == "KEY" else "password")
        for key in required:
            if not storage.get(key):
                raise _bad(f"{_join(path, 'storage_config')}.{key}: is required")
    video_codec = config.get("video_config", {}).get("codec")
    if video_codec in ("VP8", "VP9") and config.get("audio_config", {}).get("codec"):
        raise _bad(
            f"{_join(path, 'audio_config')}.codec: cannot be set when video_config.codec is "
            "VP8 or VP9 (the audio codec is then vorbis)"
        )


def merge_configs(*levels: dict[str, Any]) -> dict[str, Any]:
    """Merge recording configs, highest precedence first (start call > meeting > app).

    Objects merge key by key, except ``storage_config``, which a level replaces whole: a
    bucket from one level with the credentials type of another would describe no storage.
    """
    merged: dict[str, Any] = {}
    for level in reversed(levels):
        for key, value in level.items():
            old = merged.get(key)
            if key != "storage_config" and isinstance(old, dict) and isinstance(value, dict):
                merged[key] = merge_configs(value, old)
            else:
                merged[key] = copy.deepcopy(value)
    return merged


def derive_recording(config: dict[str, Any]) -> RecordingSettings:
    """Settings of a recording from its effective config; 400 if it would go nowhere."""
    bucket = config.get("realtimekit_bucket_config")
    bucket_enabled = True if bucket is None else bool(bucket["enabled"])
    storage = config.get("storage_config")
    streams = config.get("rtmp_out_config") or config.get("live_streaming_config")
    if not bucket_enabled and storage is None and not streams:
        raise _bad(
            "realtimekit_bucket_config.enabled: false needs a storage_config or an "
            "rtmp_out_config, otherwise the recording goes nowhere"
        )
    audio = config.get("audio_config")
    return RecordingSettings(
        storage_view=None if storage is None else {k: storage.get(k) for k in _STORAGE_READ_KEYS},
        audio_codec=None if audio is None else audio.get("codec", "AAC"),
        bucket_enabled=bucket_enabled,
        max_seconds=int(config.get("max_seconds", DEFAULT_MAX_SECONDS)),
        file_name_prefix=config.get("file_name_prefix"),
    )


def parse_start(raw: object) -> StartRequest:
    """Validate a start-recording body (rules of the Start recording API reference)."""
    body = _validate(raw, START_SCHEMA)
    _check_recording_rules(body, "")
    return StartRequest(
        meeting_id=body["meeting_id"],
        allow_multiple_recordings=body.get("allow_multiple_recordings", False),
        start_config=strip_secrets(body),
    )


def parse_track(raw: object) -> TrackRequest:
    """Validate a track-recording body: ``meeting_id``, ``layers``, ``user_ids``."""
    body = _validate(raw, TRACK_SCHEMA)
    prefix = "default"
    for layer in body.get("layers", {}).values():
        prefix = layer.get("file_name_prefix") or prefix
    return TrackRequest(meeting_id=body["meeting_id"], start_config=body, file_name_prefix=prefix)


def parse_action(raw: object) -> str:
    """Validate a ``PUT /recordings/{id}`` body and return the action."""
    body = _validate(raw, _obj(action=_enum("stop", "pause", "resume", required=True)))
    action: str = body["action"]
    return action


# --- meetings and webhooks -----------------------------------------------------------


def parse_meeting(raw: object, *, patch: bool = False) -> dict[str, Any]:
    """Validate a meeting body (create/replace, or ``patch`` with ``status``); no secrets."""
    body = _validate({} if raw is None else raw, MEETING_PATCH_SCHEMA if patch else MEETING_SCHEMA)
    config = body.get("recording_config")
    if config is not None:
        _check_recording_rules(config, "recording_config")
        body["recording_config"] = strip_secrets(config)
    return body


def parse_app_recording_config(raw: object) -> dict[str, Any]:
    """Validate an app-level default recording config (admin API); no secrets."""
    config = _validate({} if raw is None else raw, RECORDING_CONFIG_SCHEMA)
    _check_recording_rules(config, "")
    return strip_secrets(config)


def parse_webhook(raw: object, *, patch: bool = False) -> dict[str, Any]:
    """Validate a webhook body: full (create/replace) or partial (``patch``)."""
    body = _validate(raw, WEBHOOK_PATCH_SCHEMA if patch else WEBHOOK_SCHEMA)
    if not patch:
        body.setdefault("enabled", True)
    for key in ("name", "events"):
        if key in body and not body[key]:
            raise _bad(f"{key}: must not be empty")
    return body


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
    status: str | None = None
    start_time: float | None = None
    end_time: float | None = None


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

    def number(self, key: str, default: int, low: int, high: int) -> int:
        """A ``number`` parameter: ``2`` and ``2.0`` both read as 2 (the SDK sends floats)."""
        value = self.one(key)
        if value is None:
            return default
        if not _WHOLE.match(value) or not low <= float(value) <= high:
            raise _bad(f"{key}: must be a whole number between {low} and {high}")
        return int(float(value))

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

    def window(self) -> tuple[float | None, float | None]:
        start, end = self.timestamp("start_time"), self.timestamp("end_time")
        if start is not None and end is not None and start > end:
            raise _bad("start_time: must not be after end_time")
        return start, end


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
    start, end = q.window()
    return ListQuery(
        meeting_id=meeting_id.lower() if meeting_id else None,
        statuses=statuses,
        page_no=q.number("page_no", 1, 1, 1_000_000),
        per_page=q.number("per_page", 20, 1, 100),
        descending=q.enum("sort_order", ("ASC", "DESC")) != "ASC",
        search=q.one("search"),
        expired=None if expired is None else expired == "true",
        start_time=start,
        end_time=end,
    )


def parse_meeting_list_query(query: dict[str, list[str]]) -> MeetingListQuery:
    """Validate the ``GET /meetings`` query; the time window filters ``created_at``."""
    q = _Query(
        query,
        frozenset({"page_no", "per_page", "search", "status", "start_time", "end_time"}),
    )
    start, end = q.window()
    return MeetingListQuery(
        page_no=q.number("page_no", 1, 1, 1_000_000),
        per_page=q.number("per_page", 20, 1, 100),
        search=q.one("search"),
        status=q.enum("status", MEETING_STATUSES),
        start_time=start,
        end_time=end,
    )


def parse_meeting_query(query: dict[str, list[str]]) -> None:
    """``GET /meetings/{id}`` takes only ``name`` (in the SDK, undocumented; ignored here)."""
    _Query(query, frozenset({"name"})).one("name")
