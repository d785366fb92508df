"""Cloudflare RealtimeKit meeting recordings as Pulumi resources.

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
        AudioConfig,
        AwsStorage,
        AzureStorage,
        DigitalOceanStorage,
        GcsStorage,
        InteractiveConfig,
        RealtimekitBucketConfig,
        RtmpOutConfig,
        SftpStorage,
        TrackLayer,
        VideoConfig,
        Watermark,
        WatermarkSize,
    )
    from pulumi_rtk.lookups import get_active_recording, get_recording, list_recordings
    from pulumi_rtk.models import RecordingInfo
    from pulumi_rtk.resource import Recording, TrackRecording

_HOMES = {
    "pulumi_rtk.inputs": (
        "AudioConfig",
        "AwsStorage",
        "AzureStorage",
        "DigitalOceanStorage",
        "GcsStorage",
        "InteractiveConfig",
        "RealtimekitBucketConfig",
        "RtmpOutConfig",
        "SftpStorage",
        "TrackLayer",
        "VideoConfig",
        "Watermark",
        "WatermarkSize",
    ),
    "pulumi_rtk.resource": ("Recording", "TrackRecording"),
    "pulumi_rtk.lookups": ("get_active_recording", "get_recording", "list_recordings"),
    "pulumi_rtk.models": ("RecordingInfo",),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "AudioConfig",
    "AwsStorage",
    "AzureStorage",
    "DigitalOceanStorage",
    "GcsStorage",
    "InteractiveConfig",
    "RealtimekitBucketConfig",
    "Recording",
    "RecordingInfo",
    "RtmpOutConfig",
    "SftpStorage",
    "TrackLayer",
    "TrackRecording",
    "VideoConfig",
    "Watermark",
    "WatermarkSize",
    "__version__",
    "get_active_recording",
    "get_recording",
    "list_recordings",
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
