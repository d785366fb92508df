"""The resources a Pulumi program declares: ``Recording`` and ``TrackRecording``.

Type tokens (``pulumi-python:dynamic/rtk:Recording``) and the provider import path are part of
every stack's state: renaming either orphans existing resources.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import pulumi
from pulumi.dynamic import Resource

from pulumi_rtk.inputs import (
    AudioConfig,
    InteractiveConfig,
    RealtimekitBucketConfig,
    RtmpOutConfig,
    StorageConfig,
    TrackLayer,
    VideoConfig,
    storage_props,
    to_props,
)
from pulumi_rtk.provider import OUTPUT_KEYS, RecordingProvider, TrackRecordingProvider

__all__ = ["Recording", "TrackRecording"]

# Credentials sit under storage_config; the engine re-marks secret inputs by key, and this makes
# the whole echoed object secret as well, whatever shape the user passed it in.
_SECRET_OUTPUTS = ["storage_config"]


def _options(opts: pulumi.ResourceOptions | None, **extra: Any) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions.merge(
        opts, pulumi.ResourceOptions(additional_secret_outputs=_SECRET_OUTPUTS, **extra)
    )


def _seeded(props: dict[str, Any]) -> dict[str, Any]:
    """Declare every output key so ``Output`` attributes exist before the engine answers."""
    return {**dict.fromkeys((*OUTPUT_KEYS, "api_base_url")), **props}


class Recording(Resource, module="rtk", name="Recording"):
    """A RealtimeKit meeting recording: ``pulumi up`` starts it, ``pulumi destroy`` stops it.

    Every start option replaces the recording when it changes (a running recording cannot be
    reconfigured); ``paused``, ``wait_for_status`` and ``wait_timeout_seconds`` update in place.
    """

    if TYPE_CHECKING:
        # Declared for type checkers only: at run time the SDK would re-read these hints for
        # every resource, and dynamic outputs need no type translation.
        meeting_id: pulumi.Output[str]
        account_id: pulumi.Output[str]
        app_id: pulumi.Output[str]
        api_base_url: pulumi.Output[str]
        status: pulumi.Output[str]
        download_url: pulumi.Output[str | None]
        audio_download_url: pulumi.Output[str | None]
        download_url_expiry: pulumi.Output[str | None]
        file_size: pulumi.Output[float | None]
        invoked_time: pulumi.Output[str | None]
        started_time: pulumi.Output[str | None]
        stopped_time: pulumi.Output[str | None]
        output_file_name: pulumi.Output[str | None]
        session_id: pulumi.Output[str | None]
        recording_duration: pulumi.Output[float | None]
        start_reason: pulumi.Output[Mapping[str, Any] | None]
        stop_reason: pulumi.Output[Mapping[str, Any] | None]
        paused: pulumi.Output[bool | None]

    def __init__(
        self,
        resource_name: str,
        *,
        meeting_id: pulumi.Input[str],
        storage_config: StorageConfig | pulumi.Input[Mapping[str, Any]] | None = None,
        audio_config: AudioConfig | pulumi.Input[Mapping[str, Any]] | None = None,
        video_config: VideoConfig | pulumi.Input[Mapping[str, Any]] | None = None,
        file_name_prefix: pulumi.Input[str] | None = None,
        interactive_config: InteractiveConfig | pulumi.Input[Mapping[str, Any]] | None = None,
        max_seconds: pulumi.Input[int] | None = None,
        realtimekit_bucket_config: RealtimekitBucketConfig
        | pulumi.Input[Mapping[str, Any]]
        | None = None,
        rtmp_out_config: RtmpOutConfig | pulumi.Input[Mapping[str, Any]] | None = None,
        url: pulumi.Input[str] | None = None,
        allow_multiple_recordings: pulumi.Input[bool] | None = None,
        paused: pulumi.Input[bool] | None = None,
        wait_for_status: pulumi.Input[Literal["RECORDING"]] | None = None,
        wait_timeout_seconds: pulumi.Input[int] | None = None,
        adopt_recording_id: pulumi.Input[str] | None = None,
        account_id: pulumi.Input[str] | None = None,
        app_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "meeting_id": meeting_id,
            "storage_config": storage_props(storage_config),
            "audio_config": to_props(audio_config),
            "video_config": to_props(video_config),
            "file_name_prefix": file_name_prefix,
            "interactive_config": to_props(interactive_config),
            "max_seconds": max_seconds,
            "realtimekit_bucket_config": to_props(realtimekit_bucket_config),
            "rtmp_out_config": to_props(rtmp_out_config),
            "url": url,
            "allow_multiple_recordings": allow_multiple_recordings,
            "paused": paused,
            "wait_for_status": wait_for_status,
            "wait_timeout_seconds": wait_timeout_seconds,
            "adopt_recording_id": adopt_recording_id,
            "account_id": account_id,
            "app_id": app_id,
        }
        super().__init__(RecordingProvider(), resource_name, _seeded(props), _options(opts))

    @classmethod
    def get(
        cls,
        resource_name: str,
        id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
        *,
        account_id: pulumi.Input[str] | None = None,
        app_id: pulumi.Input[str] | None = None,
    ) -> Recording:
        """A read-only reference to an existing recording: Pulumi reads it and never stops it."""
        recording = cls.__new__(cls)
        props = _seeded({"meeting_id": None, "account_id": account_id, "app_id": app_id})
        Resource.__init__(
            recording, RecordingProvider(), resource_name, props, _options(opts, id=id)
        )
        return recording


class TrackRecording(Resource, module="rtk", name="TrackRecording"):
    """Per-participant audio tracks of a live meeting session; destroy stops the recording."""

    if TYPE_CHECKING:
        # Declared for type checkers only: at run time the SDK would re-read these hints for
        # every resource, and dynamic outputs need no type translation.
        meeting_id: pulumi.Output[str]
        account_id: pulumi.Output[str]
        app_id: pulumi.Output[str]
        api_base_url: pulumi.Output[str]
        status: pulumi.Output[str]
        download_url: pulumi.Output[Any]
        invoked_time: pulumi.Output[str | None]
        started_time: pulumi.Output[str | None]
        stopped_time: pulumi.Output[str | None]
        output_file_name: pulumi.Output[str | None]
        recording_duration: pulumi.Output[float | None]

    def __init__(
        self,
        resource_name: str,
        *,
        meeting_id: pulumi.Input[str],
        layers: pulumi.Input[Mapping[str, TrackLayer | Mapping[str, Any]]] | None = None,
        user_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        account_id: pulumi.Input[str] | None = None,
        app_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "meeting_id": meeting_id,
            "layers": to_props(layers),
            "user_ids": to_props(user_ids),
            "account_id": account_id,
            "app_id": app_id,
        }
        super().__init__(TrackRecordingProvider(), resource_name, _seeded(props), opts)
