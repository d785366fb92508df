"""The shared provider plumbing that needs no server: how failures and drift are judged."""

from __future__ import annotations

import pytest

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
