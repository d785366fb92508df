"""Storage as code: three meetings, each recorded into storage you own.

Credentials come from ``pulumi config set --secret``: Pulumi encrypts them in the stack's config
and state, shows them as ``[secret]``, and the provider sends them only in the start request.
"""

from __future__ import annotations

import pulumi

import pulumi_rtk as rtk

config = pulumi.Config()
# Every recording stops by itself after this long (60..86400 seconds).
max_seconds = config.get_int("maxSeconds") or 3600

aws = rtk.Recording(
    "board-meeting-s3",
    meeting_id=config.require("awsMeetingId"),
    storage_config=rtk.AwsStorage(
        bucket="acme-recordings",
        region="us-east-1",
        path="board/",
        access_key=config.require_secret("awsAccessKey"),
        secret=config.require_secret("awsSecret"),
    ),
    video_config=rtk.VideoConfig(
        codec="H264",
        width=1920,
        height=1080,
        watermark=rtk.Watermark(
            url="https://example.com/acme-logo.png",
            position="right bottom",
            size=rtk.WatermarkSize(width=160, height=48),
        ),
    ),
    audio_config=rtk.AudioConfig(codec="AAC", channel="stereo"),
    file_name_prefix="board",
    max_seconds=max_seconds,
)

gcs = rtk.Recording(
    "town-hall-gcs",
    meeting_id=config.require("gcsMeetingId"),
    storage_config=rtk.GcsStorage(
        bucket="acme-town-hall",
        path="town-hall/",
        # A service-account key, if the bucket needs one: `pulumi config set --secret gcsSecret`.
        secret=config.get_secret("gcsSecret"),
    ),
    max_seconds=max_seconds,
)

sftp = rtk.Recording(
    "support-call-sftp",
    meeting_id=config.require("sftpMeetingId"),
    storage_config=rtk.SftpStorage(
        host="sftp.example.com",
        port=22,
        username="recorder",
        auth_method="KEY",
        private_key=config.require_secret("sftpPrivateKey"),
        path="/uploads/support",
    ),
    # Only the customer's bucket gets the file; RealtimeKit keeps no copy.
    realtimekit_bucket_config=rtk.RealtimekitBucketConfig(enabled=False),
    max_seconds=max_seconds,
)

pulumi.export("recording_ids", {"aws": aws.id, "gcs": gcs.id, "sftp": sftp.id})
pulumi.export("statuses", {"aws": aws.status, "gcs": gcs.status, "sftp": sftp.status})
