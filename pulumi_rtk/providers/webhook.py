"""Webhook semantics: the endpoint a team's pipeline hears each finished recording on.

Every field changes in place with one PATCH; only the account and app replace a webhook;
destroy deletes it (gone already is done). A refresh hands the live fields back as inputs, so a
webhook disabled or repointed from the dashboard shows in the next preview and ``up`` puts it
back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, cast

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from pulumi_rtk.errors import NotFoundError
from pulumi_rtk.providers.base import (
    MANAGED_KEY,
    TARGET_KEYS,
    ProviderBase,
    created_since,
    declared_keys,
    normal,
    read_result,
    unwrap,
)
from pulumi_rtk.vocabulary import WEBHOOK_FIELDS, WEBHOOK_OUTPUTS

if TYPE_CHECKING:
    from pulumi_rtk.client import Target
    from pulumi_rtk.models import WebhookInputs

__all__ = ["WebhookSemantics"]

INPUTS: Final = (*WEBHOOK_FIELDS, *TARGET_KEYS)


def _same(key: str, live: Any, declared: Any) -> bool:
    """Events are a set to the API: their order is no change."""
    if key == "events" and isinstance(live, list) and isinstance(declared, list):
        return sorted(map(str, live)) == sorted(map(str, declared))
    return bool(normal(live) == normal(declared))


def _drifted(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    return [
        key
        for key in WEBHOOK_FIELDS
        if news.get(key) is not None and not _same(key, olds.get(key), news[key])
    ]


class WebhookSemantics(ProviderBase):
    """A RealtimeKit webhook: created, kept as declared, deleted."""

    inputs_model = "WebhookInputs"

    def _outputs(
        self, target: Target, webhook: Mapping[str, Any], managed: list[str]
    ) -> dict[str, Any]:
        outs = {key: webhook.get(key) for key in (*WEBHOOK_FIELDS, *WEBHOOK_OUTPUTS)}
        outs.update(self.target_outputs(target))
        outs[MANAGED_KEY] = managed
        return {key: value for key, value in outs.items() if value is not None}

    def create(self, props: dict[str, Any]) -> CreateResult:
        props = unwrap(props)
        inputs = cast("WebhookInputs", self.validated(props))
        target = self.target(props)
        webhook = self.create_reconciled(
            "webhook",
            lambda: self.client.create_webhook(target, inputs.body()),
            lambda sent_at: self._find_created(target, inputs, sent_at),
        )
        webhook_id = str(webhook["id"])
        self.note_managed(webhook_id)
        return CreateResult(
            webhook_id, self._outputs(target, webhook, declared_keys(props, INPUTS))
        )

    def _find_created(
        self, target: Target, inputs: WebhookInputs, sent_at: float
    ) -> dict[str, Any] | None:
        """The webhook an ambiguous create made: same name and URL, created since the request
        went out, owned by no resource."""
        found = [
            webhook
            for webhook in self.client.list_webhooks(target)
            if webhook.get("name") == inputs.name
            and webhook.get("url") == inputs.url
            and not self.is_managed(str(webhook.get("id")))
            and created_since(webhook.get("created_at"), sent_at)
        ]
        return found[0] if len(found) == 1 else None

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds, news = unwrap(olds), unwrap(news)
        self.note_managed(id_)
        replaces = self.moved(olds, news)
        updates = _drifted(olds, news)
        return DiffResult(changes=bool(replaces or updates), replaces=replaces)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """One PATCH with the fields that changed."""
        olds, news = unwrap(olds), unwrap(news)
        inputs = cast("WebhookInputs", self.validated(news))
        target = self.target(olds)
        stale = _drifted(olds, news)
        webhook = (
            self.client.update_webhook(target, id_, inputs.fields(set(stale))) if stale else olds
        )
        return UpdateResult(self._outputs(target, webhook, declared_keys(news, INPUTS)))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh every field; a webhook the API no longer knows leaves state."""
        props = unwrap(props)
        target = self.target(props)
        try:
            webhook = self.client.get_webhook(target, id_)
        except NotFoundError:
            return ReadResult("", {})
        self.note_managed(id_)
        managed = [key for key in props.get(MANAGED_KEY) or () if key in INPUTS]
        outs = self._outputs(target, webhook, managed)
        if not managed:
            return ReadResult(id_, outs)  # a read-only reference (Webhook.get): no inputs
        return read_result(id_, outs, {key: outs.get(key) for key in managed})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            self.client.delete_webhook(self.target(unwrap(props)), id_)
        except NotFoundError:
            return
