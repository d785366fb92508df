"""Recording semantics: start and reconcile, pause and resume, bounded waits, stop.

A recording is a live, billable process, so create never starts two where one was declared and
never loses track of one it started. A start (POST) is sent once; after a failure that may have
acted (the request went out and no usable answer came back), the provider looks for the
recording the request may have started and adopts it before it ever posts again. A connection
that was never made sent nothing, so it is reported at once, with nothing to reconcile.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final, cast

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from pulumi_rtk.errors import (
    ApiError,
    ApiTimeoutError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    RateLimitError,
    RecordingLeftRunningError,
    RecordingStateError,
    RtkError,
    StartOutcomeUnknownError,
    TransportError,
)
from pulumi_rtk.providers.base import (
    PROVIDER_KEY,
    ProviderBase,
    changed,
    created_since,
    parse_time,
    unwrap,
)
from pulumi_rtk.vocabulary import (
    ACTIVE_STATUSES,
    API_CALL,
    PAUSABLE_STATUSES,
    PAUSE,
    PAUSED,
    RECORDING,
    RECORDING_OUTPUTS,
    RESUME,
    START_OPTIONS,
    STOP,
    STOPPED_STATUSES,
    STORAGE_READ_FIELDS,
    TRACK_OPTIONS,
)

if TYPE_CHECKING:
    from pulumi_rtk.client import Target
    from pulumi_rtk.models import RecordingInputs, TrackRecordingInputs

__all__ = ["RecordingSemantics", "TrackRecordingSemantics"]

# Poll schedule of wait_for_status. A wait holds one of the four threads the provider process
# serves with, so the first look is when a recording usually starts recording: the median
# INVOKED -> RECORDING delay of the recent starts this process has seen (the API's own
# started_time - invoked_time), and before it has seen any, 2 s (the emulator's default delay).
# Then looks come quickly, backing off: 0.25 s, 0.5 s, 1 s, then every 2 s until the deadline.
DEFAULT_START_SECONDS: Final = 2.0
MAX_START_SECONDS: Final = 30.0
START_SAMPLES: Final = 16
FIRST_STEP_SECONDS: Final = 0.25
MAX_POLL_SECONDS: Final = 2.0

log = logging.getLogger("pulumi_rtk")


class _RecordingBase(ProviderBase):
    """Read and delete are the same for every kind of recording."""

    replace_keys: ClassVar[tuple[str, ...]]

    def __init__(self) -> None:
        super().__init__()
        self._meeting_locks: dict[str, threading.Lock] = {}

    def _meeting_lock(self, meeting_id: str) -> threading.Lock:
        """One start at a time per meeting in this process, so that after a failed start the
        recording found is this create's own and not one a concurrent create just started."""
        with self._lock:
            return self._meeting_locks.setdefault(meeting_id, threading.Lock())

    @staticmethod
    def _outputs(
        inputs: Mapping[str, Any], target: Target, recording: Mapping[str, Any]
    ) -> dict[str, Any]:
        """What the API reports now, and nothing it does not (the SDK would drop a null on
        the wire anyway; a program reads an absent key as None)."""
        outs = {
            key: value
            for key, value in inputs.items()
            if key != PROVIDER_KEY and key not in RECORDING_OUTPUTS
        }
        outs.update(ProviderBase.target_outputs(target))
        reported = ((key, recording.get(key)) for key in RECORDING_OUTPUTS)
        outs.update((key, value) for key, value in reported if value is not None)
        return outs

    def _replacements(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        """Inputs whose change needs a new recording; ids only when set explicitly."""
        replaces = [key for key in self.replace_keys if changed(olds, news, key)]
        return replaces + self.moved(olds, news)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh every output; a recording the API no longer knows leaves state."""
        props = unwrap(props)
        target = self.target(props)
        try:
            recording = self.client.get_recording(target, id_)
        except NotFoundError:
            return ReadResult("", {})
        self.note_managed(id_)
        return ReadResult(id_, self._outputs(props, target, recording))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Stop a running recording; one already stopped or gone needs nothing."""
        props = unwrap(props)
        if props.get("status") in STOPPED_STATUSES:
            return
        self._stop(self.target(props), id_)

    def _stop(self, target: Target, recording_id: str) -> None:
        """Stop it, or learn it is stopped or gone already; raise only while it may still run."""
        try:
            self.client.act_on_recording(target, recording_id, STOP)
        except NotFoundError:
            return
        except (ApiError, TransportError) as exc:
            refused = isinstance(exc, (BadRequestError, ConflictError))
            if not (refused or exc.may_have_acted):
                raise
            # Refused, or no usable answer: an earlier or this very stop may have acted.
            recording = self._current(target, recording_id, exc)
            if recording is None or recording.get("status") in STOPPED_STATUSES:
                return
            raise

    def _current(
        self, target: Target, recording_id: str, failure: RtkError
    ) -> dict[str, Any] | None:
        """The recording as it is now, None if gone; if even that fails, the action's error."""
        try:
            return self.client.get_recording(target, recording_id)
        except NotFoundError:
            return None
        except RtkError:
            pass  # the look failed too: report what the action met, with its own cause
        raise failure


class RecordingSemantics(_RecordingBase):
    """A RealtimeKit recording: create starts it, read refreshes it, delete stops it."""

    inputs_model = "RecordingInputs"
    replace_keys = ("meeting_id", *START_OPTIONS)

    def __init__(self) -> None:
        super().__init__()
        self._start_delays: deque[float] = deque(maxlen=START_SAMPLES)

    def create(self, props: dict[str, Any]) -> CreateResult:
        props = unwrap(props)
        inputs = cast("RecordingInputs", self.validated(props))
        target = self.target(props)
        if inputs.adopt_recording_id:
            recording = self._adopt(target, inputs.adopt_recording_id)
            owned = False
        else:
            recording = self._start(target, inputs)
            owned = True
        recording_id = str(recording["id"])
        try:
            recording = self._settle(target, recording, inputs)
        except Exception as exc:
            if owned:
                self._stop_after_failed_create(target, recording_id, inputs, exc)
            raise
        self.note_managed(recording_id)
        return CreateResult(recording_id, self._outputs(props, target, recording))

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Start options replace (a running recording cannot be reconfigured); pause updates.

        The recording is noted as managed: in this deployment, a failed start must not adopt it.
        """
        olds, news = unwrap(olds), unwrap(news)
        self.note_managed(id_)
        replaces = self._replacements(olds, news)
        adopt = news.get("adopt_recording_id")
        if adopt is not None and adopt != id_:
            replaces.append("adopt_recording_id")
        updates = [
            key for key in ("wait_for_status", "wait_timeout_seconds") if changed(olds, news, key)
        ]
        if self._pause_wanted(olds, news) is not None:
            updates.append("paused")
        both_multiple = bool(olds.get("allow_multiple_recordings")) and bool(
            news.get("allow_multiple_recordings")
        )
        return DiffResult(
            changes=bool(replaces or updates),
            replaces=replaces,
            delete_before_replace=bool(replaces) and not both_multiple,
        )

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Pause or resume in place; always return the full outputs (the default wipes them)."""
        olds, news = unwrap(olds), unwrap(news)
        target = self.target(olds)
        recording: Mapping[str, Any] = olds
        action = self._pause_wanted(olds, news)
        if action is not None:
            recording = self._pause_or_resume(target, id_, action)
        return UpdateResult(self._outputs(news, target, recording))

    # Pause and resume

    @staticmethod
    def _pause_wanted(olds: Mapping[str, Any], news: Mapping[str, Any]) -> str | None:
        """The action that brings the recording to the declared ``paused``, if one is due."""
        status = olds.get("status")
        is_paused = status == PAUSED if status in ACTIVE_STATUSES else bool(olds.get("paused"))
        want_paused = bool(news.get("paused"))
        if want_paused == is_paused:
            return None
        return PAUSE if want_paused else RESUME

    def _pause_or_resume(self, target: Target, recording_id: str, action: str) -> dict[str, Any]:
        try:
            return self.client.act_on_recording(target, recording_id, action)
        except (BadRequestError, ConflictError) as exc:
            recording = self.client.get_recording(target, recording_id)
            if _in_state_after(recording, action):
                return recording
            raise RecordingStateError(
                f"cannot {action} recording {recording_id}: it is {recording.get('status')}; "
                "a stopped recording cannot change, replace it to record again"
            ) from exc
        except (ApiError, TransportError) as exc:
            if not exc.may_have_acted:
                raise
            # No usable answer: the action (or an earlier attempt of it) may have acted.
            current = self._current(target, recording_id, exc)
            if current is not None and _in_state_after(current, action):
                return current
            raise

    # Create: start, adopt, wait

    def _adopt(self, target: Target, recording_id: str) -> dict[str, Any]:
        try:
            recording = self.client.get_recording(target, recording_id)
        except NotFoundError as exc:
            raise RecordingStateError(
                f"adopt_recording_id: no recording {recording_id} in account "
                f"{target.account_id}, app {target.app_id}"
            ) from exc
        log.warning("pulumi-rtk: adopted recording %s (%s)", recording_id, recording.get("status"))
        return recording

    def _start(self, target: Target, inputs: RecordingInputs) -> dict[str, Any]:
        """POST once; after a failure that may have acted, look before posting again.

        Starts in one meeting are serialised in this process and noted as managed before the
        lock is released, so a concurrent create never takes another's recording for its own.
        """
        with self._meeting_lock(inputs.meeting_id):
            recording = self._start_locked(target, inputs)
            self.note_managed(str(recording["id"]))
            return recording

    def _start_locked(self, target: Target, inputs: RecordingInputs) -> dict[str, Any]:
        body = inputs.body()
        single = not inputs.allow_multiple_recordings
        # With several recordings allowed, what already runs (say, started by an earlier
        # `pulumi up` and not yet noted here) must never be taken for this start's.
        before = None if single else self._running_ids(target, inputs.meeting_id)
        attempts = self.settings.max_retries + 1
        for attempt in range(1, attempts + 1):
            sent_at = time.time()
            try:
                return self.client.start_recording(target, body)
            except (BadRequestError, ConflictError):
                # A single-recording meeting refuses a second start. After a crashed
                # `pulumi up`, the running one is the recording this resource asked for.
                found = self._find_started(target, inputs, since=None) if single else None
                if found is None:
                    raise
                log.warning(
                    "pulumi-rtk: adopted recording %s, already running on meeting %s with this "
                    "configuration (an earlier start was interrupted before Pulumi saved it)",
                    found["id"],
                    inputs.meeting_id,
                )
                return found
            except (ApiError, TransportError) as exc:
                if not exc.may_have_acted:
                    # Nothing was done. Throttled: post again after the pause the API asked
                    # for. Refused (401, 403, 404 ...) or never connected (urllib3 already
                    # retried the connection): report it, nothing to reconcile.
                    if attempt == attempts or not isinstance(exc, RateLimitError):
                        raise
                    time.sleep(_pause_before(attempt, exc))
                    continue
                found = self._look_after_ambiguous_start(target, inputs, exc, sent_at, before)
                if found is not None:
                    return found
                if attempt == attempts:
                    raise
                time.sleep(_pause_before(attempt, exc))
        raise AssertionError("unreachable: the loop returns or raises")

    def _look_after_ambiguous_start(
        self,
        target: Target,
        inputs: RecordingInputs,
        exc: RtkError,
        sent_at: float,
        before: frozenset[str] | None,
    ) -> dict[str, Any] | None:
        """The recording a start that may have acted did start, if any; raises when posting
        again could duplicate it."""
        try:
            found = self._find_started(target, inputs, since=sent_at, before=before)
        except StartOutcomeUnknownError:
            raise
        except RtkError as lookup:
            raise StartOutcomeUnknownError(_lost_start(inputs, exc, lookup)) from exc
        if found is not None:
            log.warning(
                "pulumi-rtk: the start request failed (%s) but recording %s had started; using it",
                exc,
                found["id"],
            )
            return found
        if isinstance(exc, ApiTimeoutError) and inputs.allow_multiple_recordings:
            raise StartOutcomeUnknownError(
                f"the start request for meeting {inputs.meeting_id} timed out and no "
                "recording has appeared yet; with allow_multiple_recordings a retry could "
                "start a second one. It may still start: list the meeting's recordings "
                "and stop any that no resource owns, then run `pulumi up` again"
            ) from exc
        return None

    def _running_ids(self, target: Target, meeting_id: str) -> frozenset[str]:
        listed = self.client.list_recordings(
            target, meeting_id=meeting_id, status=sorted(ACTIVE_STATUSES)
        )
        return frozenset(str(item.get("id")) for item in listed)

    def _find_started(
        self,
        target: Target,
        inputs: RecordingInputs,
        *,
        since: float | None,
        before: frozenset[str] | None = None,
    ) -> dict[str, Any] | None:
        """The running recording this create asked for, if the server has one; ``before`` holds
        the ids that were already running when the start was first sent."""
        if inputs.allow_multiple_recordings:
            listed = self.client.list_recordings(
                target, meeting_id=inputs.meeting_id, status=sorted(ACTIVE_STATUSES)
            )
            candidates: Iterable[Mapping[str, Any]] = [
                item for item in listed if before is None or str(item.get("id")) not in before
            ]
        else:
            active = self.client.get_active_recording(target, inputs.meeting_id)
            candidates = [active] if active else []
        matches = []
        for candidate in candidates:
            recording_id = str(candidate.get("id"))
            if self.is_managed(recording_id):
                continue
            if since is not None and not created_since(candidate.get("invoked_time"), since):
                continue
            full = self.client.get_recording(target, recording_id)
            if _same_start(full, inputs):
                matches.append(full)
        if len(matches) > 1:
            ids = ", ".join(str(match["id"]) for match in matches)
            raise StartOutcomeUnknownError(
                f"the start request failed and several recordings that match it are running on "
                f"meeting {inputs.meeting_id} ({ids}); stop the extra ones, then run `pulumi up`"
            )
        return matches[0] if matches else None

    def _settle(
        self, target: Target, recording: dict[str, Any], inputs: RecordingInputs
    ) -> dict[str, Any]:
        """Honour ``wait_for_status`` and ``paused`` before create reports success."""
        if inputs.wait_for_status:
            recording = self._wait(target, recording, inputs)
        if inputs.paused and recording.get("status") in PAUSABLE_STATUSES:
            recording = self._pause_or_resume(target, str(recording["id"]), PAUSE)
        return recording

    def _wait(
        self, target: Target, recording: dict[str, Any], inputs: RecordingInputs
    ) -> dict[str, Any]:
        """Look again until the recording reaches ``wait_for_status``, ends, or time runs out."""
        wanted = inputs.wait_for_status
        timeout = float(inputs.wait_timeout_seconds or 300)
        now = time.monotonic()
        deadline = now + timeout
        look_at = now + self._typical_start()
        step = FIRST_STEP_SECONDS
        # Looks are at least FIRST_STEP_SECONDS apart, so the deadline comes within this many.
        for _ in range(math.ceil(timeout / FIRST_STEP_SECONDS) + 2):
            status = recording.get("status")
            if status == wanted or (wanted == RECORDING and status == PAUSED):
                self._note_start(recording)
                return recording
            if status in STOPPED_STATUSES:
                raise RecordingStateError(_wait_message(recording, wanted, "ended"))
            if time.monotonic() >= deadline:
                break
            time.sleep(max(min(look_at, deadline) - time.monotonic(), 0.0))
            recording = self.client.get_recording(target, str(recording["id"]))
            look_at = time.monotonic() + step
            step = min(step * 2, MAX_POLL_SECONDS)
        raise RecordingStateError(
            _wait_message(recording, wanted, f"did not get there within {timeout:g} s")
            + "; it was stopped"
        )

    def _typical_start(self) -> float:
        """Seconds from a start to RECORDING, as the recent starts took (their median)."""
        with self._lock:
            seen = sorted(self._start_delays)
        return seen[len(seen) // 2] if seen else DEFAULT_START_SECONDS

    def _note_start(self, recording: Mapping[str, Any]) -> None:
        """Remember how long the API took to start this recording, by its own clock."""
        invoked = parse_time(recording.get("invoked_time"))
        began = parse_time(recording.get("started_time"))
        if invoked is not None and began is not None and 0 <= began - invoked <= MAX_START_SECONDS:
            with self._lock:
                self._start_delays.append(began - invoked)

    def _stop_after_failed_create(
        self,
        target: Target,
        recording_id: str,
        inputs: RecordingInputs,
        failure: Exception,
    ) -> None:
        """Best effort after a failed create, so a started recording is not left orphaned; when
        even that fails, the error says which recording may still run and what to do."""
        try:
            self._stop(target, recording_id)
        except RtkError as exc:
            if inputs.allow_multiple_recordings:
                step = (
                    f"`pulumi up` would start another one: adopt it with "
                    f"adopt_recording_id={recording_id!r}, or stop it"
                )
            else:
                step = "the next `pulumi up` adopts it (the meeting runs one recording at a time)"
            raise RecordingLeftRunningError(
                f"{failure}; recording {recording_id} was started and may still be running, "
                f"and stopping it failed too ({exc}): {step}"
            ) from failure


def _pause_before(attempt: int, exc: RtkError) -> float:
    from pulumi_rtk.client import retry_delay  # noqa: PLC0415 (lazy HTTP stack)

    return retry_delay(attempt, exc.retry_after if isinstance(exc, ApiError) else None)


def _wait_message(recording: Mapping[str, Any], wanted: str | None, what: str) -> str:
    reason = recording.get("stop_reason") or {}
    why = reason.get("reason") if isinstance(reason, Mapping) else None
    return (
        f"recording {recording.get('id')} was to reach {wanted} but {what} "
        f"(last status {recording.get('status')}, stop reason {why or 'none'})"
    )


def _in_state_after(recording: Mapping[str, Any], action: str) -> bool:
    """Whether the recording is where ``pause`` or ``resume`` would have brought it."""
    return (recording.get("status") == PAUSED) == (action == PAUSE)


def _lost_start(inputs: RecordingInputs, failure: RtkError, lookup: RtkError) -> str:
    """Why a create failed without knowing whether its recording started, and what to do."""
    head = (
        f"the start request for meeting {inputs.meeting_id} failed ({failure}) and looking for "
        f"the recording it may have started failed too ({lookup}); "
    )
    if inputs.allow_multiple_recordings:
        return head + (
            "with allow_multiple_recordings a new start cannot tell it apart, so list the "
            "meeting's recordings and stop any that no resource owns, then run `pulumi up` again"
        )
    return head + (
        "run `pulumi up` again: the meeting allows one recording at a time, so a recording that "
        "did start with this configuration is adopted then"
    )


def _same_start(recording: Mapping[str, Any], inputs: RecordingInputs) -> bool:
    """Whether a running recording is the one these inputs start, as far as the API shows."""
    start = recording.get("start_reason")
    if isinstance(start, Mapping) and start.get("reason") not in (None, API_CALL):
        return False
    shown = recording.get("storage_config")
    if inputs.storage_config is None:
        # No storage declared: a recording that writes to some bucket or server is not ours.
        return not isinstance(shown, Mapping) or all(value is None for value in shown.values())
    if not isinstance(shown, Mapping):
        return False
    declared = inputs.storage_config
    return all(
        getattr(declared, key) is None or shown.get(key) == getattr(declared, key)
        for key in STORAGE_READ_FIELDS
    )


class TrackRecordingSemantics(_RecordingBase):
    """A per-participant audio (track) recording: started by create, stopped by delete."""

    inputs_model = "TrackRecordingInputs"
    replace_keys = ("meeting_id", *TRACK_OPTIONS)

    def create(self, props: dict[str, Any]) -> CreateResult:
        props = unwrap(props)
        inputs = cast("TrackRecordingInputs", self.validated(props))
        target = self.target(props)
        recording = self.client.start_track_recording(target, inputs.body())
        self.note_managed(str(recording["id"]))
        return CreateResult(str(recording["id"]), self._outputs(props, target, recording))

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        self.note_managed(id_)
        replaces = self._replacements(unwrap(olds), unwrap(news))
        return DiffResult(changes=bool(replaces), replaces=replaces, delete_before_replace=True)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Nothing of a track recording changes in place; keep the outputs whole."""
        olds, news = unwrap(olds), unwrap(news)
        return UpdateResult(self._outputs(news, self.target(olds), olds))
