"""The API's vocabulary, in one place: statuses, option and field names, event names.

Everything here is plain data with no imports, so the program side, the wire models, the
client and the providers can all share it at no import cost. The wire models
(``pulumi_rtk.models``) are checked against these names by ``tests/unit/test_vocabulary.py``, as
is the official Cloudflare SDK's view of the API, so a field added in one place and missed in
another fails a test instead of silently escaping a diff rule. The emulator keeps its own copy on
purpose: it checks the client independently.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ACTIVE_STATUSES",
    "AI_CONFIG_FIELDS",
    "API_CALL",
    "INACTIVE",
    "KEYED_STORES",
    "MEETING_FIELDS",
    "MEETING_OUTPUTS",
    "MEETING_PATCH_FIELDS",
    "MEETING_STATUSES",
    "OBJECT_STORES",
    "PAUSABLE_STATUSES",
    "PAUSE",
    "PAUSED",
    "RECORDING",
    "RECORDING_ACTIONS",
    "RECORDING_CONFIG_FIELDS",
    "RECORDING_OUTPUTS",
    "RECORDING_STATUSES",
    "RESUME",
    "START_OPTIONS",
    "STOP",
    "STOPPED_STATUSES",
    "STORAGE_READ_FIELDS",
    "STORAGE_SECRET_FIELDS",
    "STORAGE_TYPES",
    "TRACK_OPTIONS",
    "WEBHOOK_EVENTS",
    "WEBHOOK_FIELDS",
    "WEBHOOK_OUTPUTS",
]

# Recordings

RECORDING_STATUSES: Final = ("INVOKED", "RECORDING", "UPLOADING", "UPLOADED", "ERRORED", "PAUSED")
RECORDING: Final = "RECORDING"
PAUSED: Final = "PAUSED"
ACTIVE_STATUSES: Final = frozenset({"INVOKED", RECORDING, PAUSED})
"""Statuses of a recording that still runs: stopping it means a request."""
PAUSABLE_STATUSES: Final = ACTIVE_STATUSES - {PAUSED}
STOPPED_STATUSES: Final = frozenset({"UPLOADING", "UPLOADED", "ERRORED"})
STOP: Final = "stop"
PAUSE: Final = "pause"
RESUME: Final = "resume"
RECORDING_ACTIONS: Final = (STOP, PAUSE, RESUME)
"""The ``action`` of ``PUT .../recordings/{id}``."""
API_CALL: Final = "API_CALL"
"""``start_reason.reason`` of a recording started by a start request (not by a meeting)."""

START_OPTIONS: Final = (
    "allow_multiple_recordings",
    "audio_config",
    "file_name_prefix",
    "interactive_config",
    "max_seconds",
    "realtimekit_bucket_config",
    "rtmp_out_config",
    "storage_config",
    "url",
    "video_config",
)
"""The start body's fields besides ``meeting_id``: each one replaces a running recording."""

TRACK_OPTIONS: Final = ("layers", "user_ids")
"""The track-recording start body's fields besides ``meeting_id``."""

RECORDING_OUTPUTS: Final = (
    "status",
    "download_url",
    "audio_download_url",
    "download_url_expiry",
    "file_size",
    "invoked_time",
    "started_time",
    "stopped_time",
    "output_file_name",
    "session_id",
    "recording_duration",
    "start_reason",
    "stop_reason",
)
"""What the API reports about a recording (never an input); every read refreshes them."""

# Storage targets (shared by recordings and meetings' recording_config)

STORAGE_TYPES: Final = ("aws", "azure", "digitalocean", "gcs", "sftp")
OBJECT_STORES: Final = frozenset({"aws", "azure", "digitalocean", "gcs"})
KEYED_STORES: Final = frozenset({"aws", "azure", "digitalocean"})
STORAGE_SECRET_FIELDS: Final = frozenset({"access_key", "secret", "password", "private_key"})
"""Write-only credentials: the API accepts them and never returns them."""
STORAGE_READ_FIELDS: Final = (
    "type",
    "auth_method",
    "bucket",
    "host",
    "path",
    "port",
    "region",
    "username",
)
"""What the API shows of a storage target when it reads one back."""

# Meetings

MEETING_STATUSES: Final = ("ACTIVE", "INACTIVE")
INACTIVE: Final = "INACTIVE"
"""A meeting that refuses joins: what destroy leaves, since the API has no DELETE for meetings."""
MEETING_FIELDS: Final = (
    "title",
    "record_on_start",
    "recording_config",
    "live_stream_on_start",
    "persist_chat",
    "summarize_on_end",
    "transcribe_on_end",
    "session_keep_alive_time_in_secs",
    "ai_config",
)
"""The create body's fields; PATCH takes them too, plus ``status``."""
MEETING_PATCH_FIELDS: Final = (*MEETING_FIELDS, "status")
"""What a meeting's PATCH may carry."""
RECORDING_CONFIG_FIELDS: Final = (
    "audio_config",
    "video_config",
    "file_name_prefix",
    "max_seconds",
    "realtimekit_bucket_config",
    "storage_config",
    "live_streaming_config",
)
"""A meeting's ``recording_config``: the start options a meeting can carry, plus live streaming."""
AI_CONFIG_FIELDS: Final = ("transcription", "summarization")
MEETING_OUTPUTS: Final = ("created_at", "updated_at")
"""What the API reports about a meeting besides its fields."""

# Webhooks

WEBHOOK_EVENTS: Final = (
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
WEBHOOK_FIELDS: Final = ("name", "url", "events", "enabled")
WEBHOOK_OUTPUTS: Final = ("created_at", "updated_at")
