"""GitOps: the recordings of a meeting live in Git, and a merge to main applies them.

``.github/workflows/recordings.yml`` previews every pull request against the local emulator (no
Cloudflare credentials in PR checks) and runs ``pulumi up`` against Cloudflare on main.
"""

from __future__ import annotations

import pulumi

import pulumi_rtk as rtk

config = pulumi.Config()

all_hands = rtk.Recording(
    "all-hands",
    meeting_id=config.require("meetingId"),
    realtimekit_bucket_config=rtk.RealtimekitBucketConfig(enabled=True),
    audio_config=rtk.AudioConfig(codec="AAC", channel="mono", export_file=True),
    file_name_prefix="all-hands",
    # A reviewed change of this value replaces the recording (stop first, then start).
    max_seconds=config.get_int("maxSeconds") or 5400,
    wait_for_status="RECORDING",
)

pulumi.export("recording_id", all_hands.id)
pulumi.export("status", all_hands.status)
pulumi.export("audio_download_url", all_hands.audio_download_url)
