"""GitOps: a recording setup lives in Git, and a merge to main applies it.

One meeting that records itself into the team's bucket and a webhook that tells the team's
pipeline about every recording. Pull requests preview the change with the policy pack in
``policy/`` and get the diff as a comment; a merge to main runs ``pulumi up``; a scheduled job
reports drift (changes made outside Pulumi, in the dashboard or through the API); ``pulumi
destroy`` waits for a reviewer's approval. The workflow is ``.github/workflows/recordings.yml``
and every step it runs is a script in ``scripts/``.

The stack holds durable resources only. A ``Recording`` changes by itself (it stops at
``max_seconds``, uploads, and its status moves on), which a drift check would report every time;
the meeting starts its recordings itself (``record_on_start``) with the reviewed
``recording_config``.
"""

from __future__ import annotations

import pulumi

import pulumi_rtk as rtk

config = pulumi.Config()

all_hands = rtk.Meeting(
    "all-hands",
    title=config.get("title") or "All hands",
    record_on_start=True,
    recording_config=rtk.RecordingConfig(
        storage_config=rtk.AwsStorage(
            bucket=config.get("bucket") or "acme-recordings",
            region=config.get("region") or "eu-west-1",
            access_key=config.require_secret("storageAccessKey"),
            secret=config.require_secret("storageSecret"),
            path="all-hands/",
        ),
        video_config=rtk.VideoConfig(codec="H264", width=1280, height=720),
        audio_config=rtk.AudioConfig(codec="AAC", channel="mono", export_file=True),
        file_name_prefix="all-hands",
        # Reviewed like any other change; the policy pack caps it (rtk-max-recording-seconds).
        max_seconds=config.get_int("maxSeconds") or 5400,
        # Files go to the team's bucket only (rtk-no-realtimekit-bucket).
        realtimekit_bucket_config=rtk.RealtimekitBucketConfig(enabled=False),
    ),
)

recording_events = rtk.Webhook(
    "recording-events",
    url=config.get("webhookUrl") or "https://hooks.example.com/rtk",
    events=["recording.statusUpdate", "meeting.ended"],
)

pulumi.export("meeting_id", all_hands.id)
pulumi.export("meeting_title", all_hands.title)
pulumi.export("webhook_id", recording_events.id)
