"""Cloudflare RealtimeKit meeting recordings as Pulumi resources.

Importing the package loads Pulumi and the typed inputs only; the HTTP client, pydantic models
and lookups load on first use, so declaring resources stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pulumi_rtk._version import __version__
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
from pulumi_rtk.resource import Recording, TrackRecording

if TYPE_CHECKING:
    from pulumi_rtk.lookups import get_active_recording, get_recording, list_recordings
    from pulumi_rtk.models import RecordingInfo

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

_LAZY = {
    "get_recording": "pulumi_rtk.lookups",
    "get_active_recording": "pulumi_rtk.lookups",
    "list_recordings": "pulumi_rtk.lookups",
    "RecordingInfo": "pulumi_rtk.models",
}


def __getattr__(name: str) -> Any:
    """Load lookups (requests, pydantic) only when a program uses them."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pulumi_rtk' has no attribute {name!r}")
    import importlib  # noqa: PLC0415

    return getattr(importlib.import_module(module), name)
