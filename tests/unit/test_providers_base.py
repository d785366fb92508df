"""The shared provider plumbing that needs no server: how failures and drift are judged."""

from __future__ import annotations

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from pulumi_rtk.models import UNKNOWN
from pulumi_rtk.provider import WebhookProvider
from pulumi_rtk.providers.base import check_failure, covers


@pytest.mark.parametrize(
    ("path", "reason", "expected"),
    [
        # A top-level input: the engine shows its real value next to the reason.
        ("max_seconds", "must be at least 60", ("max_seconds", "must be at least 60")),
        # Nested: the engine's top-level lookup would print a false {<nil>}.
        (
            "audio_config.codec",
            "must be unset",
            ("", "audio_config.codec: must be unset"),
        ),
        ("events[0]", "must be one of", ("", "events[0]: must be one of")),
        # A top-level input holding credentials: the engine shows secrets as {[secret]}.
        ("storage_config", "must be an object", ("storage_config", "must be an object")),
    ],
)
def test_a_failure_is_shown_with_its_real_value_or_none(
    path: str, reason: str, expected: tuple[str, str]
) -> None:
    failure = check_failure(path, reason)
    assert (failure.property, failure.reason) == expected


@pytest.mark.parametrize(
    ("actual", "declared", "covered"),
    [
        ({"a": 1, "b": 2}, {"a": 1}, True),  # what the API adds is not drift
        ({"a": 1}, {"a": 1.0}, True),  # Pulumi's doubles
        ({"a": {"x": 1, "y": 2}}, {"a": {"x": 1}}, True),
        ({"a": {"x": 2}}, {"a": {"x": 1}}, False),
        ({"a": 1}, {"a": None}, True),  # not declared: not managed
        (None, {"a": 1}, False),
        ([1, 2], [2, 1], False),  # lists are compared whole
        ("x", "x", True),
    ],
)
def test_covers_compares_only_what_is_declared(
    actual: object, declared: object, covered: bool
) -> None:
    assert covers(actual, declared) is covered


def configured_webhook_provider(config: dict[str, str]) -> WebhookProvider:
    provider = WebhookProvider()
    provider.configure(ConfigureRequest(Config(config, "project")))
    return provider


WEBHOOK = {"name": "n", "url": "https://hooks.example.com/rtk", "events": ["meeting.ended"]}


def test_a_preview_needs_the_ids_but_not_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pull request's preview runs without the API token (it sends no request), but an
    object with nowhere to live fails there rather than half way through ``pulumi up``."""
    for env in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID", "RTK_APP_ID"):
        monkeypatch.delenv(env, raising=False)
    ids = {"rtk:accountId": "acc", "rtk:appId": "app"}
    assert configured_webhook_provider(ids).check({}, WEBHOOK).failures == []

    [missing] = configured_webhook_provider({"rtk:accountId": "acc"}).check({}, WEBHOOK).failures
    assert missing.property == ""
    assert missing.reason.startswith("no app id: pass app_id to the resource, or run `pulumi")

    unknown = {**WEBHOOK, "app_id": UNKNOWN}
    assert configured_webhook_provider({"rtk:accountId": "acc"}).check({}, unknown).failures == []
