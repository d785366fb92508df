"""Emulator state: meetings, sessions, recordings, webhooks, on a virtual clock; persistence.

The lifecycle is computed lazily. Every entity with a timed transition ahead (a recording
that will start recording, stop at ``max_seconds`` or for lack of peers, finish uploading;
a session whose keep-alive runs out) has an entry in one heap of due times, and
:meth:`Store._advance_to` replays the due transitions in time order, each at its exact due
time, before any read or write. That keeps results independent of when requests happen
to arrive, emits webhook events in the order they happened and exactly once, and needs no
background thread. Heap entries are never updated in place: a changed entity gets a new
entry, and a popped entry whose due time no longer matches its entity is stale and skipped.
"""

from __future__ import annotations

import heapq
import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .events import (
    Emission,
    iso,
    iso_or_none,
    meeting_payload,
    participant_payload,
    recording_payload,
)
from .validation import (
    RECORDING_STATUSES,
    ApiError,
    ListQuery,
    MeetingListQuery,
    StartRequest,
    TrackRequest,
    derive_recording,
    merge_configs,
)

__all__ = ["Meeting", "Recording", "Store", "VirtualClock", "iso"]

ACTIVE = frozenset({"INVOKED", "RECORDING", "PAUSED"})
BYTES_PER_SECOND = 300_000_000 / 3600  # the documented average of ~300 MB per hour
DOWNLOAD_TTL = 7 * 24 * 3600.0
DEFAULT_KEEP_ALIVE = 60
STATE_VERSION = 1
_SESSION_NS = uuid.UUID("5f1c6a52-3a4e-4c55-9a57-6d3b7a1e2c01")
_TRANSITIONS = {
    "pause": ("INVOKED", "RECORDING"),
    "resume": ("PAUSED",),
    "stop": ("INVOKED", "RECORDING", "PAUSED"),
}
_MEETING_DEFAULTS: dict[str, Any] = {
    "title": None,
    "status": "ACTIVE",
    "record_on_start": False,
    "live_stream_on_start": False,
    "persist_chat": False,
    "summarize_on_end": False,
    "transcribe_on_end": False,
    "session_keep_alive_time_in_secs": DEFAULT_KEEP_ALIVE,
}
_REC, _SESSION = 0, 1  # heap priorities: at equal due times recordings settle first


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
    """A meeting, scoped by account and app; ``options`` holds its API fields."""

    id: str
    account_id: str
    app_id: str
    created_at: float
    seq: int
    options: dict[str, Any] = field(default_factory=dict)
    updated_at: float = 0.0
    empty_since: float | None = None
    """When the last participant left (creation time if none ever joined); None while occupied."""
    session_id: str | None = None
    """The live session, if any."""

    def view(self) -> dict[str, Any]:
        data = {"id": self.id, **_MEETING_DEFAULTS}
        data.update({k: v for k, v in self.options.items() if v is not None})
        data["created_at"] = iso(self.created_at)
        data["updated_at"] = iso(max(self.updated_at, self.created_at))
        return data

    @property
    def title(self) -> str:
        title = self.options.get("title")
        return title if isinstance(title, str) else ""


@dataclass
class Session:
    """One occupied period of a meeting: from the first join to the keep-alive's end."""

    id: str
    meeting_id: str
    started_at: float
    participant_ids: list[str] = field(default_factory=list)
    ended_at: float | None = None


@dataclass
class Participant:
    """Someone in a session (joined through the admin API)."""

    id: str
    meeting_id: str
    session_id: str
    name: str
    custom_participant_id: str
    joined_at: float
    left_at: float | None = None

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "meeting_id": self.meeting_id,
            "session_id": self.session_id,
            "name": self.name,
            "custom_participant_id": self.custom_participant_id,
            "joined_at": iso(self.joined_at),
            "left_at": iso_or_none(self.left_at),
        }


@dataclass
class Webhook:
    """An app-level webhook subscription."""

    id: str
    account_id: str
    app_id: str
    name: str
    url: str
    events: list[str]
    enabled: bool
    created_at: float
    updated_at: float
    seq: int

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "url": self.url,
            "events": list(self.events),
            "enabled": self.enabled,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }


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
    start_reason: dict[str, Any] | None = None
    """None means an API call (recordings saved before start reasons were kept)."""
    config: dict[str, Any] = field(default_factory=dict)
    """The effective config: start body > meeting ``recording_config`` > app default."""


def _bump(previous: float, now: float) -> float:
    """A new ``updated_at``: now, but always later than before, even on a frozen clock."""
    return max(now, round(previous + 0.001, 3))


class Store:
    """All emulator state behind one lock; every public method is thread-safe.

    ``outbox`` receives each webhook emission, in order, while the lock is held: it must
    only enqueue (the delivery worker does the rest without the lock).
    """

    def __init__(
        self,
        *,
        clock_speed: float = 1.0,
        invoke_delay: float = 2.0,
        upload_delay: float = 5.0,
        empty_meeting_timeout: float | None = 60.0,
        data_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        if empty_meeting_timeout is not None and empty_meeting_timeout <= 0:
            raise ValueError("empty_meeting_timeout must be > 0 (None disables it)")
        self.invoke_delay = invoke_delay
        self.upload_delay = upload_delay
        self.empty_meeting_timeout = empty_meeting_timeout
        self.download_base = "http://127.0.0.1/__emulator/downloads"
        self.outbox: Callable[[Emission], None] | None = None
        self._lock = threading.RLock()
        self._meetings: dict[str, Meeting] = {}
        self._recordings: dict[str, Recording] = {}
        self._by_meeting: dict[str, list[str]] = {}
        self._sessions: dict[str, Session] = {}
        self._participants: dict[str, Participant] = {}
        self._webhooks: dict[str, Webhook] = {}
        self._app_configs: dict[str, dict[str, Any]] = {}
        self._uploads: list[dict[str, Any]] = []
        self._timers: list[tuple[float, int, int, str]] = []
        self._scheduled: dict[str, float] = {}
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
            meetings = []
            for raw in state["meetings"]:
                raw.setdefault("empty_since", raw["created_at"])
                meetings.append(Meeting(**raw))
            recordings = [Recording(**raw) for raw in state["recordings"]]
            sessions = [Session(**raw) for raw in state.get("sessions", [])]
            participants = [Participant(**raw) for raw in state.get("participants", [])]
            webhooks = [Webhook(**raw) for raw in state.get("webhooks", [])]
            app_configs = dict(state.get("app_configs", {}))
            uploads = list(state.get("uploads", []))
            seq, clock_now, saved_at = int(state["seq"]), state["clock_now"], state["saved_at"]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{self._state_file}: unreadable state: {exc}") from None
        self._meetings = {m.id: m for m in meetings}
        self._recordings = {r.id: r for r in recordings}
        for rec in sorted(recordings, key=lambda r: r.seq):
            self._by_meeting.setdefault(rec.meeting_id, []).append(rec.id)
        self._sessions = {s.id: s for s in sessions}
        self._participants = {p.id: p for p in participants}
        self._webhooks = {w.id: w for w in webhooks}
        self._app_configs = app_configs
        self._uploads = uploads
        self._seq = seq
        # Virtual time went on while the emulator was down, at the configured speed.
        downtime = max(0.0, time.time() - float(saved_at))
        self.clock = VirtualClock(self.clock.speed, float(clock_now) + downtime * self.clock.speed)
        for rec in self._recordings.values():
            self._schedule_recording(rec)
        for session in self._sessions.values():
            self._schedule_session(session)

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
                "sessions": [asdict(s) for s in self._sessions.values()],
                "participants": [asdict(p) for p in self._participants.values()],
                "webhooks": [asdict(w) for w in self._webhooks.values()],
                "app_configs": self._app_configs,
                "uploads": self._uploads,
            }
            self._state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._state_file.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(state, indent=1), encoding="utf-8")
            os.replace(tmp, self._state_file)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # --- clock and timers ----------------------------------------------------------------

    def now_iso(self) -> str:
        return iso(self.clock.now())

    def advance(self, seconds: float) -> str:
        """Move the clock and replay every transition now due (their webhooks go out)."""
        with self._lock:
            self.clock.advance(seconds)
            self._now()
            self.save()
            return self.now_iso()

    def settle(self) -> None:
        """Replay the transitions due by now (the delivery worker calls it on a running clock)."""
        with self._lock:
            if self._timers and self._timers[0][0] <= self.clock.now():
                self._now()
                self.save()

    def _now(self) -> float:
        now = self.clock.now()
        self._advance_to(now)
        return now

    def _push(self, key: str, due: float | None, priority: int) -> None:
        if due is None:
            self._scheduled.pop(key, None)
        elif self._scheduled.get(key) != due:
            self._scheduled[key] = due
            heapq.heappush(self._timers, (due, priority, self._next_seq(), key))

    def _schedule_recording(self, rec: Recording) -> None:
        step = self._recording_step(rec)
        self._push(f"r:{rec.id}", None if step is None else step[0], _REC)

    def _schedule_session(self, session: Session) -> None:
        self._push(f"s:{session.id}", self._session_end(session), _SESSION)

    def _schedule_meeting(self, meeting: Meeting) -> None:
        for rid in self._by_meeting.get(meeting.id, ()):
            self._schedule_recording(self._recordings[rid])
        if meeting.session_id is not None:
            self._schedule_session(self._sessions[meeting.session_id])

    def _advance_to(self, now: float) -> None:
        """Apply every transition due by ``now``, in time order, each at its due time."""
        while self._timers and self._timers[0][0] <= now:
            due, _, _, key = heapq.heappop(self._timers)
            if self._scheduled.get(key) != due:
                continue  # stale: the entity changed after this entry was pushed
            del self._scheduled[key]
            kind, ident = key.split(":", 1)
            if kind == "r":
                rec = self._recordings.get(ident)
                if rec is not None:
                    step = self._recording_step(rec)
                    if step is not None and step[0] == due:
                        self._apply_step(rec, due, step[1])
                    self._schedule_recording(rec)
            else:
                session = self._sessions.get(ident)
                if session is not None:
                    if self._session_end(session) == due:
                        self._end_session(session, due)
                    self._schedule_session(session)

    def _recording_step(self, rec: Recording) -> tuple[float, str] | None:
        """The recording's next timed transition: (due time, what happens)."""
        steps: list[tuple[float, str]] = []
        if rec.status == "INVOKED":
            steps.append((rec.status_since + self.invoke_delay, "record"))
        elif rec.status == "RECORDING":
            steps.append((rec.status_since + rec.max_seconds - rec.recorded, "max"))
        elif rec.status == "UPLOADING":
            steps.append((rec.status_since + self.upload_delay, "uploaded"))
        meeting = self._meetings.get(rec.meeting_id)
        if (
            rec.status in ACTIVE
            and self.empty_meeting_timeout is not None
            and meeting is not None
            and meeting.empty_since is not None
        ):
            since = max(meeting.empty_since, rec.invoked_at)
            steps.append((round(since + self.empty_meeting_timeout, 3), "peerless"))
        return min(steps, key=lambda s: s[0]) if steps else None

    def _apply_step(self, rec: Recording, at: float, step: str) -> None:
        if step == "record":
            self._enter_recording(rec, at)
        elif step == "max":
            self._stop(rec, at, None)
        elif step == "peerless":
            self._stop(rec, at, {"reason": "ALL_PEERS_LEFT"})
        else:
            rec.status, rec.status_since, rec.uploaded_at = "UPLOADED", at, at
            self._log_upload(rec, at)
        self._emit_recording(rec, at)

    def _session_end(self, session: Session) -> float | None:
        meeting = self._meetings.get(session.meeting_id)
        if session.ended_at is not None or meeting is None or meeting.empty_since is None:
            return None
        keep_alive = float(
            meeting.options.get("session_keep_alive_time_in_secs", DEFAULT_KEEP_ALIVE)
        )
        return round(meeting.empty_since + keep_alive, 3)

    def _end_session(self, session: Session, at: float) -> None:
        session.ended_at = at
        meeting = self._meetings[session.meeting_id]
        if meeting.session_id == session.id:
            meeting.session_id = None
        self._emit(
            meeting, "meeting.ended", at, session_id=session.id, reason="ALL_PARTICIPANTS_LEFT"
        )

    # --- recording transitions -------------------------------------------------------------

    @staticmethod
    def _close_segment(rec: Recording, at: float) -> None:
        if rec.status == "RECORDING":
            rec.recorded += at - rec.status_since

    def _enter_recording(self, rec: Recording, at: float) -> None:
        rec.status, rec.status_since = "RECORDING", at
        if rec.started_at is None:
            rec.started_at = at
        if rec.session_id is None:
            meeting = self._meetings.get(rec.meeting_id)
            live = meeting.session_id if meeting is not None else None
            rec.session_id = live or str(uuid.uuid5(_SESSION_NS, rec.meeting_id))

    def _stop(self, rec: Recording, at: float, reason: dict[str, Any] | None) -> None:
        self._close_segment(rec, at)
        rec.status, rec.status_since, rec.stopped_at = "UPLOADING", at, at
        rec.stop_reason = reason

    def _log_upload(self, rec: Recording, at: float) -> None:
        """Record where the files would go; the declared storage is never contacted."""
        if rec.storage_view is None:
            return
        self._uploads.append(
            {
                "recording_id": rec.id,
                "meeting_id": rec.meeting_id,
                "account_id": rec.account_id,
                "app_id": rec.app_id,
                "file_name": rec.output_file_name,
                "storage": dict(rec.storage_view),
                "uploaded_at": iso(at),
            }
        )

    @staticmethod
    def _caller(rec: Recording) -> dict[str, Any]:
        user = uuid.uuid5(_SESSION_NS, f"{rec.account_id}/{rec.app_id}")
        return {"name": "rtk-emulator", "type": "ORGANIZATION", "user_Id": str(user)}

    # --- webhook emissions -----------------------------------------------------------------

    def _emit(self, meeting: Meeting, event: str, at: float, **extra: Any) -> None:
        """Hand one event to every enabled webhook of the meeting's app subscribed to it."""
        if self.outbox is None:
            return
        hooks = [
            w
            for w in self._webhooks.values()
            if (w.account_id, w.app_id) == (meeting.account_id, meeting.app_id)
            and w.enabled
            and event in w.events
        ]
        if not hooks:
            return
        session_id = extra.pop("session_id", meeting.session_id)
        session = self._sessions.get(session_id) if session_id else None
        payload: dict[str, Any] = {
            "event": event,
            "meeting": meeting_payload(
                meeting_id=meeting.id,
                app_id=meeting.app_id,
                title=meeting.options.get("title"),
                created_at=meeting.created_at,
                session_id=session_id,
                started_at=session.started_at if session else None,
                ended_at=session.ended_at if session else None,
            ),
            **extra,
        }
        for hook in sorted(hooks, key=lambda w: w.seq):
            self.outbox(Emission(hook.id, hook.url, event, payload, at))

    def _emit_recording(self, rec: Recording, at: float) -> None:
        """``recording.statusUpdate`` for every status change except entering INVOKED."""
        meeting = self._meetings.get(rec.meeting_id)
        if meeting is None or rec.status == "INVOKED":
            return
        view = self._base_view(rec)
        self._emit(
            meeting,
            "recording.statusUpdate",
            at,
            session_id=rec.session_id,
            recording=recording_payload(view, meeting_id=rec.meeting_id, app_id=rec.app_id),
        )

    def _emit_participant(self, meeting: Meeting, event: str, person: Participant) -> None:
        at = person.joined_at if person.left_at is None else person.left_at
        self._emit(
            meeting,
            event,
            at,
            session_id=person.session_id,
            participant=participant_payload(
                participant_id=person.id,
                name=person.name,
                custom_participant_id=person.custom_participant_id,
                joined_at=person.joined_at,
                left_at=person.left_at,
            ),
        )

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
            "download_url_expiry": iso_or_none(expiry),
            "file_size": int(rec.recorded * BYTES_PER_SECOND) if done else None,
            "invoked_time": iso(rec.invoked_at),
            "output_file_name": rec.output_file_name,
            "session_id": rec.session_id,
            "started_time": iso_or_none(rec.started_at),
            "status": rec.status,
            "stopped_time": iso_or_none(rec.stopped_at),
            "recording_duration": int(rec.recorded) if done else None,
        }
        if rec.type == "TRACK":
            view["type"] = "TRACK"
            view["meeting_id"] = rec.meeting_id
        return view

    def _full_view(self, rec: Recording) -> dict[str, Any]:
        view = self._base_view(rec)
        view["start_reason"] = rec.start_reason or {
            "caller": self._caller(rec),
            "reason": "API_CALL",
        }
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
            config=rec.config,
        )
        return view

    # --- meetings ------------------------------------------------------------------------

    def create_meeting(
        self, account_id: str, app_id: str, options: dict[str, Any]
    ) -> dict[str, Any]:
        with self._lock:
            now = self._now()
            meeting = Meeting(
                id=str(uuid.uuid4()),
                account_id=account_id,
                app_id=app_id,
                created_at=now,
                seq=self._next_seq(),
                options=dict(options),
                updated_at=now,
                empty_since=now,
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
            self._now()
            return self._meeting(account_id, app_id, meeting_id).view()

    def update_meeting(
        self,
        account_id: str,
        app_id: str,
        meeting_id: str,
        fields: dict[str, Any],
        *,
        replace: bool,
    ) -> dict[str, Any]:
        """PATCH (only the given fields change; a given object replaces the old one whole)
        or PUT (``replace``: every field not given returns to its default; status stays)."""
        with self._lock:
            now = self._now()
            meeting = self._meeting(account_id, app_id, meeting_id)
            if replace:
                status = meeting.options.get("status")
                meeting.options = {**fields, "status": status} if status else dict(fields)
            else:
                meeting.options.update(fields)
            meeting.updated_at = _bump(meeting.updated_at, now)
            self._schedule_meeting(meeting)  # the keep-alive may have changed
            self.save()
            return meeting.view()

    def list_meetings(
        self, account_id: str, app_id: str, query: MeetingListQuery
    ) -> tuple[list[dict[str, Any]], dict[str, int]]:
        with self._lock:
            self._now()
            needle = None if query.search is None else query.search.lower()
            found = [
                m
                for m in self._meetings.values()
                if (m.account_id, m.app_id) == (account_id, app_id)
                and (needle is None or needle in m.title.lower() or needle in m.id)
                and (query.status is None or m.options.get("status", "ACTIVE") == query.status)
                and (query.start_time is None or m.created_at >= query.start_time)
                and (query.end_time is None or m.created_at <= query.end_time)
            ]
            found.sort(key=lambda m: (m.created_at, m.seq), reverse=True)
            page, paging = _page(found, query.page_no, query.per_page)
            return [m.view() for m in page], paging

    # --- participants and sessions (admin API) ---------------------------------------------

    def join(
        self, meeting_id: str, name: str, custom_participant_id: str | None = None
    ) -> dict[str, Any]:
        """A participant joins; the first one starts a session (and ``record_on_start``)."""
        with self._lock:
            now = self._now()
            meeting = self._meetings.get(meeting_id.lower())
            if meeting is None:
                raise ApiError(404, f"Meeting {meeting_id} not found")
            if meeting.options.get("status") == "INACTIVE":
                raise ApiError(409, f"Meeting {meeting.id} is INACTIVE: nobody can join it")
            started = meeting.session_id is None
            if started:
                session = Session(id=str(uuid.uuid4()), meeting_id=meeting.id, started_at=now)
                self._sessions[session.id] = session
                meeting.session_id = session.id
            session = self._sessions[str(meeting.session_id)]
            pid = str(uuid.uuid4())
            person = Participant(
                id=pid,
                meeting_id=meeting.id,
                session_id=session.id,
                name=name,
                custom_participant_id=custom_participant_id or pid,
                joined_at=now,
            )
            self._participants[pid] = person
            session.participant_ids.append(pid)
            meeting.empty_since = None
            if started:
                self._emit(meeting, "meeting.started", now)
            self._emit_participant(meeting, "meeting.participantJoined", person)
            if started and meeting.options.get("record_on_start"):
                self._record_on_start(meeting, now)
            self._schedule_meeting(meeting)
            self.save()
            return person.view()

    def leave(self, meeting_id: str, participant_id: str) -> dict[str, Any]:
        """A participant leaves; when nobody is left, the empty-meeting timers start."""
        with self._lock:
            now = self._now()
            person = self._participants.get(participant_id.lower())
            if person is None or person.meeting_id != meeting_id.lower():
                raise ApiError(404, f"Participant {participant_id} not found in {meeting_id}")
            if person.left_at is not None:
                raise ApiError(409, f"Participant {participant_id} already left")
            person.left_at = now
            meeting = self._meetings[person.meeting_id]
            self._emit_participant(meeting, "meeting.participantLeft", person)
            session = self._sessions[person.session_id]
            if all(self._participants[p].left_at is not None for p in session.participant_ids):
                meeting.empty_since = now
            self._schedule_meeting(meeting)
            self.save()
            return person.view()

    def sessions(self, meeting_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            self._now()
            result = []
            for session in self._sessions.values():
                if meeting_id is not None and session.meeting_id != meeting_id.lower():
                    continue
                result.append(
                    {
                        "id": session.id,
                        "meeting_id": session.meeting_id,
                        "status": "LIVE" if session.ended_at is None else "ENDED",
                        "started_at": iso(session.started_at),
                        "ended_at": iso_or_none(session.ended_at),
                        "participants": [
                            self._participants[p].view() for p in session.participant_ids
                        ],
                    }
                )
            return result

    def set_app_recording_config(
        self, account_id: str, app_id: str, config: dict[str, Any]
    ) -> dict[str, Any]:
        """The app's default recording config: the lowest level of the precedence."""
        with self._lock:
            self._app_configs[f"{account_id}/{app_id}"] = config
            self.save()
            return dict(config)

    def app_recording_config(self, account_id: str, app_id: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._app_configs.get(f"{account_id}/{app_id}", {}))

    def uploads(self) -> list[dict[str, Any]]:
        with self._lock:
            self._now()
            return [dict(u) for u in self._uploads]

    # --- webhooks ------------------------------------------------------------------------

    def create_webhook(self, account_id: str, app_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            now = self._now()
            hook = Webhook(
                id=str(uuid.uuid4()),
                account_id=account_id,
                app_id=app_id,
                name=body["name"],
                url=body["url"],
                events=list(body["events"]),
                enabled=body["enabled"],
                created_at=now,
                updated_at=now,
                seq=self._next_seq(),
            )
            self._webhooks[hook.id] = hook
            self.save()
            return hook.view()

    def _webhook(self, account_id: str, app_id: str, webhook_id: str) -> Webhook:
        hook = self._webhooks.get(webhook_id.lower())
        if hook is None or (hook.account_id, hook.app_id) != (account_id, app_id):
            raise ApiError(404, f"Webhook {webhook_id} not found")
        return hook

    def get_webhook(self, account_id: str, app_id: str, webhook_id: str) -> dict[str, Any]:
        with self._lock:
            return self._webhook(account_id, app_id, webhook_id).view()

    def list_webhooks(self, account_id: str, app_id: str) -> list[dict[str, Any]]:
        with self._lock:
            found = [
                w
                for w in self._webhooks.values()
                if (w.account_id, w.app_id) == (account_id, app_id)
            ]
            return [w.view() for w in sorted(found, key=lambda w: w.seq)]

    def update_webhook(
        self, account_id: str, app_id: str, webhook_id: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        """PATCH and PUT alike: PUT bodies are validated as complete (``enabled`` defaulted)."""
        with self._lock:
            now = self._now()
            hook = self._webhook(account_id, app_id, webhook_id)
            for key, value in fields.items():
                setattr(hook, key, list(value) if key == "events" else value)
            hook.updated_at = _bump(hook.updated_at, now)
            self.save()
            return hook.view()

    def delete_webhook(self, account_id: str, app_id: str, webhook_id: str) -> dict[str, Any]:
        with self._lock:
            hook = self._webhook(account_id, app_id, webhook_id)
            del self._webhooks[hook.id]
            self.save()
            return hook.view()

    # --- recordings ----------------------------------------------------------------------

    def _new_recording(
        self,
        meeting: Meeting,
        kind: str,
        now: float,
        *,
        allow_multiple: bool,
        start_config: dict[str, Any],
        config: dict[str, Any],
        start_reason: dict[str, Any] | None,
    ) -> Recording:
        settings = derive_recording(config)
        rid = str(uuid.uuid4())
        rec = Recording(
            id=rid,
            account_id=meeting.account_id,
            app_id=meeting.app_id,
            meeting_id=meeting.id,
            type=kind,
            seq=self._next_seq(),
            allow_multiple_recordings=allow_multiple,
            start_config=start_config,
            storage_view=settings.storage_view,
            audio_codec=settings.audio_codec,
            bucket_enabled=settings.bucket_enabled,
            max_seconds=settings.max_seconds,
            output_file_name=f"{settings.file_name_prefix or 'recording'}_{rid}.mp4",
            invoked_at=now,
            status_since=now,
            session_id=meeting.session_id,
            start_reason=start_reason,
            config=config,
        )
        self._recordings[rec.id] = rec
        self._by_meeting.setdefault(meeting.id, []).append(rec.id)
        self._schedule_recording(rec)
        return rec

    def _active(self, meeting_id: str) -> list[Recording]:
        """Active (INVOKED/RECORDING/PAUSED) non-track recordings, newest first."""
        found = [
            self._recordings[rid]
            for rid in self._by_meeting.get(meeting_id, ())
            if self._recordings[rid].type == "RECORDING" and self._recordings[rid].status in ACTIVE
        ]
        found.sort(key=lambda r: (r.invoked_at, r.seq), reverse=True)
        return found

    def _effective_config(self, meeting: Meeting, start: dict[str, Any]) -> dict[str, Any]:
        start_options = {
            k: v for k, v in start.items() if k not in ("meeting_id", "allow_multiple_recordings")
        }
        return merge_configs(
            start_options,
            meeting.options.get("recording_config") or {},
            self._app_configs.get(f"{meeting.account_id}/{meeting.app_id}", {}),
        )

    def _record_on_start(self, meeting: Meeting, now: float) -> None:
        if self._active(meeting.id):
            return
        try:
            config = self._effective_config(meeting, {})
            self._new_recording(
                meeting,
                "RECORDING",
                now,
                allow_multiple=False,
                start_config={},
                config=config,
                start_reason={"reason": "RECORD_ON_START"},
            )
        except ApiError:
            return  # a config that records nowhere starts nothing, as on the real service

    def start(self, account_id: str, app_id: str, req: StartRequest) -> dict[str, Any]:
        with self._lock:
            now = self._now()
            meeting = self._meeting(account_id, app_id, req.meeting_id)
            active = self._active(meeting.id)
            if active and not req.allow_multiple_recordings:
                raise ApiError(
                    400, f"Meeting {meeting.id} already has an active recording {active[0].id}"
                )
            rec = self._new_recording(
                meeting,
                "RECORDING",
                now,
                allow_multiple=req.allow_multiple_recordings,
                start_config=req.start_config,
                config=self._effective_config(meeting, req.start_config),
                start_reason=None,
            )
            self.save()
            return self._full_view(rec)

    def start_track(self, account_id: str, app_id: str, req: TrackRequest) -> dict[str, Any]:
        with self._lock:
            now = self._now()
            meeting = self._meeting(account_id, app_id, req.meeting_id)
            rec = self._new_recording(
                meeting,
                "TRACK",
                now,
                allow_multiple=True,
                start_config=req.start_config,
                config={},
                start_reason=None,
            )
            rec.output_file_name = (
                f"{req.file_name_prefix}_{{user_id}}_{{peer_id}}_{{stream_kind}}"
                "_{media_kind}_{date_time}.webm"
            )
            self.save()
            return self._base_view(rec)

    def _recording(self, account_id: str, app_id: str, recording_id: str) -> Recording:
        rec = self._recordings.get(recording_id.lower())
        if rec is None or (rec.account_id, rec.app_id) != (account_id, app_id):
            raise ApiError(404, f"Recording {recording_id} not found")
        return rec

    def get(self, account_id: str, app_id: str, recording_id: str) -> dict[str, Any]:
        with self._lock:
            self._now()
            return self._full_view(self._recording(account_id, app_id, recording_id))

    def act(self, account_id: str, app_id: str, recording_id: str, action: str) -> dict[str, Any]:
        """Pause, resume or stop; any other state/action pair is a 400."""
        with self._lock:
            now = self._now()
            rec = self._recording(account_id, app_id, recording_id)
            if rec.status not in _TRANSITIONS[action]:
                raise ApiError(400, f"Recording {rec.id} cannot {action} in status {rec.status}")
            if action == "pause":
                self._close_segment(rec, now)
                rec.status, rec.status_since = "PAUSED", now
            elif action == "resume":
                self._enter_recording(rec, now)
            else:
                self._stop(rec, now, {"caller": self._caller(rec), "reason": "API_CALL"})
            self._schedule_recording(rec)
            self._emit_recording(rec, now)
            self.save()
            return self._full_view(rec)

    def active_recording(self, account_id: str, app_id: str, meeting_id: str) -> dict[str, Any]:
        with self._lock:
            self._now()
            meeting = self._meeting(account_id, app_id, meeting_id)
            active = self._active(meeting.id)
            if not active:
                raise ApiError(404, f"No active recording found for meeting {meeting.id}")
            return self._base_view(active[0])

    def list_recordings(
        self, account_id: str, app_id: str, query: ListQuery
    ) -> tuple[list[dict[str, Any]], dict[str, int]]:
        with self._lock:
            now = self._now()
            found = [
                rec
                for rec in self._recordings.values()
                if (rec.account_id, rec.app_id, rec.type) == (account_id, app_id, "RECORDING")
                and self._matches(rec, self._meetings[rec.meeting_id], query, now)
            ]
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
            if needle not in rec.meeting_id and needle not in meeting.title.lower():
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
            self._now()
            found = sorted(self._recordings.values(), key=lambda r: r.seq)
            return [
                self._internal_view(rec)
                for rec in found
                if meeting_id is None or rec.meeting_id == meeting_id.lower()
            ]

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
            now = self._now()
            self._close_segment(rec, now)
            rec.status, rec.status_since = status, now
            if status == "RECORDING":
                self._enter_recording(rec, now)
            elif status in ("UPLOADING", "UPLOADED", "ERRORED") and rec.stopped_at is None:
                rec.stopped_at = now
            if status == "UPLOADED":
                rec.uploaded_at = now
                self._log_upload(rec, now)
            if stop_reason is None and status == "ERRORED":
                stop_reason = "INTERNAL_ERROR"
            if stop_reason is not None:
                rec.stop_reason = {"reason": stop_reason}
            self._schedule_recording(rec)
            self._emit_recording(rec, now)
            self.save()
            return self._internal_view(rec)

    def forget(self, recording_id: str) -> None:
        with self._lock:
            rec = self._recordings.pop(recording_id.lower(), None)
            if rec is None:
                raise ApiError(404, f"Recording {recording_id} not found")
            self._by_meeting[rec.meeting_id].remove(rec.id)
            self._scheduled.pop(f"r:{rec.id}", None)
            self.save()

    def reset(self) -> None:
        with self._lock:
            for table in (
                self._meetings,
                self._recordings,
                self._by_meeting,
                self._sessions,
                self._participants,
                self._webhooks,
                self._app_configs,
                self._scheduled,
            ):
                table.clear()
            self._uploads.clear()
            self._timers.clear()
            self.save()

    def has_recording(self, recording_id: str) -> bool:
        with self._lock:
            return recording_id.lower() in self._recordings


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
