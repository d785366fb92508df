"""Provider semantics: how a recording maps onto Pulumi's check, diff, create, read, update, delete.

``RecordingProvider`` is pickled into state by reference (``pulumi_rtk.provider.RecordingProvider``)
and that name is permanent. The pickle holds no field at all: settings and the HTTP client are
rebuilt in the provider process from ``configure``, so no token ever reaches state.

The HTTP stack is imported on first use, not at import time, so a Pulumi program that only
declares resources does not pay for it.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final, cast

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown
from pulumi.runtime import rpc

from pulumi_rtk.config import ProviderSettings, resolve_settings
from pulumi_rtk.errors import (
    ApiError,
    ApiTimeoutError,
    BadRequestError,
    ConflictError,
    InputError,
    NotFoundError,
    RateLimitError,
    RecordingStateError,
    ResponseFormatError,
    RtkError,
    ServerError,
    StartOutcomeUnknownError,
    TransportError,
)

if TYPE_CHECKING:
    from pulumi_rtk.client import RealtimeKitClient, Target
    from pulumi_rtk.models import Checked, RecordingInputs, TrackRecordingInputs

__all__ = ["OUTPUT_KEYS", "START_OPTIONS", "RecordingProvider", "TrackRecordingProvider"]

PROVIDER_KEY: Final = "__provider"

# The start body's options besides meeting_id: together, the twelve fields of the API document.
START_OPTIONS: Final = (
    "allow_multiple_recordings",
    "audio_config",
    "file_name_prefix",
    "interactive_config",
    "max_seconds",
    "realtimekit_bucket_config",
    "rtmp_out_config",
    "storage_config",
    "url",
    "video_config",
)
# What the API reports about a recording; refreshed by every read.
OUTPUT_KEYS: Final = (
    "status",
    "download_url",
    "audio_download_url",
    "download_url_expiry",
    "file_size",
    "invoked_time",
    "started_time",
    "stopped_time",
    "output_file_name",
    "session_id",
    "recording_duration",
    "start_reason",
    "stop_reason",
)
ACTIVE: Final = frozenset({"INVOKED", "RECORDING", "PAUSED"})
STOPPED: Final = frozenset({"UPLOADING", "UPLOADED", "ERRORED"})
# How far before our start request a recording may claim to have been invoked and still be ours.
CLOCK_SKEW_SECONDS: Final = 120.0
STORAGE_READ_VIEW: Final = ("type", "bucket", "path", "region", "host", "port", "username")
# Failures after which a request may or may not have acted on the server.
UNKNOWN_OUTCOME: Final = (ServerError, RateLimitError, TransportError, ResponseFormatError)

log = logging.getLogger("pulumi_rtk")


def _unwrap(value: Any) -> Any:
    """Plain values: drop secret markers (the engine strips them; a harness may not) and turn
    preview's ``Unknown`` objects into the wire sentinel that validation recognises."""
    if isinstance(value, Unknown):
        return rpc.UNKNOWN
    if isinstance(value, dict):
        if rpc.is_rpc_secret(value):
            return _unwrap(rpc.unwrap_rpc_secret(value))
        return {key: _unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unwrap(item) for item in value]
    return value


def _normal(value: Any) -> Any:
    """Compare as the API would: unset equals null equals empty, 3600.0 equals 3600."""
    if isinstance(value, dict):
        items = {key: _normal(item) for key, item in value.items()}
        kept = {key: item for key, item in items.items() if item is not None}
        return kept or None
    if isinstance(value, list):
        return [_normal(item) for item in value]
    return value


def _changed(olds: Mapping[str, Any], news: Mapping[str, Any], key: str) -> bool:
    return bool(_normal(olds.get(key)) != _normal(news.get(key)))


def _parse_time(text: object) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class _ProviderBase(ResourceProvider):
    """Shared plumbing: settings from ``configure``, one lazy client, read and delete."""

    # Nothing sensitive is ever pickled, so state need not encrypt a blob per resource.
    serialize_as_secret_always = False
    replace_keys: ClassVar[tuple[str, ...]]

    def __init__(self) -> None:
        self._settings: ProviderSettings | None = None
        self._client: RealtimeKitClient | None = None
        self._lock = threading.Lock()
        self._claimed: set[str] = set()
        self._meeting_locks: dict[str, threading.Lock] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    # Configuration and client

    def configure(self, req: ConfigureRequest) -> None:
        settings = resolve_settings(req.config.get)
        with self._lock:
            self._settings = settings
            if self._client is not None:
                self._client.close()
                self._client = None

    @property
    def settings(self) -> ProviderSettings:
        """Stack config when the engine configured us, else the environment alone."""
        if self._settings is None:
            with self._lock:
                if self._settings is None:
                    self._settings = resolve_settings(lambda _key: None)
        return self._settings

    @property
    def client(self) -> RealtimeKitClient:
        client = self._client
        if client is None:
            from pulumi_rtk.client import RealtimeKitClient  # noqa: PLC0415 (lazy HTTP stack)

            with self._lock:
                client = self._client
                if client is None:
                    client = self._client = RealtimeKitClient(self.settings)
        return client

    def _target(self, props: Mapping[str, Any]) -> Target:
        """Where a recording lives. Outputs keep the ids and endpoint it was created with, so
        config changes cannot move it; inputs carry no endpoint, so a new recording goes to the
        configured one. Ids: the resource's own, else config, else environment."""
        from pulumi_rtk.client import Target  # noqa: PLC0415 (lazy HTTP stack)

        settings = self.settings
        account, app = settings.resolve_target_ids(props.get("account_id"), props.get("app_id"))
        return Target(props.get("api_base_url") or settings.api_base_url, account, app)

    def _claim(self, recording_id: str) -> None:
        with self._lock:
            self._claimed.add(recording_id)

    def _is_claimed(self, recording_id: str) -> bool:
        with self._lock:
            return recording_id in self._claimed

    def _meeting_lock(self, meeting_id: str) -> threading.Lock:
        """One start at a time per meeting in this process, so that after a failed start the
        recording found is this create's own and not one a concurrent create just started."""
        with self._lock:
            return self._meeting_locks.setdefault(meeting_id, threading.Lock())

    # Validation

    def _inputs_model(self) -> type[Checked]:
        raise NotImplementedError

    def _validate(self, props: Mapping[str, Any]) -> tuple[Checked | None, list[tuple[str, str]]]:
        from pulumi_rtk.models import validate  # noqa: PLC0415 (pydantic on first use)

        data = {k: v for k, v in props.items() if k != PROVIDER_KEY and v is not None}
        return validate(self._inputs_model(), data)

    def _validated(self, props: Mapping[str, Any]) -> Checked:
        """Validate again before a request: create may be called without check (tests, tools)."""
        parsed, failures = self._validate(props)
        if failures or parsed is None:
            raise InputError(failures or [("(inputs)", "contain values not known yet")])
        return parsed

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate without any request; values unknown during preview pass through."""
        failures = self._validate(_unwrap(news))[1]
        return CheckResult(news, [CheckFailure(path, why) for path, why in failures])

    def _replacements(
        self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> list[str]:
        """Inputs whose change needs a new recording; ids only when set explicitly."""
        self._claim(id_)
        replaces = [key for key in self.replace_keys if _changed(olds, news, key)]
        for key in ("account_id", "app_id"):
            if news.get(key) is not None and news.get(key) != olds.get(key):
                replaces.append(key)
        return replaces

    # Outputs

    @staticmethod
    def _outputs(
        inputs: Mapping[str, Any], target: Target, recording: Mapping[str, Any]
    ) -> dict[str, Any]:
        outs = {key: value for key, value in inputs.items() if key != PROVIDER_KEY}
        outs.update(
            account_id=target.account_id, app_id=target.app_id, api_base_url=target.base_url
        )
        outs.update({key: recording.get(key) for key in OUTPUT_KEYS})
        return outs

    # Read and delete: the same for every kind of recording

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh every output; a recording the API no longer knows leaves state."""
        props = _unwrap(props)
        target = self._target(props)
        try:
            recording = self.client.get_recording(target, id_)
        except NotFoundError:
            return ReadResult("", {})
        self._claim(id_)
        return ReadResult(id_, self._outputs(props, target, recording))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Stop a running recording; one already stopped or gone needs nothing."""
        props = _unwrap(props)
        if props.get("status") in STOPPED:
            return
        target = self._target(props)
        try:
            self.client.act_on_recording(target, id_, "stop")
        except NotFoundError:
            return
        except (BadRequestError, ConflictError, *UNKNOWN_OUTCOME) as exc:
            # Refused, or no usable answer: an earlier or this very stop may have acted.
            recording = self._current(target, id_, exc)
            if recording is None or recording.get("status") in STOPPED:
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

    def _stop_quietly(self, target: Target, recording_id: str) -> None:
        """Best effort after a failed create, so a started recording is not left orphaned."""
        try:
            self.client.act_on_recording(target, recording_id, "stop")
        except RtkError as exc:
            log.warning("pulumi-rtk: could not stop recording %s: %s", recording_id, exc)


class RecordingProvider(_ProviderBase):
    """A RealtimeKit recording: create starts it, read refreshes it, delete stops it."""

    replace_keys = ("meeting_id", *START_OPTIONS)

    def _inputs_model(self) -> type[Checked]:
        from pulumi_rtk.models import RecordingInputs  # noqa: PLC0415 (pydantic on first use)

        return RecordingInputs

    def create(self, props: dict[str, Any]) -> CreateResult:
        props = _unwrap(props)
        inputs = cast("RecordingInputs", self._validated(props))
        target = self._target(props)
        if inputs.adopt_recording_id:
            recording = self._adopt(target, inputs.adopt_recording_id)
            owned = False
        else:
            recording = self._start(target, inputs)
            owned = True
        recording_id = str(recording["id"])
        try:
            recording = self._settle(target, recording, inputs)
        except Exception:
            if owned:
                self._stop_quietly(target, recording_id)
            raise
        self._claim(recording_id)
        return CreateResult(recording_id, self._outputs(props, target, recording))

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Start options replace (a running recording cannot be reconfigured); pause updates."""
        olds, news = _unwrap(olds), _unwrap(news)
        replaces = self._replacements(id_, olds, news)
        adopt = news.get("adopt_recording_id")
        if adopt is not None and adopt != id_:
            replaces.append("adopt_recording_id")
        updates = [
            key for key in ("wait_for_status", "wait_timeout_seconds") if _changed(olds, news, key)
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
        olds, news = _unwrap(olds), _unwrap(news)
        target = self._target(olds)
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
        is_paused = status == "PAUSED" if status in ACTIVE else bool(olds.get("paused"))
        want_paused = bool(news.get("paused"))
        if want_paused == is_paused:
            return None
        return "pause" if want_paused else "resume"

    def _pause_or_resume(self, target: Target, recording_id: str, action: str) -> dict[str, Any]:
        try:
            return self.client.act_on_recording(target, recording_id, action)
        except UNKNOWN_OUTCOME as exc:
            # No usable answer: the action (or an earlier attempt of it) may have acted.
            recording = self._current(target, recording_id, exc)
            if recording is not None and _in_state_after(recording, action):
                return recording
            raise
        except (BadRequestError, ConflictError) as exc:
            recording = self.client.get_recording(target, recording_id)
            if _in_state_after(recording, action):
                return recording
            raise RecordingStateError(
                f"cannot {action} recording {recording_id}: it is {recording.get('status')}; "
                "a stopped recording cannot change, replace it to record again"
            ) from exc

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
        """POST once; after an unknown outcome, look before posting again (issue: no duplicates).

        Starts in one meeting are serialised in this process and claimed before the lock is
        released, so a concurrent create never takes another's recording for its own.
        """
        with self._meeting_lock(inputs.meeting_id):
            recording = self._start_locked(target, inputs)
            self._claim(str(recording["id"]))
            return recording

    def _start_locked(self, target: Target, inputs: RecordingInputs) -> dict[str, Any]:
        body = inputs.body()
        single = not inputs.allow_multiple_recordings
        # With several recordings allowed, what already runs (say, started by an earlier
        # `pulumi up` and not yet claimed here) must never be taken for this start's.
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
            except UNKNOWN_OUTCOME as exc:
                try:
                    found = self._find_started(target, inputs, since=sent_at, before=before)
                except StartOutcomeUnknownError:
                    raise
                except RtkError as lookup:
                    raise StartOutcomeUnknownError(_lost_start(inputs, exc, lookup)) from exc
                if found is not None:
                    log.warning(
                        "pulumi-rtk: the start request failed (%s) but recording %s had started; "
                        "using it",
                        exc,
                        found["id"],
                    )
                    return found
                if isinstance(exc, ApiTimeoutError) and not single:
                    raise StartOutcomeUnknownError(
                        f"the start request for meeting {inputs.meeting_id} timed out and no "
                        "recording has appeared yet; with allow_multiple_recordings a retry could "
                        "start a second one. It may still start: list the meeting's recordings "
                        "and stop any that no resource owns, then run `pulumi up` again"
                    ) from exc
                if attempt == attempts:
                    raise
                time.sleep(self._retry_delay(attempt, exc))
        raise AssertionError("unreachable: the loop returns or raises")

    def _running_ids(self, target: Target, meeting_id: str) -> frozenset[str]:
        listed = self.client.list_recordings(target, meeting_id=meeting_id, status=sorted(ACTIVE))
        return frozenset(str(item.get("id")) for item in listed)

    @staticmethod
    def _retry_delay(attempt: int, exc: Exception) -> float:
        if isinstance(exc, ApiError) and exc.retry_after is not None:
            return float(exc.retry_after)
        return min(0.25 * 2.0 ** (attempt - 1), 8.0) + random.uniform(0, 0.25)  # noqa: S311

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
                target, meeting_id=inputs.meeting_id, status=sorted(ACTIVE)
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
            if self._is_claimed(recording_id):
                continue
            invoked = _parse_time(candidate.get("invoked_time"))
            if since is not None and (invoked is None or invoked < since - CLOCK_SKEW_SECONDS):
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
        if inputs.paused and recording.get("status") in {"INVOKED", "RECORDING"}:
            recording = self._pause_or_resume(target, str(recording["id"]), "pause")
        return recording

    def _wait(
        self, target: Target, recording: dict[str, Any], inputs: RecordingInputs
    ) -> dict[str, Any]:
        wanted = inputs.wait_for_status
        timeout = float(inputs.wait_timeout_seconds or 300)
        deadline = time.monotonic() + timeout
        delay = 0.1
        while True:
            status = recording.get("status")
            if status == wanted or (wanted == "RECORDING" and status == "PAUSED"):
                return recording
            if status in STOPPED:
                raise RecordingStateError(_wait_message(recording, wanted, "ended"))
            if time.monotonic() >= deadline:
                raise RecordingStateError(
                    _wait_message(recording, wanted, f"did not get there within {timeout:g} s")
                    + "; it was stopped"
                )
            time.sleep(min(delay, max(deadline - time.monotonic(), 0.0)))
            delay = min(delay * 2, 2.0)
            recording = self.client.get_recording(target, str(recording["id"]))


def _wait_message(recording: Mapping[str, Any], wanted: str | None, what: str) -> str:
    reason = recording.get("stop_reason") or {}
    why = reason.get("reason") if isinstance(reason, Mapping) else None
    return (
        f"recording {recording.get('id')} was to reach {wanted} but {what} "
        f"(last status {recording.get('status')}, stop reason {why or 'none'})"
    )


def _in_state_after(recording: Mapping[str, Any], action: str) -> bool:
    """Whether the recording is where ``pause`` or ``resume`` would have brought it."""
    return (recording.get("status") == "PAUSED") == (action == "pause")


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
    if isinstance(start, Mapping) and start.get("reason") not in (None, "API_CALL"):
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
        for key in STORAGE_READ_VIEW
    ) and (declared.auth_method is None or shown.get("auth_method") == declared.auth_method)


class TrackRecordingProvider(_ProviderBase):
    """A per-participant audio (track) recording: started by create, stopped by delete."""

    replace_keys = ("meeting_id", "layers", "user_ids")

    def _inputs_model(self) -> type[Checked]:
        from pulumi_rtk.models import TrackRecordingInputs  # noqa: PLC0415 (pydantic on first use)

        return TrackRecordingInputs

    def create(self, props: dict[str, Any]) -> CreateResult:
        props = _unwrap(props)
        inputs = cast("TrackRecordingInputs", self._validated(props))
        target = self._target(props)
        recording = self.client.start_track_recording(target, inputs.body())
        return CreateResult(str(recording["id"]), self._outputs(props, target, recording))

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = self._replacements(id_, _unwrap(olds), _unwrap(news))
        return DiffResult(changes=bool(replaces), replaces=replaces, delete_before_replace=True)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Nothing of a track recording changes in place; keep the outputs whole."""
        olds, news = _unwrap(olds), _unwrap(news)
        return UpdateResult(self._outputs(news, self._target(olds), olds))
