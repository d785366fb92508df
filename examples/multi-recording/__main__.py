"""Multi-recording: one meeting, recorded twice at once, portrait for phones, landscape for desks.

A meeting has one active recording unless every recording on it sets
``allow_multiple_recordings=True``. With it, a changed option replaces each recording
create-before-delete: the new one starts before the old one stops, so there is no gap.
"""

from __future__ import annotations

import pulumi

import pulumi_rtk as rtk

config = pulumi.Config()
meeting_id = config.require("meetingId")
max_seconds = config.get_int("maxSeconds") or 7200

LAYOUTS = {"portrait": (720, 1280), "landscape": (1280, 720)}

recordings = {
    layout: rtk.Recording(
        f"keynote-{layout}",
        meeting_id=meeting_id,
        video_config=rtk.VideoConfig(codec="H264", width=width, height=height),
        realtimekit_bucket_config=rtk.RealtimekitBucketConfig(enabled=True),
        file_name_prefix=f"keynote-{layout}",
        allow_multiple_recordings=True,
        max_seconds=max_seconds,
    )
    for layout, (width, height) in LAYOUTS.items()
}

pulumi.export("recording_ids", {layout: rec.id for layout, rec in recordings.items()})
pulumi.export("statuses", {layout: rec.status for layout, rec in recordings.items()})
