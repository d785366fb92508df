"""Quickstart: record one RealtimeKit meeting into RealtimeKit's own bucket.

``pulumi up`` starts the recording and returns once it is RECORDING; ``pulumi config set
paused true`` and ``pulumi up`` pause it in place; ``pulumi destroy`` stops it.
"""

from __future__ import annotations

import pulumi

import pulumi_rtk as rtk

config = pulumi.Config()
meeting_id = config.require("meetingId")

recording = rtk.Recording(
    "meeting",
    meeting_id=meeting_id,
    realtimekit_bucket_config=rtk.RealtimekitBucketConfig(enabled=True),
    # `pulumi up` returns once the recording is RECORDING (or PAUSED), not merely INVOKED.
    wait_for_status="RECORDING",
    # Pausing is a config change: an in-place update (PUT pause/resume), never a new recording.
    paused=config.get_bool("paused") or False,
    # Optional: stop by itself after this many seconds (60..86400). Changing it replaces the
    # recording: the running one stops first, then a new one starts.
    max_seconds=config.get_int("maxSeconds"),
)


def active_recording_id(_recording_id: str) -> str | None:
    """What the API reports as the meeting's active recording, read by the lookup.

    Lookups are plain reads in the program process, and Pulumi runs the program in previews
    too. Running it in an apply on the recording's id means it runs once the recording exists:
    in the preview of a new stack the id is unknown, so no request is sent and the output shows
    as unknown; later previews send one read-only GET.
    """
    active = rtk.get_active_recording(meeting_id)
    return None if active is None else active.id


pulumi.export("recording_id", recording.id)
pulumi.export("status", recording.status)
pulumi.export("download_url", recording.download_url)
pulumi.export("active_recording_id", recording.id.apply(active_recording_id))
