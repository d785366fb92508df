"""Recordings and meeting sessions, through the providers against the emulator (frozen clock).

What a stack sees of the rules the emulator documents: a recording of a meeting nobody is in
stops by itself 60 s after it was invoked (``ALL_PEERS_LEFT``), so a refresh shows it stopped and
destroy has nothing to stop; someone in the meeting keeps it recording; a recording started
during a live session carries that session's id; and a ``Meeting`` with ``record_on_start``
records each new session with its ``recording_config`` over the app's defaults, while a
``Recording``'s own start options win over both.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from pulumi.dynamic import CreateResult

from pulumi_rtk.emulator import Emulator
from pulumi_rtk.provider import MeetingProvider, RecordingProvider
from tests.support.values import ACCOUNT, APP, aws_storage

ALL_PEERS_LEFT = {"reason": "ALL_PEERS_LEFT"}
# The app's default recording config: what neither a meeting nor a start call sets comes from it.
APP_DEFAULTS = {"file_name_prefix": "app", "audio_config": {"codec": "MP3"}, "max_seconds": 600}


def outputs(result: CreateResult) -> dict[str, Any]:
    assert result.outs is not None
    return result.outs


def refresh(
    provider: RecordingProvider, recording_id: str, state: dict[str, Any]
) -> dict[str, Any]:
    """``pulumi refresh`` of one recording: ``read`` with the outputs in state."""
    result = provider.read(recording_id, state)
    assert result.id == recording_id and result.outs is not None
    return result.outs


def assert_stops_by_itself(
    provider: RecordingProvider, emulator: Emulator, recording_id: str, state: dict[str, Any]
) -> None:
    """Recording at ``invoked + 2 s``; ``invoked + 60 s`` is the documented stop."""
    assert refresh(provider, recording_id, state)["status"] == "RECORDING"
    emulator.advance(57.999)
    assert refresh(provider, recording_id, state)["status"] == "RECORDING"
    emulator.advance(0.001)
    stopped = refresh(provider, recording_id, state)
    assert (stopped["status"], stopped.get("stop_reason")) == ("UPLOADING", ALL_PEERS_LEFT)
    emulator.advance(5)
    done = refresh(provider, recording_id, stopped)
    assert (done["status"], done.get("stop_reason")) == ("UPLOADED", ALL_PEERS_LEFT)
    assert done["recording_duration"] == 58  # invoked at 0, recording from 2 to 60
    # pulumi destroy: the refreshed state says it stopped, so there is nothing to send.
    emulator.clear_requests()
    provider.delete(recording_id, done)
    assert emulator.requests() == []


def test_a_recording_of_an_empty_meeting_stops_after_60_s(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    created = provider.create({"meeting_id": meeting_id})
    state = outputs(created)
    assert (state["status"], state.get("stop_reason")) == ("INVOKED", None)
    assert state["start_reason"]["reason"] == "API_CALL"
    assert state.get("session_id") is None  # no live session: the id comes when recording starts
    emulator.advance(2)
    assert refresh(provider, created.id, state)["session_id"] is not None

    assert_stops_by_itself(provider, emulator, created.id, state)


def test_waiting_for_recording_still_succeeds_in_an_empty_meeting(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    def come_up() -> None:
        """Move the frozen clock past the invoke delay once the recording exists (bounded)."""
        deadline = time.monotonic() + 10
        while not emulator.recordings() and time.monotonic() < deadline:
            time.sleep(0.02)
        emulator.advance(2)

    worker = threading.Thread(target=come_up)
    worker.start()
    try:
        created = provider.create({"meeting_id": meeting_id, "wait_for_status": "RECORDING"})
    finally:
        worker.join()
    state = outputs(created)
    assert (state["status"], state.get("stop_reason")) == ("RECORDING", None)

    assert_stops_by_itself(provider, emulator, created.id, state)


def test_a_participant_keeps_it_recording_and_its_session_id_is_the_live_one(
    provider: RecordingProvider, emulator: Emulator, meeting_id: str
) -> None:
    alice = emulator.join(meeting_id, "alice")
    (session,) = emulator.sessions(meeting_id)
    created = provider.create({"meeting_id": meeting_id})
    state = outputs(created)
    assert state["session_id"] == session["id"]  # at once, while INVOKED

    emulator.advance(3600)
    kept = refresh(provider, created.id, state)
    assert (kept["status"], kept.get("stop_reason")) == ("RECORDING", None)
    assert kept["session_id"] == session["id"]

    emulator.leave(meeting_id, alice)
    emulator.advance(59.999)
    assert refresh(provider, created.id, kept)["status"] == "RECORDING"
    emulator.advance(0.001)
    stopped = refresh(provider, created.id, kept)
    assert (stopped["status"], stopped.get("stop_reason")) == ("UPLOADING", ALL_PEERS_LEFT)


def test_record_on_start_records_each_session_with_the_meeting_config_over_app_defaults(
    meeting_provider: MeetingProvider, provider: RecordingProvider, emulator: Emulator
) -> None:
    emulator.set_app_recording_config(ACCOUNT, APP, APP_DEFAULTS)
    meeting_inputs = {
        "status": "ACTIVE",
        "title": "standup",
        "record_on_start": True,
        "recording_config": {"file_name_prefix": "standup", "storage_config": aws_storage()},
    }
    meeting = meeting_provider.create(meeting_inputs)
    meeting_id = str(meeting.id)
    assert emulator.recordings(meeting_id) == []  # nobody has joined yet

    alice = emulator.join(meeting_id, "alice")
    (started,) = emulator.recordings(meeting_id)
    # Read as `Recording.get` reads one: no inputs, only the id.
    seen = refresh(provider, started["id"], {})
    assert seen["start_reason"] == {"reason": "RECORD_ON_START"}
    assert seen["session_id"] == emulator.sessions(meeting_id)[0]["id"]
    assert seen["output_file_name"].startswith("standup_")  # the meeting's prefix over "app"

    emulator.advance(2)
    emulator.leave(meeting_id, alice)
    emulator.advance(65)
    done = refresh(provider, started["id"], seen)
    assert (done["status"], done.get("stop_reason")) == ("UPLOADED", ALL_PEERS_LEFT)
    assert done["audio_download_url"].endswith(".mp3")  # the app default fills the gap
    (upload,) = emulator.uploads()
    assert upload["recording_id"] == started["id"]
    assert (upload["storage"]["bucket"], upload["storage"]["path"]) == ("recordings", "standups/")

    # `pulumi up` of a new recording_config: the next session records with it.
    new_inputs = {**meeting_inputs, "recording_config": {"file_name_prefix": "standup-v2"}}
    meeting_provider.update(meeting_id, outputs(meeting), new_inputs)
    emulator.advance(600)  # the first session has ended
    emulator.join(meeting_id, "bob")
    latest = max(emulator.recordings(meeting_id), key=lambda r: str(r["invoked_time"]))
    assert latest["id"] != started["id"]
    assert refresh(provider, latest["id"], {})["output_file_name"].startswith("standup-v2_")


def test_a_recordings_start_options_win_over_meeting_config_and_app_defaults(
    meeting_provider: MeetingProvider, provider: RecordingProvider, emulator: Emulator
) -> None:
    emulator.set_app_recording_config(ACCOUNT, APP, APP_DEFAULTS)
    meeting = meeting_provider.create(
        {
            "status": "ACTIVE",
            "title": "review",
            "recording_config": {"file_name_prefix": "meeting", "storage_config": aws_storage()},
        }
    )
    meeting_id = str(meeting.id)
    emulator.join(meeting_id, "alice")  # someone stays, so only max_seconds can stop it
    assert emulator.recordings(meeting_id) == []  # no record_on_start

    created = provider.create(
        {"meeting_id": meeting_id, "file_name_prefix": "call", "max_seconds": 120}
    )
    state = outputs(created)
    assert state["output_file_name"].startswith("call_")  # the call's prefix over both

    emulator.advance(2 + 120 + 5)
    done = refresh(provider, created.id, state)
    assert done["status"] == "UPLOADED"
    assert (
        done.get("stop_reason") is None
    )  # stopped by max_seconds, which has no reason in the enum
    assert done["recording_duration"] == 120  # the call's max_seconds, not the app's 600
    assert done["audio_download_url"].endswith(".mp3")  # the app default, set nowhere else
    (upload,) = emulator.uploads()  # into the meeting's storage, which the call did not set
    assert (upload["storage"]["bucket"], upload["storage"]["path"]) == ("recordings", "standups/")
