"""Typed inputs for the start options, as a Pulumi program writes them.

Every field takes a ``pulumi.Input``: a plain value, another resource's Output or a secret
Output. Validation cannot happen here (Outputs are not known yet); the provider validates the
resolved values in ``check``, before any request. Each class has a plain-dict equivalent with
the API's snake_case keys, so ``{"type": "sftp", ...}`` works wherever ``SftpStorage`` does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import pulumi

from pulumi_rtk.vocabulary import STORAGE_SECRET_FIELDS

__all__ = [
    "AiConfig",
    "AudioConfig",
    "AwsStorage",
    "AzureStorage",
    "DigitalOceanStorage",
    "GcsStorage",
    "InteractiveConfig",
    "LiveStreamingConfig",
    "RealtimekitBucketConfig",
    "RecordingConfig",
    "RtmpOutConfig",
    "SftpStorage",
    "StorageConfig",
    "SummarizationConfig",
    "TrackLayer",
    "TranscriptionConfig",
    "VideoConfig",
    "Watermark",
    "WatermarkSize",
]


@dataclass(frozen=True, kw_only=True)
class _Input:
    """Turns itself into the props dict the provider receives; unset fields are left out."""

    def to_props(self) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is not None:
                props[field.name] = to_props(value)
        return props


@dataclass(frozen=True, kw_only=True)
class _Storage(_Input):
    type: ClassVar[str]

    def to_props(self) -> dict[str, Any]:
        return _storage_props({"type": self.type, **super().to_props()})


@dataclass(frozen=True, kw_only=True)
class _KeyedStorage(_Storage):
    bucket: pulumi.Input[str]
    region: pulumi.Input[str]
    access_key: pulumi.Input[str]
    secret: pulumi.Input[str]
    path: pulumi.Input[str] | None = None


@dataclass(frozen=True, kw_only=True)
class AwsStorage(_KeyedStorage):
    """An S3 bucket; ``access_key`` and ``secret`` are stored as Pulumi secrets."""

    type: ClassVar[str] = "aws"


@dataclass(frozen=True, kw_only=True)
class AzureStorage(_KeyedStorage):
    """An Azure Blob container."""

    type: ClassVar[str] = "azure"


@dataclass(frozen=True, kw_only=True)
class DigitalOceanStorage(_KeyedStorage):
    """A DigitalOcean Spaces bucket."""

    type: ClassVar[str] = "digitalocean"


@dataclass(frozen=True, kw_only=True)
class GcsStorage(_Storage):
    """A Google Cloud Storage bucket; the API does not need an access key for it."""

    type: ClassVar[str] = "gcs"
    bucket: pulumi.Input[str]
    access_key: pulumi.Input[str] | None = None
    secret: pulumi.Input[str] | None = None
    region: pulumi.Input[str] | None = None
    path: pulumi.Input[str] | None = None


@dataclass(frozen=True, kw_only=True)
class SftpStorage(_Storage):
    """An SSH server; ``private_key`` for KEY, ``password`` for PASSWORD (or a key passphrase)."""

    type: ClassVar[str] = "sftp"
    host: pulumi.Input[str]
    username: pulumi.Input[str]
    auth_method: pulumi.Input[Literal["KEY", "PASSWORD"]]
    private_key: pulumi.Input[str] | None = None
    password: pulumi.Input[str] | None = None
    port: pulumi.Input[int] | None = None
    path: pulumi.Input[str] | None = None


StorageConfig = AwsStorage | AzureStorage | DigitalOceanStorage | GcsStorage | SftpStorage


@dataclass(frozen=True, kw_only=True)
class AudioConfig(_Input):
    codec: pulumi.Input[Literal["MP3", "AAC"]] | None = None
    channel: pulumi.Input[Literal["mono", "stereo"]] | None = None
    export_file: pulumi.Input[bool] | None = None


@dataclass(frozen=True, kw_only=True)
class WatermarkSize(_Input):
    width: pulumi.Input[int] | None = None
    height: pulumi.Input[int] | None = None


@dataclass(frozen=True, kw_only=True)
class Watermark(_Input):
    url: pulumi.Input[str] | None = None
    position: (
        pulumi.Input[Literal["left top", "right top", "left bottom", "right bottom"]] | None
    ) = None
    size: WatermarkSize | pulumi.Input[Mapping[str, Any]] | None = None


@dataclass(frozen=True, kw_only=True)
class VideoConfig(_Input):
    codec: pulumi.Input[Literal["H264", "VP8", "VP9"]] | None = None
    width: pulumi.Input[int] | None = None
    height: pulumi.Input[int] | None = None
    export_file: pulumi.Input[bool] | None = None
    watermark: Watermark | pulumi.Input[Mapping[str, Any]] | None = None


@dataclass(frozen=True, kw_only=True)
class InteractiveConfig(_Input):
    type: pulumi.Input[Literal["ID3"]] | None = "ID3"


@dataclass(frozen=True, kw_only=True)
class RealtimekitBucketConfig(_Input):
    """``enabled=False`` keeps the recording out of RealtimeKit's bucket (no download URLs)."""

    enabled: pulumi.Input[bool]


@dataclass(frozen=True, kw_only=True)
class RtmpOutConfig(_Input):
    rtmp_url: pulumi.Input[str] | None = None


@dataclass(frozen=True, kw_only=True)
class LiveStreamingConfig(_Input):
    """Where a meeting's recordings are also streamed live (``rtmp://`` or ``rtmps://``)."""

    rtmp_url: pulumi.Input[str] | None = None


@dataclass(frozen=True, kw_only=True)
class RecordingConfig(_Input):
    """How a meeting records: the start options a meeting carries (used by ``record_on_start``
    and by recordings started without options). Credentials in ``storage_config`` are secret."""

    storage_config: StorageConfig | pulumi.Input[Mapping[str, Any]] | None = None
    video_config: VideoConfig | pulumi.Input[Mapping[str, Any]] | None = None
    audio_config: AudioConfig | pulumi.Input[Mapping[str, Any]] | None = None
    file_name_prefix: pulumi.Input[str] | None = None
    max_seconds: pulumi.Input[int] | None = None
    realtimekit_bucket_config: RealtimekitBucketConfig | pulumi.Input[Mapping[str, Any]] | None = (
        None
    )
    live_streaming_config: LiveStreamingConfig | pulumi.Input[Mapping[str, Any]] | None = None

    def to_props(self) -> dict[str, Any]:
        props = super().to_props()
        if self.storage_config is not None:
            props["storage_config"] = storage_props(self.storage_config)
        return props


@dataclass(frozen=True, kw_only=True)
class TranscriptionConfig(_Input):
    """Transcription of a meeting: ``language`` (``en-US``, ``de``, ...), ``keywords`` to
    recognise, ``profanity_filter``."""

    language: (
        pulumi.Input[Literal["en-US", "en-IN", "de", "hi", "sv", "ru", "pl", "el", "fr", "nl"]]
        | None
    ) = None
    keywords: pulumi.Input[list[pulumi.Input[str]]] | None = None
    profanity_filter: pulumi.Input[bool] | None = None


@dataclass(frozen=True, kw_only=True)
class SummarizationConfig(_Input):
    """Summaries of a meeting's transcript: ``summary_type`` (``general``, ``team_meeting``,
    ``daily_standup``, ...), ``text_format`` (``plain_text`` or ``markdown``), ``word_limit``."""

    summary_type: pulumi.Input[str] | None = None
    text_format: pulumi.Input[Literal["plain_text", "markdown"]] | None = None
    word_limit: pulumi.Input[int] | None = None


@dataclass(frozen=True, kw_only=True)
class AiConfig(_Input):
    """A meeting's transcription and summary settings."""

    transcription: TranscriptionConfig | pulumi.Input[Mapping[str, Any]] | None = None
    summarization: SummarizationConfig | pulumi.Input[Mapping[str, Any]] | None = None


@dataclass(frozen=True, kw_only=True)
class TrackLayer(_Input):
    """One output layer of a track recording (per-participant audio)."""

    file_name_prefix: pulumi.Input[str] | None = None
    media_kind: pulumi.Input[Literal["audio"]] | None = None


def to_props(value: Any) -> Any:
    """Typed inputs and nested dicts become plain props; Outputs pass through untouched."""
    if isinstance(value, _Input):
        return value.to_props()
    if isinstance(value, Mapping):
        return {key: to_props(item) for key, item in value.items() if item is not None}
    if isinstance(value, list | tuple):
        return [to_props(item) for item in value]
    return value


def recording_config_props(value: Any) -> Any:
    """A meeting's recording config as props, its storage credentials wrapped as secrets."""
    if value is None or isinstance(value, RecordingConfig):
        return None if value is None else value.to_props()
    if isinstance(value, Mapping):
        props = to_props(value)
        if props.get("storage_config") is not None:
            props["storage_config"] = storage_props(value["storage_config"])
        return props
    if isinstance(value, pulumi.Output):
        return pulumi.Output.secret(value)
    raise TypeError(
        f"recording_config must be RecordingConfig or a dict, not {type(value).__name__}"
    )


def storage_props(value: Any) -> Any:
    """Storage config as props, with every credential wrapped as a Pulumi secret."""
    if value is None or isinstance(value, _Storage):
        return None if value is None else value.to_props()
    if isinstance(value, Mapping):
        return _storage_props(to_props(value))
    if isinstance(value, pulumi.Output):
        return pulumi.Output.secret(value)
    raise TypeError(
        "storage_config must be AwsStorage, AzureStorage, DigitalOceanStorage, GcsStorage, "
        f"SftpStorage or a dict with a 'type' key, not {type(value).__name__}"
    )


def _storage_props(props: dict[str, Any]) -> dict[str, Any]:
    return {
        key: pulumi.Output.secret(value) if key in STORAGE_SECRET_FIELDS else value
        for key, value in props.items()
    }
