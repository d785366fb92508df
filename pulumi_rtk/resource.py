"""The resources a Pulumi program declares: ``Recording``, ``TrackRecording``, ``Meeting``,
``Webhook``.

Type tokens (``pulumi-python:dynamic/rtk:Recording`` ...) and the provider classes' import paths
(``pulumi_rtk.provider``) are part of every stack's state: renaming either orphans existing
resources.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

import pulumi
from pulumi.dynamic import Resource

from pulumi_rtk.inputs import (
    AiConfig,
    AudioConfig,
    InteractiveConfig,
    RealtimekitBucketConfig,
    RecordingConfig,
    RtmpOutConfig,
    StorageConfig,
    TrackLayer,
    VideoConfig,
    recording_config_props,
    storage_props,
    to_props,
)
from pulumi_rtk.provider import (
    MeetingProvider,
    RecordingProvider,
    TrackRecordingProvider,
    WebhookProvider,
)
from pulumi_rtk.providers.base import MANAGED_KEY, TARGET_OUTPUTS, ProviderBase
from pulumi_rtk.vocabulary import (
    MEETING_OUTPUTS,
    MEETING_PATCH_FIELDS,
    RECORDING_OUTPUTS,
    WEBHOOK_FIELDS,
    WEBHOOK_OUTPUTS,
)

__all__ = ["Meeting", "Recording", "TrackRecording", "Webhook"]

# Credentials sit under storage_config; the engine re-marks secret inputs by key, and this makes
# the whole echoed object secret as well, whatever shape the user passed it in.
_RECORDING_SECRET_OUTPUTS = ["storage_config"]

# What each provider reports (its outputs besides the inputs it echoes): registered up front,
# since the SDK makes an Output attribute only for a property declared at registration.
_RECORDING_REPORTS = (*RECORDING_OUTPUTS, "meeting_id", *TARGET_OUTPUTS)
_MEETING_REPORTS = (*MEETING_PATCH_FIELDS, *MEETING_OUTPUTS, MANAGED_KEY, *TARGET_OUTPUTS)
_WEBHOOK_REPORTS = (*WEBHOOK_FIELDS, *WEBHOOK_OUTPUTS, MANAGED_KEY, *TARGET_OUTPUTS)

_R = TypeVar("_R", bound="_Resource")


def _options(
    opts: pulumi.ResourceOptions | None, secret_outputs: list[str] | None = None, **extra: Any
) -> pulumi.ResourceOptions:
    if not secret_outputs and not extra:
        return opts or pulumi.ResourceOptions()
    return pulumi.ResourceOptions.merge(
        opts, pulumi.ResourceOptions(additional_secret_outputs=secret_outputs, **extra)
    )


def _props(inputs: Mapping[str, Any], reports: Iterable[str]) -> dict[str, Any]:
    """What a resource registers: every key its provider reports, and the inputs a program set.

    A reported key is declared as None so that its ``Output`` attribute exists before the engine
    answers. An unset input is not declared: None never reaches the engine anyway, and every
    declared property costs the SDK an ``Output`` to make, resolve and track (see
    ``_Resource.__getattr__`` for its attribute).
    """
    props = dict.fromkeys(reports)
    props.update((key, value) for key, value in inputs.items() if value is not None)
    return props


class _Resource(Resource):
    """What every pulumi_rtk resource shares: attributes for the inputs a program left unset,
    and read-only references (``get``)."""

    # Set by each resource: its provider, the keys the provider reports, the outputs to keep
    # secret, and the names of its inputs.
    _provider_class: ClassVar[type[ProviderBase]]
    _reports: ClassVar[tuple[str, ...]]
    _secret_outputs: ClassVar[list[str] | None] = None
    # The names of a resource's inputs: its constructor's keyword parameters.
    _input_names: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        parameters = inspect.signature(cls.__init__).parameters
        cls._input_names = frozenset(parameters) - {"self", "resource_name", "opts"}

    if not TYPE_CHECKING:
        # Hidden from type checkers, which would otherwise accept any attribute name.

        def __getattr__(self, name: str) -> pulumi.Output[Any]:
            """An unset input is not registered (see ``_props``); its attribute is made on
            first use, resolving as a registered unset input would: to None once the resource
            exists, unknown while its id is, with the resource as its dependency."""
            if name not in type(self)._input_names:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            unset = self.id.apply(lambda _id: None)
            self.__dict__[name] = unset
            return unset

    def _register(
        self, resource_name: str, inputs: Mapping[str, Any], opts: pulumi.ResourceOptions | None
    ) -> None:
        """Register with the engine: the inputs a program set and every key the provider
        reports."""
        props = _props(inputs, self._reports)
        options = _options(opts, self._secret_outputs)
        Resource.__init__(self, self._provider_class(), resource_name, props, options)

    @classmethod
    def get(
        cls: type[_R],
        resource_name: str,
        id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
        *,
        account_id: pulumi.Input[str] | None = None,
        app_id: pulumi.Input[str] | None = None,
    ) -> _R:
        """A read-only reference to an existing object by its id: Pulumi reads it (``pulumi
        refresh`` updates it) and never changes, stops, deactivates or deletes it."""
        reference = cls.__new__(cls)
        with_id = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
        reference._register(resource_name, {"account_id": account_id, "app_id": app_id}, with_id)
        return reference


class Recording(_Resource, module="rtk", name="Recording"):
    """A RealtimeKit meeting recording: ``pulumi up`` starts it, ``pulumi destroy`` stops it.

    Every start option replaces the recording when it changes (a running recording cannot be
    reconfigured); ``paused``, ``wait_for_status`` and ``wait_timeout_seconds`` update in place.

    Args:
        resource_name: the Pulumi resource name.
        meeting_id: the meeting to record (a UUID). A recording of a meeting nobody is in
            stops by itself after 60 s (``stop_reason`` ``ALL_PEERS_LEFT``).
        storage_config: where the file goes: ``AwsStorage``, ``AzureStorage``,
            ``DigitalOceanStorage``, ``GcsStorage``, ``SftpStorage`` or a dict with ``type``.
            Credentials are stored as secrets.
        audio_config: ``AudioConfig(codec="MP3"|"AAC", channel="mono"|"stereo", export_file)``.
        video_config: ``VideoConfig(codec="H264"|"VP8"|"VP9", width, height, export_file,
            watermark)``; pixels 1..1920.
        file_name_prefix: prefix of the recording's file name.
        interactive_config: ``InteractiveConfig(type="ID3")``: timed metadata in the file.
        max_seconds: stop after this long, 60..86400 (the API's default is 24 h).
        realtimekit_bucket_config: ``RealtimekitBucketConfig(enabled=False)`` keeps the file
            out of RealtimeKit's bucket (then it needs a storage_config or rtmp_out_config).
        rtmp_out_config: ``RtmpOutConfig(rtmp_url="rtmp(s)://...")``: stream it live too.
        url: record this web page instead of the default meeting view (http or https).
        allow_multiple_recordings: let this recording run beside others on the meeting.
        paused: pause (True) or resume (False) in place.
        wait_for_status: ``"RECORDING"`` makes ``pulumi up`` return only once it records.
        wait_timeout_seconds: how long to wait for ``wait_for_status``, 1..3600 (default 300).
        adopt_recording_id: manage an existing recording instead of starting one (dynamic
            resources cannot be imported).
        account_id: the Cloudflare account; defaults to ``rtk:accountId``.
        app_id: the RealtimeKit app; defaults to ``rtk:appId``.
        opts: resource options.
    """

    _provider_class = RecordingProvider
    _reports = _RECORDING_REPORTS
    _secret_outputs = _RECORDING_SECRET_OUTPUTS

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
        storage_config: pulumi.Output[Mapping[str, Any] | None]
        audio_config: pulumi.Output[Mapping[str, Any] | None]
        video_config: pulumi.Output[Mapping[str, Any] | None]
        file_name_prefix: pulumi.Output[str | None]
        interactive_config: pulumi.Output[Mapping[str, Any] | None]
        max_seconds: pulumi.Output[float | None]
        realtimekit_bucket_config: pulumi.Output[Mapping[str, Any] | None]
        rtmp_out_config: pulumi.Output[Mapping[str, Any] | None]
        url: pulumi.Output[str | None]
        allow_multiple_recordings: pulumi.Output[bool | None]
        wait_for_status: pulumi.Output[str | None]
        wait_timeout_seconds: pulumi.Output[float | None]
        adopt_recording_id: pulumi.Output[str | None]

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
        self._register(resource_name, props, opts)


class TrackRecording(_Resource, module="rtk", name="TrackRecording"):
    """Per-participant audio tracks of a live meeting session; destroy stops the recording.

    Args:
        resource_name: the Pulumi resource name.
        meeting_id: the meeting, which must have a live session.
        layers: output layers by name, e.g. ``{"default": TrackLayer(media_kind="audio",
            file_name_prefix="speaker")}``.
        user_ids: record only these participants (up to 100), present and future.
        account_id: the Cloudflare account; defaults to ``rtk:accountId``.
        app_id: the RealtimeKit app; defaults to ``rtk:appId``.
        opts: resource options.
    """

    _provider_class = TrackRecordingProvider
    _reports = _RECORDING_REPORTS

    if TYPE_CHECKING:
        meeting_id: pulumi.Output[str]
        account_id: pulumi.Output[str]
        app_id: pulumi.Output[str]
        api_base_url: pulumi.Output[str]
        status: pulumi.Output[str]
        download_url: pulumi.Output[Any]
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
        layers: pulumi.Output[Mapping[str, Any] | None]
        user_ids: pulumi.Output[list[str] | None]

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
        self._register(resource_name, props, opts)


class Meeting(_Resource, module="rtk", name="Meeting"):
    """A RealtimeKit meeting, kept as declared: the durable part of a recording setup.

    Every field updates in place with one PATCH of what changed; only ``account_id`` and
    ``app_id`` replace the meeting. The API cannot delete a meeting, so ``pulumi destroy``
    deactivates it (``status`` ``INACTIVE``: joins are refused, history and recordings stay).
    Pulumi manages the fields you set, at every level; fields left out stay as the API has them.

    Args:
        resource_name: the Pulumi resource name.
        title: the meeting's title.
        record_on_start: start a recording, with ``recording_config``, as soon as the first
            participant joins.
        recording_config: how the meeting records: ``RecordingConfig(storage_config=...,
            video_config=..., audio_config=..., file_name_prefix=..., max_seconds=...,
            realtimekit_bucket_config=..., live_streaming_config=...)`` or a dict. Used by
            ``record_on_start`` and by recordings started without options; a start call's own
            options win over it, and it wins over the app's dashboard defaults. Storage
            credentials are secret and write-only: changing one is an update that re-sends it.
        live_stream_on_start: start live streaming as soon as the first participant joins.
        persist_chat: keep the chat for a week in the meeting space.
        summarize_on_end: summarise the transcript when the meeting ends (needs
            ``transcribe_on_end``).
        transcribe_on_end: transcribe the meeting when it ends.
        session_keep_alive_time_in_secs: how long a session outlives its last participant,
            60..600.
        ai_config: ``AiConfig(transcription=TranscriptionConfig(...),
            summarization=SummarizationConfig(...))`` or a dict.
        status: ``"ACTIVE"`` (default) or ``"INACTIVE"`` (joins refused).
        adopt_meeting_id: manage an existing meeting instead of creating one (dynamic
            resources cannot be imported); its declared fields are brought to these values.
        account_id: the Cloudflare account; defaults to ``rtk:accountId``.
        app_id: the RealtimeKit app; defaults to ``rtk:appId``.
        opts: resource options.
    """

    _provider_class = MeetingProvider
    _reports = _MEETING_REPORTS

    if TYPE_CHECKING:
        title: pulumi.Output[str | None]
        status: pulumi.Output[str]
        record_on_start: pulumi.Output[bool | None]
        recording_config: pulumi.Output[Mapping[str, Any] | None]
        live_stream_on_start: pulumi.Output[bool | None]
        persist_chat: pulumi.Output[bool | None]
        summarize_on_end: pulumi.Output[bool | None]
        transcribe_on_end: pulumi.Output[bool | None]
        session_keep_alive_time_in_secs: pulumi.Output[float | None]
        ai_config: pulumi.Output[Mapping[str, Any] | None]
        created_at: pulumi.Output[str]
        updated_at: pulumi.Output[str]
        managed_fields: pulumi.Output[list[str]]
        adopt_meeting_id: pulumi.Output[str | None]
        account_id: pulumi.Output[str]
        app_id: pulumi.Output[str]
        api_base_url: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        title: pulumi.Input[str] | None = None,
        record_on_start: pulumi.Input[bool] | None = None,
        recording_config: RecordingConfig | pulumi.Input[Mapping[str, Any]] | None = None,
        live_stream_on_start: pulumi.Input[bool] | None = None,
        persist_chat: pulumi.Input[bool] | None = None,
        summarize_on_end: pulumi.Input[bool] | None = None,
        transcribe_on_end: pulumi.Input[bool] | None = None,
        session_keep_alive_time_in_secs: pulumi.Input[int] | None = None,
        ai_config: AiConfig | pulumi.Input[Mapping[str, Any]] | None = None,
        status: pulumi.Input[Literal["ACTIVE", "INACTIVE"]] = "ACTIVE",
        adopt_meeting_id: pulumi.Input[str] | None = None,
        account_id: pulumi.Input[str] | None = None,
        app_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "title": title,
            "record_on_start": record_on_start,
            "recording_config": recording_config_props(recording_config),
            "live_stream_on_start": live_stream_on_start,
            "persist_chat": persist_chat,
            "summarize_on_end": summarize_on_end,
            "transcribe_on_end": transcribe_on_end,
            "session_keep_alive_time_in_secs": session_keep_alive_time_in_secs,
            "ai_config": to_props(ai_config),
            "status": status,
            "adopt_meeting_id": adopt_meeting_id,
            "account_id": account_id,
            "app_id": app_id,
        }
        self._register(resource_name, props, opts)


class Webhook(_Resource, module="rtk", name="Webhook"):
    """A RealtimeKit webhook: the API posts the subscribed events to ``url``.

    Every field updates in place with one PATCH; only ``account_id`` and ``app_id`` replace
    it; ``pulumi destroy`` deletes it.

    Args:
        resource_name: the Pulumi resource name.
        url: where events are posted (http or https).
        events: any of ``meeting.started``, ``meeting.ended``, ``meeting.participantJoined``,
            ``meeting.participantLeft``, ``meeting.chatSynced``, ``recording.statusUpdate``,
            ``livestreaming.statusUpdate``, ``meeting.transcript``, ``meeting.summary``.
        enabled: whether events are sent (default True).
        name: the webhook's name in RealtimeKit (default: the resource name).
        account_id: the Cloudflare account; defaults to ``rtk:accountId``.
        app_id: the RealtimeKit app; defaults to ``rtk:appId``.
        opts: resource options.
    """

    _provider_class = WebhookProvider
    _reports = _WEBHOOK_REPORTS

    if TYPE_CHECKING:
        name: pulumi.Output[str]
        url: pulumi.Output[str]
        events: pulumi.Output[list[str]]
        enabled: pulumi.Output[bool]
        created_at: pulumi.Output[str]
        updated_at: pulumi.Output[str]
        managed_fields: pulumi.Output[list[str]]
        account_id: pulumi.Output[str]
        app_id: pulumi.Output[str]
        api_base_url: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        url: pulumi.Input[str],
        events: pulumi.Input[Sequence[pulumi.Input[str]]],
        enabled: pulumi.Input[bool] = True,
        name: pulumi.Input[str] | None = None,
        account_id: pulumi.Input[str] | None = None,
        app_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "name": resource_name if name is None else name,
            "url": url,
            "events": to_props(events),
            "enabled": enabled,
            "account_id": account_id,
            "app_id": app_id,
        }
        self._register(resource_name, props, opts)
