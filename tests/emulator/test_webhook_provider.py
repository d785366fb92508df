"""WebhookProvider's lifecycle against the real emulator, called in-process."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_rtk.emulator import Emulator
from pulumi_rtk.provider import WebhookProvider
from pulumi_rtk.vocabulary import WEBHOOK_EVENTS
from tests.support.engine import READ_RETURNS_INPUTS, read_inputs
from tests.support.processes import api_call
from tests.support.values import ACCOUNT, APP, TOKEN, failure_at

HOOK: dict[str, Any] = {
    "name": "uploads",
    "url": "https://hooks.example.com/rtk",
    "events": ["recording.statusUpdate", "meeting.ended"],
    "enabled": True,
}


def writes(emulator: Emulator) -> list[tuple[str, Any]]:
    return [(r.method, r.body) for r in emulator.requests(path="/webhooks") if r.method != "GET"]


def create(provider: WebhookProvider, **inputs: Any) -> tuple[str, dict[str, Any]]:
    result = provider.create({**HOOK, **inputs})
    assert result.outs is not None
    return str(result.id), result.outs


def live(emulator: Emulator, webhook_id: str) -> dict[str, Any]:
    webhook: dict[str, Any] = api_call(emulator.base_url, "GET", f"webhooks/{webhook_id}", TOKEN)[
        "data"
    ]
    return webhook


def test_create_posts_the_declared_webhook(
    webhook_provider: WebhookProvider, emulator: Emulator
) -> None:
    webhook_id, outs = create(webhook_provider)
    assert writes(emulator) == [("POST", HOOK)]
    assert {key: outs[key] for key in HOOK} == HOOK
    assert outs["created_at"] and outs["updated_at"]
    assert (outs["account_id"], outs["app_id"]) == (ACCOUNT, APP)
    assert live(emulator, webhook_id)["url"] == HOOK["url"]


def test_event_order_is_no_change_and_a_new_url_is_one_patch(
    webhook_provider: WebhookProvider, emulator: Emulator
) -> None:
    webhook_id, outs = create(webhook_provider)
    reordered = {**HOOK, "events": list(reversed(HOOK["events"]))}
    assert not webhook_provider.diff(webhook_id, outs, reordered).changes
    moved = {**HOOK, "url": "https://hooks.example.com/v2"}
    diff = webhook_provider.diff(webhook_id, outs, moved)
    assert (diff.changes, diff.replaces) == (True, [])
    emulator.clear_requests()
    updated = webhook_provider.update(webhook_id, outs, moved).outs
    assert writes(emulator) == [("PATCH", {"url": "https://hooks.example.com/v2"})]
    assert updated is not None and updated["url"] == "https://hooks.example.com/v2"


def test_a_webhook_disabled_behind_pulumis_back_is_enabled_again(
    webhook_provider: WebhookProvider, emulator: Emulator
) -> None:
    webhook_id, outs = create(webhook_provider)
    api_call(emulator.base_url, "PATCH", f"webhooks/{webhook_id}", TOKEN, {"enabled": False})
    read = webhook_provider.read(webhook_id, outs)
    assert read.outs is not None and read.outs["enabled"] is False
    given = read_inputs(read)
    if READ_RETURNS_INPUTS:
        assert given is not None and given["enabled"] is False
    else:
        assert given is None
    diff = webhook_provider.diff(webhook_id, read.outs, HOOK)
    assert (diff.changes, diff.replaces) == (True, [])
    emulator.clear_requests()
    webhook_provider.update(webhook_id, read.outs, HOOK)
    assert writes(emulator) == [("PATCH", {"enabled": True})]
    assert live(emulator, webhook_id)["enabled"] is True


def test_delete_deletes_and_gone_is_done(
    webhook_provider: WebhookProvider, emulator: Emulator
) -> None:
    webhook_id, outs = create(webhook_provider)
    emulator.clear_requests()
    webhook_provider.delete(webhook_id, outs)
    webhook_provider.delete(webhook_id, outs)
    assert [method for method, _ in writes(emulator)] == ["DELETE", "DELETE"]
    assert webhook_provider.read(webhook_id, outs).id == ""


def test_a_create_whose_answer_was_lost_adopts_the_webhook_it_made(
    webhook_provider: WebhookProvider, emulator: Emulator
) -> None:
    emulator.add_fault("POST", r"/webhooks$", "reset_after")
    webhook_id, _ = create(webhook_provider)
    assert len(emulator.requests("POST", r"/webhooks$")) == 1
    listed = api_call(emulator.base_url, "GET", "webhooks", TOKEN)["data"]
    assert [hook["id"] for hook in listed] == [webhook_id]


@pytest.mark.parametrize(
    ("inputs", "path", "words"),
    [
        ({"events": ["recording.finished"]}, "events[0]", "must be one of"),
        ({"events": []}, "events", "at least 1"),
        ({"events": ["meeting.ended", "meeting.ended"]}, "events", "must not repeat"),
        ({"url": "ftp://hooks.example.com"}, "url", "scheme http or https"),
        ({"name": ""}, "name", "must not be empty"),
        ({"enabled": "yes"}, "enabled", "true or false"),
    ],
)
def test_bad_input_fails_check_at_its_field_before_any_request(
    webhook_provider: WebhookProvider,
    emulator: Emulator,
    inputs: dict[str, Any],
    path: str,
    words: str,
) -> None:
    result = webhook_provider.check({}, {**HOOK, **inputs})
    failures = [failure_at(f.property, f.reason) for f in result.failures]
    assert [(at, words in reason) for at, reason in failures] == [(path, True)]
    assert emulator.stats()["requests"] == 0


def test_every_event_name_is_accepted(webhook_provider: WebhookProvider) -> None:
    assert webhook_provider.check({}, {**HOOK, "events": list(WEBHOOK_EVENTS)}).failures == []
