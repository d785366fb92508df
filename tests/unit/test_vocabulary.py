"""One home per concept: the vocabulary against the wire models, the program-side inputs, the
resources' parameters and the official Cloudflare SDK (a client no one here wrote).

A field added to one of them and missed in another fails here, instead of silently escaping a
diff rule or never reaching the wire.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from typing import Any

import pytest
from cloudflare.types.realtime_kit import (
    meeting_create_params,
    meeting_update_meeting_by_id_params,
    recording_get_one_recording_response,
    recording_start_recordings_params,
    recording_start_track_recording_params,
    webhook_create_webhook_params,
    webhook_get_webhooks_response,
)
from pydantic import BaseModel

from pulumi_rtk import inputs, models, resource, vocabulary

PATH_PARAMS = {"account_id", "app_id"}


def typed_dict_keys(cls: Any) -> set[str]:
    return set(cls.__annotations__) - PATH_PARAMS


def literal_values(annotation: Any) -> set[str]:
    """Every string of the Literals inside an annotation (through Optional, list, unions)."""
    if typing.get_origin(annotation) is typing.Literal:
        return {value for value in typing.get_args(annotation) if isinstance(value, str)}
    return {value for arg in typing.get_args(annotation) for value in literal_values(arg)}


def fields(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields)


def params(cls: type[Any]) -> set[str]:
    return set(inspect.signature(cls.__init__).parameters) - {"self", "resource_name", "opts"}


def test_start_options_match_the_model_and_the_official_sdk() -> None:
    start = {"meeting_id", *vocabulary.START_OPTIONS}
    assert fields(models.StartRecording) == start
    assert typed_dict_keys(recording_start_recordings_params.RecordingStartRecordingsParams) == (
        start
    )
    assert params(resource.Recording) >= start


def test_track_options_match_the_model_and_the_official_sdk() -> None:
    track = {"meeting_id", *vocabulary.TRACK_OPTIONS}
    sdk = recording_start_track_recording_params.RecordingStartTrackRecordingParams
    assert typed_dict_keys(sdk) == track
    assert fields(models.TrackRecordingInputs) - PATH_PARAMS == track
    assert params(resource.TrackRecording) - PATH_PARAMS == track


def test_recording_statuses_match_the_model_and_the_official_sdk() -> None:
    sdk = recording_get_one_recording_response.Data.model_fields["status"].annotation
    assert literal_values(sdk) == set(vocabulary.RECORDING_STATUSES)
    assert literal_values(models.RecordingStatus) == set(vocabulary.RECORDING_STATUSES)
    assert (
        set(vocabulary.RECORDING_STATUSES)
        == vocabulary.ACTIVE_STATUSES | vocabulary.STOPPED_STATUSES
    )
    assert not vocabulary.ACTIVE_STATUSES & vocabulary.STOPPED_STATUSES


def test_recording_outputs_are_what_the_api_reports() -> None:
    sdk = set(recording_get_one_recording_response.Data.model_fields) - {"id", "storage_config"}
    assert set(vocabulary.RECORDING_OUTPUTS) == sdk
    assert set(vocabulary.RECORDING_OUTPUTS) <= fields(models.RecordingInfo)


def test_storage_fields_match_the_model_and_the_official_sdk() -> None:
    sdk = recording_start_recordings_params.StorageConfigUnionMember0.__annotations__
    assert set(sdk) == {*vocabulary.STORAGE_READ_FIELDS, *vocabulary.STORAGE_SECRET_FIELDS}
    assert fields(models.StorageConfigModel) == set(sdk)
    assert literal_values(models.StorageType) == set(vocabulary.STORAGE_TYPES)
    union = recording_start_recordings_params.StorageConfig
    assert literal_values(typing.get_type_hints(typing.get_args(union)[2])["type"]) == set(
        vocabulary.STORAGE_TYPES
    )
    assert vocabulary.OBJECT_STORES | {"sftp"} == set(vocabulary.STORAGE_TYPES)
    assert vocabulary.KEYED_STORES < vocabulary.OBJECT_STORES


def test_meeting_fields_match_the_model_inputs_resource_and_official_sdk() -> None:
    create = typed_dict_keys(meeting_create_params.MeetingCreateParams)
    update = typed_dict_keys(meeting_update_meeting_by_id_params.MeetingUpdateMeetingByIDParams)
    assert set(vocabulary.MEETING_FIELDS) == create
    assert update == {*create, "status"}
    assert fields(models.MeetingInputs) == {*update, *PATH_PARAMS, "adopt_meeting_id"}
    assert params(resource.Meeting) == fields(models.MeetingInputs)
    sdk_status = meeting_update_meeting_by_id_params.MeetingUpdateMeetingByIDParams
    assert literal_values(typing.get_type_hints(sdk_status)["status"]) == set(
        vocabulary.MEETING_STATUSES
    )


def test_recording_config_and_ai_config_match_the_models_inputs_and_official_sdk() -> None:
    config = set(vocabulary.RECORDING_CONFIG_FIELDS)
    assert typed_dict_keys(meeting_create_params.RecordingConfig) == config
    assert fields(models.RecordingConfigModel) == config
    assert {f.name for f in dataclasses.fields(inputs.RecordingConfig)} == config
    ai = set(vocabulary.AI_CONFIG_FIELDS)
    assert typed_dict_keys(meeting_create_params.AIConfig) == ai
    assert fields(models.AiConfigModel) == ai
    assert {f.name for f in dataclasses.fields(inputs.AiConfig)} == ai


@pytest.mark.parametrize(
    ("program", "wire", "sdk"),
    [
        (
            inputs.AudioConfig,
            models.AudioConfigModel,
            meeting_create_params.RecordingConfigAudioConfig,
        ),
        (
            inputs.VideoConfig,
            models.VideoConfigModel,
            meeting_create_params.RecordingConfigVideoConfig,
        ),
        (
            inputs.Watermark,
            models.WatermarkModel,
            meeting_create_params.RecordingConfigVideoConfigWatermark,
        ),
        (
            inputs.WatermarkSize,
            models.WatermarkSizeModel,
            meeting_create_params.RecordingConfigVideoConfigWatermarkSize,
        ),
        (
            inputs.RealtimekitBucketConfig,
            models.RealtimekitBucketConfigModel,
            meeting_create_params.RecordingConfigRealtimekitBucketConfig,
        ),
        (
            inputs.LiveStreamingConfig,
            models.LiveStreamingConfigModel,
            meeting_create_params.RecordingConfigLiveStreamingConfig,
        ),
        (
            inputs.TranscriptionConfig,
            models.TranscriptionConfigModel,
            meeting_create_params.AIConfigTranscription,
        ),
        (
            inputs.SummarizationConfig,
            models.SummarizationConfigModel,
            meeting_create_params.AIConfigSummarization,
        ),
        (
            inputs.InteractiveConfig,
            models.InteractiveConfigModel,
            recording_start_recordings_params.InteractiveConfig,
        ),
        (
            inputs.RtmpOutConfig,
            models.RtmpOutConfigModel,
            recording_start_recordings_params.RtmpOutConfig,
        ),
    ],
    ids=lambda value: getattr(value, "__name__", "?"),
)
def test_nested_inputs_match_their_wire_model_and_the_official_sdk(
    program: type[Any], wire: type[BaseModel], sdk: Any
) -> None:
    names = {f.name for f in dataclasses.fields(program)}
    assert names == fields(wire) == set(sdk.__annotations__)


@pytest.mark.parametrize(
    ("model", "field", "sdk"),
    [
        (models.VideoConfigModel, "codec", meeting_create_params.RecordingConfigVideoConfig),
        (models.AudioConfigModel, "codec", meeting_create_params.RecordingConfigAudioConfig),
        (models.AudioConfigModel, "channel", meeting_create_params.RecordingConfigAudioConfig),
        (
            models.WatermarkModel,
            "position",
            meeting_create_params.RecordingConfigVideoConfigWatermark,
        ),
        (models.TranscriptionConfigModel, "language", meeting_create_params.AIConfigTranscription),
        (
            models.SummarizationConfigModel,
            "summary_type",
            meeting_create_params.AIConfigSummarization,
        ),
        (
            models.SummarizationConfigModel,
            "text_format",
            meeting_create_params.AIConfigSummarization,
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else getattr(value, "__name__", "?"),
)
def test_enums_match_the_official_sdk(model: type[BaseModel], field: str, sdk: Any) -> None:
    ours = literal_values(model.model_fields[field].annotation)
    assert ours
    assert ours == literal_values(typing.get_type_hints(sdk)[field])


def test_webhook_vocabulary_matches_the_model_resource_and_official_sdk() -> None:
    sdk = webhook_create_webhook_params.WebhookCreateWebhookParams
    assert typed_dict_keys(sdk) == set(vocabulary.WEBHOOK_FIELDS)
    assert literal_values(typing.get_type_hints(sdk)["events"]) == set(vocabulary.WEBHOOK_EVENTS)
    assert literal_values(models.WebhookEvent) == set(vocabulary.WEBHOOK_EVENTS)
    assert len(vocabulary.WEBHOOK_EVENTS) == 9
    assert fields(models.WebhookInputs) == {*vocabulary.WEBHOOK_FIELDS, *PATH_PARAMS}
    assert params(resource.Webhook) == fields(models.WebhookInputs)
    listed = set(webhook_get_webhooks_response.Data.model_fields)
    assert listed == {"id", *vocabulary.WEBHOOK_FIELDS, *vocabulary.WEBHOOK_OUTPUTS}
    assert fields(models.WebhookInfo) == listed
