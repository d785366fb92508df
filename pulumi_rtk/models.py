"""Pydantic models of what goes on the wire, and the rules the API enforces on it.

Validation happens in two passes. Pydantic checks shape, types, enums and ranges; then
``rule_violations`` checks the rules that span fields (per-type storage requirements, the codec
rule, a recording with nowhere to go). Both report ``(field path, reason)`` pairs that name what
to change, never the value, so a credential cannot leak through an error message.

The nested models carry a ``Model`` suffix: the program-side classes a user writes
(``pulumi_rtk.AudioConfig`` ...) live in ``pulumi_rtk.inputs`` under the plain names. The
literal enums here are spelled out for type checkers; ``tests/unit/test_vocabulary.py`` holds
them to ``pulumi_rtk.vocabulary``.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Collection, Iterator, Mapping
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_serializer,
)

from pulumi_rtk.vocabulary import (
    KEYED_STORES,
    MEETING_FIELDS,
    MEETING_PATCH_FIELDS,
    OBJECT_STORES,
    START_OPTIONS,
    TRACK_OPTIONS,
    WEBHOOK_FIELDS,
)

__all__ = [
    "UNKNOWN",
    "AiConfigModel",
    "AudioConfigModel",
    "Checked",
    "InteractiveConfigModel",
    "LiveStreamingConfigModel",
    "MeetingInfo",
    "MeetingInputs",
    "RealtimekitBucketConfigModel",
    "RecordingConfigModel",
    "RecordingInfo",
    "RecordingInputs",
    "RtmpOutConfigModel",
    "StartRecording",
    "StorageConfigModel",
    "SummarizationConfigModel",
    "TrackLayerModel",
    "TrackRecordingInputs",
    "TranscriptionConfigModel",
    "VideoConfigModel",
    "WatermarkModel",
    "WatermarkSizeModel",
    "WebhookInfo",
    "WebhookInputs",
    "validate",
]

# The engine's marker for a value not known until apply (pulumi.runtime.rpc.UNKNOWN); repeated
# here so validation does not import the SDK's RPC layer.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

RecordingStatus = Literal["INVOKED", "RECORDING", "UPLOADING", "UPLOADED", "ERRORED", "PAUSED"]
MeetingStatus = Literal["ACTIVE", "INACTIVE"]
StorageType = Literal["aws", "azure", "digitalocean", "gcs", "sftp"]
WebhookEvent = Literal[
    "meeting.started",
    "meeting.ended",
    "meeting.participantJoined",
    "meeting.participantLeft",
    "meeting.chatSynced",
    "recording.statusUpdate",
    "livestreaming.statusUpdate",
    "meeting.transcript",
    "meeting.summary",
]
TranscriptionLanguage = Literal["en-US", "en-IN", "de", "hi", "sv", "ru", "pl", "el", "fr", "nl"]
SummaryType = Literal[
    "general",
    "team_meeting",
    "sales_call",
    "client_check_in",
    "interview",
    "daily_standup",
    "one_on_one_meeting",
    "lecture",
    "code_review",
]

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ID = re.compile(r"^[A-Za-z0-9-]{1,36}$")


def _whole_number(value: object) -> object:
    """Pulumi carries every number as a double; accept 3600.0 as 3600 but not 3600.5."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _url(schemes: tuple[str, ...]) -> AfterValidator:
    def check(value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in schemes or not parts.netloc:
            raise ValueError(f"must be a URL with scheme {' or '.join(schemes)}")
        return value

    return AfterValidator(check)


def _pattern(regex: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not regex.match(value):
            raise ValueError(f"must be {what}")
        return value

    return AfterValidator(check)


def _distinct(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("must not repeat an entry")
    return values


WholeNumber = Annotated[StrictInt, BeforeValidator(_whole_number)]
NonEmpty = Annotated[StrictStr, Field(min_length=1)]
Uuid = Annotated[StrictStr, _pattern(_UUID, "a UUID")]
ApiId = Annotated[StrictStr, _pattern(_ID, "1-36 letters, digits or dashes")]
HttpUrl = Annotated[StrictStr, _url(("http", "https"))]
RtmpUrl = Annotated[StrictStr, _url(("rtmp", "rtmps"))]
Pixels = Annotated[WholeNumber, Field(ge=1, le=1920)]
MaxSeconds = Annotated[WholeNumber, Field(ge=60, le=86400)]


class _Wire(BaseModel):
    """Unknown keys are errors: a typo must not be dropped silently before a billable start."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Checked(_Wire):
    """A request model whose cross-field rules run after pydantic accepted its shape."""

    def rule_violations(self) -> Iterator[tuple[str, str]]:
        return iter(())


# Media options, shared by the start body and a meeting's recording_config


class WatermarkSizeModel(_Wire):
    width: Annotated[WholeNumber, Field(ge=1)] | None = None
    height: Annotated[WholeNumber, Field(ge=1)] | None = None


class WatermarkModel(_Wire):
    url: HttpUrl | None = None
    position: Literal["left top", "right top", "left bottom", "right bottom"] | None = None
    size: WatermarkSizeModel | None = None


class VideoConfigModel(_Wire):
    codec: Literal["H264", "VP8", "VP9"] | None = None
    width: Pixels | None = None
    height: Pixels | None = None
    export_file: StrictBool | None = None
    watermark: WatermarkModel | None = None


class AudioConfigModel(_Wire):
    codec: Literal["MP3", "AAC"] | None = None
    channel: Literal["mono", "stereo"] | None = None
    export_file: StrictBool | None = None


class InteractiveConfigModel(_Wire):
    type: Literal["ID3"] | None = None


class RealtimekitBucketConfigModel(_Wire):
    enabled: StrictBool


class RtmpOutConfigModel(_Wire):
    rtmp_url: RtmpUrl | None = None


class LiveStreamingConfigModel(_Wire):
    rtmp_url: RtmpUrl | None = None


class StorageConfigModel(_Wire):
    """One model for all five types; the per-type requirements are in ``rule_violations``."""

    type: StorageType
    access_key: SecretStr | None = None
    secret: SecretStr | None = None
    bucket: NonEmpty | None = None
    region: NonEmpty | None = None
    path: StrictStr | None = None
    host: NonEmpty | None = None
    port: Annotated[WholeNumber, Field(ge=1, le=65535)] | None = None
    username: NonEmpty | None = None
    password: SecretStr | None = None
    private_key: SecretStr | None = None
    auth_method: Literal["KEY", "PASSWORD"] | None = None

    @field_serializer("access_key", "secret", "password", "private_key")
    def _reveal(self, value: SecretStr | None) -> str | None:
        """The body must carry the credential itself; ``repr`` and errors keep it masked."""
        return None if value is None else value.get_secret_value()

    def _absent(self, name: str) -> str | None:
        """Why a required field does not count as given; an empty credential is no credential."""
        value = getattr(self, name)
        if value is None:
            return "required"
        if isinstance(value, SecretStr) and not value.get_secret_value():
            return "must not be empty"
        return None

    def rule_violations(self) -> Iterator[tuple[str, str]]:
        kind = self.type
        if kind in OBJECT_STORES and self.bucket is None:
            yield "bucket", f"required when type is {kind}"
        if kind in KEYED_STORES:
            for name in ("access_key", "secret", "region"):
                why = self._absent(name)
                if why:
                    yield name, f"{why} when type is {kind}"
        if kind == "sftp":
            for name in ("host", "username", "auth_method"):
                if getattr(self, name) is None:
                    yield name, "required when type is sftp"
            needed = {"KEY": "private_key", "PASSWORD": "password"}.get(self.auth_method or "")
            why = self._absent(needed) if needed else None
            if needed and why:
                yield needed, f"{why} when auth_method is {self.auth_method}"
        else:
            for name in ("host", "port", "username", "auth_method", "private_key", "password"):
                if getattr(self, name) is not None:
                    yield name, f"only valid when type is sftp, not {kind}"


def _media_rules(
    audio: AudioConfigModel | None,
    video: VideoConfigModel | None,
    bucket: RealtimekitBucketConfigModel | None,
    storage: StorageConfigModel | None,
    stream: tuple[str, object | None],
    prefix: str = "",
) -> Iterator[tuple[str, str]]:
    """The rules a start body and a meeting's recording_config share; ``stream`` names the
    option that streams the recording out instead (it counts as somewhere to go)."""
    video_codec = video.codec if video else None
    if audio and audio.codec and video_codec in {"VP8", "VP9"}:
        yield (
            f"{prefix}audio_config.codec",
            f"must be unset when video_config.codec is {video_codec} (the API uses vorbis)",
        )
    stream_name, stream_value = stream
    if bucket and not bucket.enabled and not storage and not stream_value:
        yield (
            f"{prefix}realtimekit_bucket_config.enabled",
            f"false needs a storage_config or {stream_name}, or the recording goes nowhere",
        )
    if storage:
        for name, reason in storage.rule_violations():
            yield f"{prefix}storage_config.{name}", reason


# Recordings


class StartRecording(Checked):
    """The body of ``POST .../recordings``: every option the API documents, nothing else."""

    meeting_id: Uuid
    allow_multiple_recordings: StrictBool | None = None
    audio_config: AudioConfigModel | None = None
    video_config: VideoConfigModel | None = None
    file_name_prefix: StrictStr | None = None
    interactive_config: InteractiveConfigModel | None = None
    max_seconds: MaxSeconds | None = None
    realtimekit_bucket_config: RealtimekitBucketConfigModel | None = None
    rtmp_out_config: RtmpOutConfigModel | None = None
    storage_config: StorageConfigModel | None = None
    url: HttpUrl | None = None

    def rule_violations(self) -> Iterator[tuple[str, str]]:
        return _media_rules(
            self.audio_config,
            self.video_config,
            self.realtimekit_bucket_config,
            self.storage_config,
            ("rtmp_out_config", self.rtmp_out_config),
        )

    def body(self) -> dict[str, Any]:
        """The request body: unset options are left out, never sent as null."""
        return self.model_dump(exclude_none=True, include=_START_BODY)


_START_BODY: set[str] = {"meeting_id", *START_OPTIONS}  # never mutated


class RecordingInputs(StartRecording):
    """A ``Recording`` resource's inputs: the start body plus provider-only switches."""

    account_id: ApiId | None = None
    app_id: ApiId | None = None
    paused: StrictBool | None = None
    wait_for_status: Literal["RECORDING"] | None = None
    wait_timeout_seconds: Annotated[WholeNumber, Field(ge=1, le=3600)] | None = None
    adopt_recording_id: Uuid | None = None


class TrackLayerModel(_Wire):
    file_name_prefix: StrictStr | None = None
    media_kind: Literal["audio"] | None = None


class TrackRecordingInputs(Checked):
    """A ``TrackRecording`` resource's inputs: the body of ``POST .../recordings/track``."""

    meeting_id: Uuid
    layers: dict[NonEmpty, TrackLayerModel] | None = None
    user_ids: Annotated[list[NonEmpty], Field(max_length=100)] | None = None
    account_id: ApiId | None = None
    app_id: ApiId | None = None

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True, include=_TRACK_BODY)


_TRACK_BODY: set[str] = {"meeting_id", *TRACK_OPTIONS}  # never mutated


# Meetings


class RecordingConfigModel(_Wire):
    """A meeting's ``recording_config``: the start options a meeting can carry (none of
    ``allow_multiple_recordings``, ``interactive_config``, ``url``, ``rtmp_out_config``) plus
    ``live_streaming_config``."""

    audio_config: AudioConfigModel | None = None
    video_config: VideoConfigModel | None = None
    file_name_prefix: StrictStr | None = None
    max_seconds: MaxSeconds | None = None
    realtimekit_bucket_config: RealtimekitBucketConfigModel | None = None
    storage_config: StorageConfigModel | None = None
    live_streaming_config: LiveStreamingConfigModel | None = None

    def rule_violations(self) -> Iterator[tuple[str, str]]:
        return _media_rules(
            self.audio_config,
            self.video_config,
            self.realtimekit_bucket_config,
            self.storage_config,
            ("live_streaming_config", self.live_streaming_config),
            prefix="recording_config.",
        )


class TranscriptionConfigModel(_Wire):
    keywords: list[NonEmpty] | None = None
    language: TranscriptionLanguage | None = None
    profanity_filter: StrictBool | None = None


class SummarizationConfigModel(_Wire):
    summary_type: SummaryType | None = None
    text_format: Literal["plain_text", "markdown"] | None = None
    word_limit: Annotated[WholeNumber, Field(ge=1)] | None = None


class AiConfigModel(_Wire):
    transcription: TranscriptionConfigModel | None = None
    summarization: SummarizationConfigModel | None = None


class MeetingInputs(Checked):
    """A ``Meeting`` resource's inputs: the create body, ``status`` and provider-only ids."""

    title: StrictStr | None = None
    record_on_start: StrictBool | None = None
    recording_config: RecordingConfigModel | None = None
    live_stream_on_start: StrictBool | None = None
    persist_chat: StrictBool | None = None
    summarize_on_end: StrictBool | None = None
    transcribe_on_end: StrictBool | None = None
    session_keep_alive_time_in_secs: Annotated[WholeNumber, Field(ge=60, le=600)] | None = None
    ai_config: AiConfigModel | None = None
    status: MeetingStatus | None = None
    account_id: ApiId | None = None
    app_id: ApiId | None = None
    adopt_meeting_id: Uuid | None = None

    def rule_violations(self) -> Iterator[tuple[str, str]]:
        if self.recording_config:
            yield from self.recording_config.rule_violations()

    def body(self) -> dict[str, Any]:
        """The create body: the declared fields (``status`` is not one: PATCH sets it)."""
        return self.model_dump(exclude_none=True, include=_MEETING_BODY)

    def fields(self, names: set[str]) -> dict[str, Any]:
        """A PATCH body with these fields as declared (credentials revealed)."""
        return self.model_dump(exclude_none=True, include=names & _MEETING_PATCH)


_MEETING_BODY: set[str] = set(MEETING_FIELDS)  # never mutated
_MEETING_PATCH: set[str] = set(MEETING_PATCH_FIELDS)  # never mutated


# Webhooks


class WebhookInputs(Checked):
    """A ``Webhook`` resource's inputs (``name`` defaults to the resource name program-side)."""

    name: NonEmpty
    url: HttpUrl
    events: Annotated[list[WebhookEvent], Field(min_length=1), AfterValidator(_distinct)]
    enabled: StrictBool | None = None
    account_id: ApiId | None = None
    app_id: ApiId | None = None

    def body(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True, include=_WEBHOOK_BODY)

    def fields(self, names: set[str]) -> dict[str, Any]:
        return self.model_dump(exclude_none=True, include=names & _WEBHOOK_BODY)


_WEBHOOK_BODY: set[str] = set(WEBHOOK_FIELDS)  # never mutated


# What the API reports (lookups): unknown keys ignored, so API additions don't break them


class _Report(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Caller(_Report):
    name: str | None = None
    type: str | None = None
    user_id: str | None = Field(default=None, alias="user_Id")


class Reason(_Report):
    caller: Caller | None = None
    reason: str | None = None


class RecordingInfo(_Report):
    """A recording as the API reports it."""

    id: str
    # A status the API adds later passes: a lookup reports it rather than fail on it.
    status: RecordingStatus | str
    meeting_id: str | None = None
    audio_download_url: str | None = None
    download_url: str | None = None
    download_url_expiry: str | None = None
    file_size: float | None = None
    invoked_time: str | None = None
    started_time: str | None = None
    stopped_time: str | None = None
    output_file_name: str | None = None
    session_id: str | None = None
    recording_duration: float | None = None
    start_reason: Reason | None = None
    stop_reason: Reason | None = None


class MeetingInfo(_Report):
    """A meeting as the API reports it; nested configs stay plain dicts (as the API shows them:
    storage credentials are never among them)."""

    id: str
    created_at: str
    updated_at: str
    title: str | None = None
    status: MeetingStatus | str | None = None
    record_on_start: bool | None = None
    live_stream_on_start: bool | None = None
    persist_chat: bool | None = None
    summarize_on_end: bool | None = None
    transcribe_on_end: bool | None = None
    session_keep_alive_time_in_secs: float | None = None
    recording_config: dict[str, Any] | None = None
    ai_config: dict[str, Any] | None = None


class WebhookInfo(_Report):
    """A webhook as the API reports it."""

    id: str
    name: str
    url: str
    events: list[str]
    enabled: bool
    created_at: str
    updated_at: str


# Validation entry point

Validated = TypeVar("Validated", bound=Checked)


def _dotted(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _value_at(data: object, loc: tuple[int | str, ...]) -> object:
    for part in loc:
        in_map = isinstance(data, Mapping) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if not (in_map or in_list):
            return None
        data = data[part]  # type: ignore[index]
    return data


def _has_unknown(value: object) -> bool:
    if value == UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(_has_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_unknown(item) for item in value)
    return False


_REASONS = {
    "missing": "required",
    "extra_forbidden": "unknown field; check the spelling against the API's snake_case names",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "literal_error": "must be one of {expected}",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "string_type": "must be a string",
    "string_too_short": "must not be empty",
    "bool_type": "must be true or false",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "list_type": "must be a list",
    "too_long": "must have at most {max_length} items",
    "too_short": "must have at least {min_length} item(s)",
    "value_error": "{error}",
}


def _reason(error: Mapping[str, Any], value: object) -> str:
    template = _REASONS.get(error["type"])
    if template is None:
        message = str(error["msg"])
        return message[:1].lower() + message[1:]
    reason = template.format(**error.get("ctx", {}))
    if error["type"] == "literal_error" and isinstance(value, str):
        # A typo gets its fix, and only a typo is quoted: a value close to one of the API's own
        # names is no secret, while anything else may be one pasted into the wrong field, and
        # the provider cannot tell (Pulumi has stripped the secret markers by then).
        choices = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        fix = _did_you_mean(value, choices)
        if fix:
            reason += f", not {value!r}{fix}"
    elif error["type"] == "extra_forbidden":
        reason += _did_you_mean(str(error["loc"][-1]), _field_names())
    return reason


def _did_you_mean(typed: str, choices: Collection[str]) -> str:
    folded = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(typed.lower(), folded, n=1, cutoff=0.75)
    return f" (did you mean {folded[close[0]]!r}?)" if close else ""


@functools.cache
def _field_names() -> frozenset[str]:
    """Every field name of every input model: what a misspelt key most likely meant."""
    names: set[str] = set()
    pending: list[type[BaseModel]] = [_Wire]
    while pending:
        model = pending.pop()
        names.update(model.model_fields)
        pending.extend(model.__subclasses__())
    return frozenset(names)


def validate(
    model: type[Validated], data: Mapping[str, Any]
) -> tuple[Validated | None, list[tuple[str, str]]]:
    """Validate resolved inputs; a failure caused by a value unknown until apply is not one."""
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        failures = [
            (_dotted(tuple(error["loc"])), _reason(error, _value_at(data, tuple(error["loc"]))))
            for error in exc.errors(include_url=False, include_input=False)
            # An unknown key is wrong whatever its value, so it fails even while unknown.
            if error["type"] == "extra_forbidden"
            or not _has_unknown(_value_at(data, tuple(error["loc"])))
        ]
        return None, failures
    return parsed, list(parsed.rule_violations())
