"""A recording setup as code: meetings that record themselves, and a webhook for each file.

Two meetings record themselves (``record_on_start``) with different formats into one bucket,
each under its own path; the bucket's credentials come from ``pulumi config set --secret``. A
webhook tells the team's pipeline when a meeting starts and ends, who joins and leaves, and
every recording status change (``receiver.py`` is a small receiver to point it at).
"""

from __future__ import annotations

import pulumi

import pulumi_rtk as rtk

config = pulumi.Config()


def storage(path: str) -> rtk.AwsStorage:
    """The team's bucket; each meeting writes under its own path."""
    return rtk.AwsStorage(
        bucket=config.get("bucket") or "acme-recordings",
        region=config.get("region") or "eu-west-1",
        access_key=config.require_secret("storageAccessKey"),
        secret=config.require_secret("storageSecret"),
        path=path,
    )


standup = rtk.Meeting(
    "standup",
    title=config.get("standupTitle") or "Daily standup",
    record_on_start=True,
    recording_config=rtk.RecordingConfig(
        storage_config=storage("standup/"),
        video_config=rtk.VideoConfig(codec="H264", width=1280, height=720),
        audio_config=rtk.AudioConfig(codec="AAC", channel="stereo"),
        file_name_prefix="standup",
        max_seconds=config.get_int("standupMaxSeconds") or 3600,
        # Files go only to the bucket, not also to RealtimeKit's.
        realtimekit_bucket_config=rtk.RealtimekitBucketConfig(enabled=False),
    ),
    persist_chat=True,
    transcribe_on_end=True,
    ai_config=rtk.AiConfig(transcription=rtk.TranscriptionConfig(language="en-US")),
)

town_hall = rtk.Meeting(
    "town-hall",
    title="Town hall",
    record_on_start=True,
    recording_config=rtk.RecordingConfig(
        storage_config=storage("town-hall/"),
        video_config=rtk.VideoConfig(codec="VP8", width=1920, height=1080),
        file_name_prefix="town-hall",
        max_seconds=7200,
        realtimekit_bucket_config=rtk.RealtimekitBucketConfig(enabled=False),
    ),
    session_keep_alive_time_in_secs=300,
)

uploads = rtk.Webhook(
    "uploads",
    url=config.get("webhookUrl") or "https://hooks.example.com/rtk",
    events=[
        "meeting.started",
        "meeting.participantJoined",
        "meeting.participantLeft",
        "meeting.ended",
        "recording.statusUpdate",
    ],
)

pulumi.export("standup_meeting_id", standup.id)
pulumi.export("town_hall_meeting_id", town_hall.id)
pulumi.export("webhook_id", uploads.id)
