"""Cloudflare RealtimeKit recording setups as Pulumi resources: recordings, meetings, webhooks.

Names load on first use: ``from pulumi_rtk import Recording`` pays for Pulumi and the typed
inputs only, lookups add requests and pydantic, and ``python -m pulumi_rtk.emulator`` (stdlib
only) pays for nothing else.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pulumi_rtk._version import __version__

if TYPE_CHECKING:
    from pulumi_rtk.inputs import (
        AiConfig,
        AudioConfig,
        AwsStorage,
        AzureStorage,
        DigitalOceanStorage,
        GcsStorage,
        InteractiveConfig,
        LiveStreamingConfig,
        RealtimekitBucketConfig,
        RecordingConfig,
        RtmpOutConfig,
        SftpStorage,
        SummarizationConfig,
        TrackLayer,
        TranscriptionConfig,
        VideoConfig,
        Watermark,
        WatermarkSize,
    )
    from pulumi_rtk.lookups import (
        get_active_recording,
        get_meeting,
        get_recording,
        list_meetings,
        list_recordings,
        list_webhooks,
    )
    from pulumi_rtk.models import MeetingInfo, RecordingInfo, WebhookInfo
    from pulumi_rtk.resource import Meeting, Recording, TrackRecording, Webhook

_HOMES = {
    "pulumi_rtk.inputs": (
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
        "SummarizationConfig",
        "TrackLayer",
        "TranscriptionConfig",
        "VideoConfig",
        "Watermark",
        "WatermarkSize",
    ),
    "pulumi_rtk.resource": ("Meeting", "Recording", "TrackRecording", "Webhook"),
    "pulumi_rtk.lookups": (
        "get_active_recording",
        "get_meeting",
        "get_recording",
        "list_meetings",
        "list_recordings",
        "list_webhooks",
    ),
    "pulumi_rtk.models": ("MeetingInfo", "RecordingInfo", "WebhookInfo"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "AiConfig",
    "AudioConfig",
    "AwsStorage",
    "AzureStorage",
    "DigitalOceanStorage",
    "GcsStorage",
    "InteractiveConfig",
    "LiveStreamingConfig",
    "Meeting",
    "MeetingInfo",
    "RealtimekitBucketConfig",
    "Recording",
    "RecordingConfig",
    "RecordingInfo",
    "RtmpOutConfig",
    "SftpStorage",
    "SummarizationConfig",
    "TrackLayer",
    "TrackRecording",
    "TranscriptionConfig",
    "VideoConfig",
    "Watermark",
    "WatermarkSize",
    "Webhook",
    "WebhookInfo",
    "__version__",
    "get_active_recording",
    "get_meeting",
    "get_recording",
    "list_meetings",
    "list_recordings",
    "list_webhooks",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'pulumi_rtk' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
