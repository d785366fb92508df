"""Meeting semantics: the durable part of a recording setup.

Every field changes in place with one PATCH carrying only the fields that changed; only the
account and app (where the meeting lives) replace it. The API has no DELETE for meetings, so
destroy deactivates: ``PATCH {"status": "INACTIVE"}`` blocks joins and keeps the history and
the recordings.

Pulumi manages the fields a program declares, at every level: a field left out is left as the
API has it. Outputs hold every field as the API reports it (``managed_fields`` names the
declared ones), so ``diff`` sees drift against the live meeting and ``read`` can hand refreshed
inputs back to the engine. Storage credentials are write-only in the API: outputs keep the
declared ones (secret, as their inputs are) so a rotated credential is an update that re-sends
the whole ``recording_config``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Final, cast

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from pulumi_rtk.errors import CreateOutcomeUnknownError, InputError, NotFoundError
from pulumi_rtk.providers.base import (
    CLOCK_SKEW_SECONDS,
    MANAGED_KEY,
    PROVIDER_KEY,
    TARGET_KEYS,
    ProviderBase,
    covers,
    declared_keys,
    read_result,
    unwrap,
)
from pulumi_rtk.vocabulary import (
    INACTIVE,
    MEETING_OUTPUTS,
    MEETING_PATCH_FIELDS,
    STORAGE_SECRET_FIELDS,
)

if TYPE_CHECKING:
    from pulumi_rtk.client import Target
    from pulumi_rtk.models import MeetingInputs

__all__ = ["MeetingSemantics"]

FIELDS: Final = MEETING_PATCH_FIELDS
INPUTS: Final = (*FIELDS, *TARGET_KEYS, "adopt_meeting_id")


def _drifted(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """Declared fields whose live value (as the outputs hold it) differs from the program's."""
    return [
        key for key in FIELDS if news.get(key) is not None and not covers(olds.get(key), news[key])
    ]


def _with_credentials(view: Any, declared: Any) -> Any:
    """The API's ``recording_config`` with the declared write-only credentials put back."""
    if not isinstance(view, Mapping) or not isinstance(declared, Mapping):
        return view
    storage, wanted = view.get("storage_config"), declared.get("storage_config")
    if not isinstance(storage, Mapping) or not isinstance(wanted, Mapping):
        return view
    secrets = {key: wanted[key] for key in STORAGE_SECRET_FIELDS if wanted.get(key) is not None}
    return {**view, "storage_config": {**storage, **secrets}}


class MeetingSemantics(ProviderBase):
    """A RealtimeKit meeting: create (or adopt) it, keep its fields as declared, deactivate it."""

    inputs_model = "MeetingInputs"

    def _outputs(
        self,
        target: Target,
        meeting: Mapping[str, Any],
        declared: Mapping[str, Any],
        managed: list[str],
    ) -> dict[str, Any]:
        """Every field as the API reports it, credentials as declared, where it lives."""
        outs = {key: meeting.get(key) for key in (*FIELDS, *MEETING_OUTPUTS)}
        outs["recording_config"] = _with_credentials(
            meeting.get("recording_config"), declared.get("recording_config")
        )
        outs[MANAGED_KEY] = managed
        outs["adopt_meeting_id"] = declared.get("adopt_meeting_id")
        outs.update(self.target_outputs(target))
        return {key: value for key, value in outs.items() if value is not None}

    def create(self, props: dict[str, Any]) -> CreateResult:
        props = unwrap(props)
        inputs = cast("MeetingInputs", self.validated(props))
        target = self.target(props)
        if inputs.adopt_meeting_id:
            meeting = self._adopt(target, inputs)
        else:
            meeting = self.create_reconciled(
                "meeting",
                lambda: self.client.create_meeting(target, inputs.body()),
                lambda sent_at: self._find_created(target, inputs, sent_at),
            )
            if inputs.status == INACTIVE:
                # The create body has no status; a meeting declared inactive is created, then
                # deactivated.
                meeting = self.client.update_meeting(
                    target, str(meeting["id"]), {"status": INACTIVE}
                )
        meeting_id = str(meeting["id"])
        self.note_managed(meeting_id)
        return CreateResult(
            meeting_id, self._outputs(target, meeting, props, declared_keys(props, INPUTS))
        )

    def _adopt(self, target: Target, inputs: MeetingInputs) -> dict[str, Any]:
        """Take an existing meeting under management: bring its declared fields to the program's
        values with one PATCH (none when they already match)."""
        meeting_id = str(inputs.adopt_meeting_id)
        try:
            meeting = self.client.get_meeting(target, meeting_id)
        except NotFoundError as exc:
            where = f"account {target.account_id}, app {target.app_id}"
            raise InputError([("adopt_meeting_id", f"no meeting {meeting_id} in {where}")]) from exc
        wanted = inputs.fields(set(FIELDS))
        stale = [key for key, value in wanted.items() if not covers(meeting.get(key), value)]
        if stale:
            meeting = self.client.update_meeting(target, meeting_id, inputs.fields(set(stale)))
        return meeting

    def _find_created(
        self, target: Target, inputs: MeetingInputs, sent_at: float
    ) -> dict[str, Any] | None:
        """The meeting an ambiguous create made: created since it was sent, not owned by any
        resource, with every declared field as declared."""
        since = datetime.fromtimestamp(sent_at - CLOCK_SKEW_SECONDS, tz=timezone.utc)
        wanted = inputs.body()
        found = [
            meeting
            for meeting in self.client.list_meetings(
                target, search=inputs.title or None, start_time=since.isoformat()
            )
            if not self.is_managed(str(meeting.get("id")))
            and all(covers(meeting.get(key), value) for key, value in _no_secrets(wanted).items())
        ]
        if len(found) > 1:
            ids = ", ".join(str(meeting.get("id")) for meeting in found)
            raise CreateOutcomeUnknownError(
                f"creating the meeting failed and several meetings that match it were created "
                f"since ({ids}); adopt one with adopt_meeting_id and deactivate the others"
            )
        return found[0] if found else None

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Declared fields that differ from the live meeting update in place; a new account or
        app, or another ``adopt_meeting_id``, means another meeting."""
        olds, news = unwrap(olds), unwrap(news)
        self.note_managed(id_)
        replaces = self.moved(olds, news)
        adopt = news.get("adopt_meeting_id")
        if adopt is not None and adopt != id_:
            replaces.append("adopt_meeting_id")
        updates = _drifted(olds, news)
        managed = sorted(declared_keys(news, INPUTS)) != sorted(
            olds.get(MANAGED_KEY) or declared_keys(news, INPUTS)
        )
        return DiffResult(
            changes=bool(replaces or updates or managed),
            replaces=replaces,
            delete_before_replace=False,
        )

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """One PATCH with the fields that changed, each as declared (a nested object whole)."""
        olds, news = unwrap(olds), unwrap(news)
        inputs = cast("MeetingInputs", self.validated(news))
        target = self.target(olds)
        stale = _drifted(olds, news)
        if stale:
            meeting = self.client.update_meeting(target, id_, inputs.fields(set(stale)))
        else:
            meeting = olds
        return UpdateResult(self._outputs(target, meeting, news, declared_keys(news, INPUTS)))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh every field; a meeting the API no longer knows leaves state. The declared
        fields come back as inputs too, so a later preview shows what drifted."""
        props = unwrap(props)
        target = self.target(props)
        try:
            meeting = self.client.get_meeting(target, id_)
        except NotFoundError:
            return ReadResult("", {})
        self.note_managed(id_)
        managed = [key for key in props.get(MANAGED_KEY) or () if key in INPUTS]
        outs = self._outputs(target, meeting, props, managed)
        if not managed:
            return ReadResult(id_, outs)
        return read_result(id_, outs, {key: outs.get(key) for key in managed})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Deactivate: the API cannot delete a meeting. Gone or already inactive is done."""
        props = {k: v for k, v in unwrap(props).items() if k != PROVIDER_KEY}
        try:
            self.client.update_meeting(self.target(props), id_, {"status": INACTIVE})
        except NotFoundError:
            return


def _no_secrets(body: Mapping[str, Any]) -> dict[str, Any]:
    """A body without the write-only credentials (the API never shows them)."""
    config = body.get("recording_config")
    if not isinstance(config, Mapping) or not isinstance(config.get("storage_config"), Mapping):
        return dict(body)
    storage = {
        key: value
        for key, value in config["storage_config"].items()
        if key not in STORAGE_SECRET_FIELDS
    }
    return {**body, "recording_config": {**config, "storage_config": storage}}
