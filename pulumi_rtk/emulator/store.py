"""Emulator state: meetings, recordings, their lifecycle on a virtual clock, persistence.

The lifecycle is computed lazily: each recording keeps its status and the virtual time it
entered it, and :meth:`Store._settle` replays the timed transitions (INVOKED → RECORDING,
max_seconds auto-stop, UPLOADING → UPLOADED) up to "now" at their exact due times. That
keeps results independent of when requests happen to arrive, with no background thread.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .validation import (
    RECORDING_STATUSES,
    ApiError,
    ListQuery,
    MeetingListQuery,
    StartRequest,
    TrackRequest,
)

__all__ = ["Meeting", "Recording", "Store", "VirtualClock", "iso"]

ACTIVE = frozenset({"INVOKED", "RECORDING", "PAUSED"})
BYTES_PER_SECOND = 300_000_000 / 3600  # the documented average of ~300 MB per hour
DOWNLOAD_TTL = 7 * 24 * 3600.0
STATE_VERSION = 1
_SESSION_NS = uuid.UUID("5f1c6a52-3a4e-4c55-9a57-6d3b7a1e2c01")
_TRANSITIONS = {
    "pause": ("INVOKED", "RECORDING"),
    "resume": ("PAUSED",),
    "stop": ("INVOKED", "RECORDING", "PAUSED"),
}


def iso(ts: float) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``, the format the real API emits."""
    moment = datetime.fromtimestamp(ts, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _iso_or_none(ts: float | None) -> str | None:
    return None if ts is None else iso(ts)


class VirtualClock:
    """Virtual epoch seconds: real time scaled by ``speed``, plus :meth:`advance` jumps.

    ``speed=0`` freezes time so only :meth:`advance` moves it (deterministic tests).
    Readings are whole milliseconds, the API's resolution, so a timestamp a client reads
    back (e.g. as a ``start_time`` filter) compares equal to the stored one.
    """

    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        if speed < 0:
            raise ValueError(f"clock speed must be >= 0, got {speed}")
        self.speed = speed
        self._base = time.time() if start is None else start
        self._mono0 = time.monotonic()
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return round(self._base + (time.monotonic() - self._mono0) * self.speed, 3)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._base += seconds


@dataclass
class Meeting:
    """A meeting, scoped by account and app."""

    id: str
    account_id: str
    app_id: str
    created_at: float
    seq: int
    options: dict[str, Any] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "title": None,
            "status": "ACTIVE",
            "record_on_start": False,
            "live_stream_on_start": False,
            "persist_chat": False,
            "summarize_on_end": False,
            "transcribe_on_end": False,
            "session_keep_alive_time_in_secs": 60,
        }
        data.update({k: v for k, v in self.options.items() if v is not None})
        data["created_at"] = data["updated_at"] = iso(self.created_at)
        return data


@dataclass
class Recording:
    """A recording (or track recording) with the timestamps its lifecycle needs."""

    id: str
    account_id: str
    app_id: str
    meeting_id: str
    type: str  # "RECORDING" | "TRACK"
    seq: int
    allow_multiple_recordings: bool
    start_config: dict[str, Any]
    storage_view: dict[str, Any] | None
    audio_codec: str | None
    bucket_enabled: bool
    max_seconds: int
    output_file_name: str
    invoked_at: float
    status: str = "INVOKED"
    status_since: float = 0.0
    recorded: float = 0.0
    """Seconds recorded before the current RECORDING segment (paused time excluded)."""
    started_at: float | None = None
    stopped_at: float | None = None
    uploaded_at: float | None = None
    session_id: str | None = None
    stop_reason: dict[str, Any] | None = None


class Store:
    """All emulator state behind one lock; every public method is thread-safe."""

    def __init__(
        self,
        *,
        clock_speed: float = 1.0,
        invoke_delay: float = 2.0,
        upload_delay: float = 5.0,
        data_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.invoke_delay = invoke_delay
        self.upload_delay = upload_delay
        self.download_base = "http://127.0.0.1/__emulator/downloads"
        self._lock = threading.RLock()
        self._meetings: dict[str, Meeting] = {}
        self._recordings: dict[str, Recording] = {}
        self._seq = 0
        self._state_file = Path(data_dir, "state.json") if data_dir is not None else None
        self.clock = VirtualClock(clock_speed)
        self._load()

    # --- persistence -------------------------------------------------------------------

    def _load(self) -> None:
        if self._state_file is None or not self._state_file.exists():
            return
        try:
            state = json.loads(self._state_file.read_text(encoding="utf-8"))
            if state.get("version") != STATE_VERSION:
                raise ValueError("unsupported state version")
            meetings = [Meeting(**raw) for raw in state["meetings"]]
            recordings = [Recording(**raw) for raw in state["recordings"]]
            seq, clock_now, saved_at = int(state["seq"]), state["clock_now"], state["saved_at"]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{self._state_file}: unreadable state: {exc}") from None
        self._meetings = {m.id: m for m in meetings}
        self._recordings = {r.id: r for r in recordings}
        self._seq = seq
        # Virtual time went on while the emulator was down, at the configured speed.
        downtime = max(0.0, time.time() - float(saved_at))
        self.clock = VirtualClock(self.clock.speed, float(clock_now) + downtime * self.clock.speed)

    def save(self) -> None:
        """Write ``state.json`` atomically (tmp file + ``os.replace``) when persistent."""
        if self._state_file is None:
            return
        with self._lock:
            state = {
                "version": STATE_VERSION,
                "clock_now": self.clock.now(),
                "saved_at": time.time(),
                "seq": self._seq,
                "meetings": [asdict(m) for m in self._meetings.values()],
                "recordings": [asdict(r) for r in self._recordings.values()],
            }
            self._state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._state_file.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(state, indent=1), encoding="utf-8")
            os.replace(tmp, self._state_file)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # --- clock -------------------------------------------------------------------------

    def now_iso(self) -> str:
        return iso(self.clock.now())

    def advance(self, seconds: float) -> str:
        with self._lock:
            self.clock.advance(seconds)
            self.save()
            return self.now_iso()

    # --- lifecycle -----------------------------------------------------------------------

    def _settle(self, rec: Recording, now: float) -> None:
        """Apply every timed transition that is due by ``now``, each at its due time."""
        while True:
            if rec.status == "INVOKED" and now >= rec.status_since + self.invoke_delay:
                self._enter_recording(rec, rec.status_since + self.invoke_delay)
            elif rec.status == "RECORDING" and now >= rec.status_since + (
                rec.max_seconds - rec.recorded
            ):
                self._stop(rec, rec.status_since + rec.max_seconds - rec.recorded, None)
            elif rec.status == "UPLOADING" and now >= rec.status_since + self.upload_delay:
                rec.status, rec.status_since = "UPLOADED", rec.status_since + self.upload_delay
                rec.uploaded_at = rec.status_since
            else:
                return

    @staticmethod
    def _close_segment(rec: Recording, at: float) -> None:
        if rec.status == "RECORDING":
            rec.recorded += at - rec.status_since

    def _enter_recording(self, rec: Recording, at: float) -> None:
        rec.status, rec.status_since = "RECORDING", at
        if rec.started_at is None:
            rec.started_at = at
        if rec.session_id is None:
            rec.session_id = str(uuid.uuid5(_SESSION_NS, rec.meeting_id))

    def _stop(self, rec: Recording, at: float, reason: dict[str, Any] | None) -> None:
        self._close_segment(rec, at)
        rec.status, rec.status_since, rec.stopped_at = "UPLOADING", at, at
        rec.stop_reason = reason

    @staticmethod
    def _caller(rec: Recording) -> dict[str, Any]:
        user = uuid.uuid5(_SESSION_NS, f"{rec.account_id}/{rec.app_id}")
        return {"name": "rtk-emulator", "type": "ORGANIZATION", "user_Id": str(user)}

    # --- views ---------------------------------------------------------------------------

    def _base_view(self, rec: Recording) -> dict[str, Any]:
        done = rec.status == "UPLOADED"
        links = done and rec.bucket_enabled
        expiry = rec.uploaded_at + DOWNLOAD_TTL if links and rec.uploaded_at else None
        audio_url = None
        if links and rec.audio_codec is not None:
            extension = "mp3" if rec.audio_codec == "MP3" else "m4a"
            audio_url = f"{self.download_base}/{rec.id}.audio.{extension}"
        view: dict[str, Any] = {
            "id": rec.id,
            "audio_download_url": audio_url,
            "download_url": f"{self.download_base}/{rec.id}.mp4" if links else None,
            "download_url_expiry": _iso_or_none(expiry),
            "file_size": int(rec.recorded * BYTES_PER_SECOND) if done else None,
            "invoked_time": iso(rec.invoked_at),
            "output_file_name": rec.output_file_name,
            "session_id": rec.session_id,
            "started_time": _iso_or_none(rec.started_at),
            "status": rec.status,
            "stopped_time": _iso_or_none(rec.stopped_at),
            "recording_duration": int(rec.recorded) if done else None,
        }
        if rec.type == "TRACK":
            view["type"] = "TRACK"
            view["meeting_id"] = rec.meeting_id
        return view

    def _full_view(self, rec: Recording) -> dict[str, Any]:
        view = self._base_view(rec)
        view["start_reason"] = {"caller": self._caller(rec), "reason": "API_CALL"}
        view["stop_reason"] = rec.stop_reason
        view["storage_config"] = rec.storage_view
        return view

    def _internal_view(self, rec: Recording) -> dict[str, Any]:
        view = self._full_view(rec)
        view.update(
            meeting_id=rec.meeting_id,
            account_id=rec.account_id,
            app_id=rec.app_id,
            type=rec.type,
            allow_multiple_recordings=rec.allow_multiple_recordings,
            start_config=rec.start_config,
        )
        return view

    # --- meetings ------------------------------------------------------------------------

    def create_meeting(
        self, account_id: str, app_id: str, options: dict[str, Any]
    ) -> dict[str, Any]:
        with self._lock:
            meeting = Meeting(
                id=str(uuid.uuid4()),
                account_id=account_id,
                app_id=app_id,
                created_at=self.clock.now(),
                seq=self._next_seq(),
                options=options,
            )
            self._meetings[meeting.id] = meeting
            self.save()
            return meeting.view()

    def _meeting(self, account_id: str, app_id: str, meeting_id: str) -> Meeting:
        meeting = self._meetings.get(meeting_id.lower())
        if meeting is None or (meeting.account_id, meeting.app_id) != (account_id, app_id):
            raise ApiError(404, f"Meeting {meeting_id} not found")
        return meeting

    def get_meeting(self, account_id: str, app_id: str, meeting_id: str) -> dict[str, Any]:
        with self._lock:
            return self._meeting(account_id, app_id, meeting_id).view()

    def list_meetings(
        self, account_id: str, app_id: str, query: MeetingListQuery
    ) -> tuple[list[dict[str, Any]], dict[str, int]]:
        with self._lock:
            found = [
                m
                for m in self._meetings.values()
                if (m.account_id, m.app_id) == (account_id, app_id)
                and (query.search is None or query.search.lower() in _title(m).lower())
            ]
            found.sort(key=lambda m: (m.created_at, m.seq), reverse=True)
            page, paging = _page(found, query.page_no, query.per_page)
            return [m.view() for m in page], paging

    # --- recordings ----------------------------------------------------------------------

    def _new_recording(
        self, account_id: str, app_id: str, meeting_id: str, kind: str, **fields: Any
    ) -> Recording:
        now = self.clock.now()
        rec = Recording(
            id=str(uuid.uuid4()),
            account_id=account_id,
            app_id=app_id,
            meeting_id=meeting_id,
            type=kind,
            seq=self._next_seq(),
            invoked_at=now,
            status_since=now,
            **fields,
        )
        self._recordings[rec.id] = rec
        return rec

    def _active(self, meeting_id: str, account_id: str, app_id: str, now: float) -> list[Recording]:
        """Active (INVOKED/RECORDING/PAUSED) non-track recordings, newest first."""
        found = []
        for rec in self._recordings.values():
            if (rec.meeting_id, rec.account_id, rec.app_id, rec.type) == (
                meeting_id,
                account_id,
                app_id,
                "RECORDING",
            ):
                self._settle(rec, now)
                if rec.status in ACTIVE:
                    found.append(rec)
        found.sort(key=lambda r: (r.invoked_at, r.seq), reverse=True)
        return found

    def start(self, account_id: str, app_id: str, req: StartRequest) -> dict[str, Any]:
        with self._lock:
            meeting = self._meeting(account_id, app_id, req.meeting_id)
            active = self._active(meeting.id, account_id, app_id, self.clock.now())
            if active and not req.allow_multiple_recordings:
                raise ApiError(
                    400, f"Meeting {meeting.id} already has an active recording {active[0].id}"
                )
            rec = self._new_recording(
                account_id,
                app_id,
                meeting.id,
                "RECORDING",
                allow_multiple_recordings=req.allow_multiple_recordings,
                start_config=req.start_config,
                storage_view=req.storage_view,
                audio_codec=req.audio_codec,
                bucket_enabled=req.bucket_enabled,
                max_seconds=req.max_seconds,
                output_file_name="",
            )
            rec.output_file_name = f"{req.file_name_prefix or 'recording'}_{rec.id}.mp4"
            self.save()
            return self._full_view(rec)

    def start_track(self, account_id: str, app_id: str, req: TrackRequest) -> dict[str, Any]:
        with self._lock:
            meeting = self._meeting(account_id, app_id, req.meeting_id)
            rec = self._new_recording(
                account_id,
                app_id,
                meeting.id,
                "TRACK",
                allow_multiple_recordings=True,
                start_config=req.start_config,
                storage_view=None,
                audio_codec=None,
                bucket_enabled=True,
                max_seconds=86400,
                output_file_name=(
                    f"{req.file_name_prefix}_{{user_id}}_{{peer_id}}_{{stream_kind}}"
                    "_{media_kind}_{date_time}.webm"
                ),
            )
            self.save()
            return self._base_view(rec)

    def _recording(self, account_id: str, app_id: str, recording_id: str) -> Recording:
        rec = self._recordings.get(recording_id.lower())
        if rec is None or (rec.account_id, rec.app_id) != (account_id, app_id):
            raise ApiError(404, f"Recording {recording_id} not found")
        self._settle(rec, self.clock.now())
        return rec

    def get(self, account_id: str, app_id: str, recording_id: str) -> dict[str, Any]:
        with self._lock:
            return self._full_view(self._recording(account_id, app_id, recording_id))

    def act(self, account_id: str, app_id: str, recording_id: str, action: str) -> dict[str, Any]:
        """Pause, resume or stop; any other state/action pair is a 400."""
        with self._lock:
            rec = self._recording(account_id, app_id, recording_id)
            if rec.status not in _TRANSITIONS[action]:
                raise ApiError(400, f"Recording {rec.id} cannot {action} in status {rec.status}")
            now = self.clock.now()
            if action == "pause":
                self._close_segment(rec, now)
                rec.status, rec.status_since = "PAUSED", now
            elif action == "resume":
                self._enter_recording(rec, now)
            else:
                self._stop(rec, now, {"caller": self._caller(rec), "reason": "API_CALL"})
            self.save()
            return self._full_view(rec)

    def active_recording(self, account_id: str, app_id: str, meeting_id: str) -> dict[str, Any]:
        with self._lock:
            meeting = self._meeting(account_id, app_id, meeting_id)
            active = self._active(meeting.id, account_id, app_id, self.clock.now())
            if not active:
                raise ApiError(404, f"No active recording found for meeting {meeting.id}")
            return self._base_view(active[0])

    def list_recordings(
        self, account_id: str, app_id: str, query: ListQuery
    ) -> tuple[list[dict[str, Any]], dict[str, int]]:
        with self._lock:
            now = self.clock.now()
            found = []
            for rec in self._recordings.values():
                if (rec.account_id, rec.app_id, rec.type) != (account_id, app_id, "RECORDING"):
                    continue
                self._settle(rec, now)
                if self._matches(rec, self._meetings[rec.meeting_id], query, now):
                    found.append(rec)
            found.sort(key=lambda r: (r.invoked_at, r.seq), reverse=query.descending)
            page, paging = _page(found, query.page_no, query.per_page)
            items = []
            for rec in page:
                item = self._base_view(rec)
                item["storage_config"] = rec.storage_view
                item["meeting"] = self._meetings[rec.meeting_id].view()
                items.append(item)
            return items, paging

    @staticmethod
    def _matches(rec: Recording, meeting: Meeting, q: ListQuery, now: float) -> bool:
        if q.meeting_id is not None and rec.meeting_id != q.meeting_id:
            return False
        if q.statuses and rec.status not in q.statuses:
            return False
        if q.search is not None:
            needle = q.search.lower()
            if needle not in rec.meeting_id and needle not in _title(meeting).lower():
                return False
        if q.expired is not None:
            expired = (
                rec.uploaded_at is not None
                and rec.bucket_enabled
                and rec.uploaded_at + DOWNLOAD_TTL <= now
            )
            if expired != q.expired:
                return False
        if q.start_time is not None and rec.invoked_at < q.start_time:
            return False
        return q.end_time is None or rec.invoked_at <= q.end_time

    # --- out-of-band control (admin API) -------------------------------------------------

    def internal_recordings(self, meeting_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            now = self.clock.now()
            found = sorted(self._recordings.values(), key=lambda r: r.seq)
            result = []
            for rec in found:
                if meeting_id is None or rec.meeting_id == meeting_id.lower():
                    self._settle(rec, now)
                    result.append(self._internal_view(rec))
            return result

    def force_status(
        self, recording_id: str, status: str, stop_reason: str | None = None
    ) -> dict[str, Any]:
        """Put a recording in ``status`` now, as if the service changed it out of band."""
        if status not in RECORDING_STATUSES:
            raise ApiError(400, f"status: must be one of {', '.join(RECORDING_STATUSES)}")
        with self._lock:
            rec = self._recordings.get(recording_id.lower())
            if rec is None:
                raise ApiError(404, f"Recording {recording_id} not found")
            now = self.clock.now()
            self._settle(rec, now)
            self._close_segment(rec, now)
            rec.status, rec.status_since = status, now
            if status == "RECORDING":
                self._enter_recording(rec, now)
            elif status in ("UPLOADING", "UPLOADED", "ERRORED") and rec.stopped_at is None:
                rec.stopped_at = now
            if status == "UPLOADED":
                rec.uploaded_at = now
            if stop_reason is None and status == "ERRORED":
                stop_reason = "INTERNAL_ERROR"
            if stop_reason is not None:
                rec.stop_reason = {"reason": stop_reason}
            self.save()
            return self._internal_view(rec)

    def forget(self, recording_id: str) -> None:
        with self._lock:
            if self._recordings.pop(recording_id.lower(), None) is None:
                raise ApiError(404, f"Recording {recording_id} not found")
            self.save()

    def reset(self) -> None:
        with self._lock:
            self._meetings.clear()
            self._recordings.clear()
            self.save()

    def has_recording(self, recording_id: str) -> bool:
        with self._lock:
            return recording_id.lower() in self._recordings


def _title(meeting: Meeting) -> str:
    title = meeting.options.get("title")
    return title if isinstance(title, str) else ""


def _page(items: list[Any], page_no: int, per_page: int) -> tuple[list[Any], dict[str, int]]:
    """Slice one page; offsets are 1-based and inclusive (an empty page has end < start)."""
    start = (page_no - 1) * per_page
    page = items[start : start + per_page]
    paging = {
        "total_count": len(items),
        "start_offset": start + 1,
        "end_offset": start + len(page),
    }
    return page, paging
