"""Read-only references (``Meeting.get``, ``Webhook.get``) read the way the engine reads them.

A reference registers only its id, its provider and the ids a program passed
(``tests/unit/test_resource.py`` checks that). For such a resource the engine runs a ReadStep on
every preview and ``up``: one ``Read`` whose state and inputs are both those registered
properties (pulumi ``pkg/resource/deploy/step.go``, ``ReadStep.Apply``), never Check, Diff,
Update or Delete; ``pulumi refresh`` reads again with the stored outputs. These tests send
exactly that, and check that the object's fields come back as outputs, that a reference declares
nothing (no ``managed_fields``, no inputs handed back, so nothing ever counts as drift to undo)
and that only GETs reach the API. ``tests/e2e/test_references.py`` runs ``up`` and ``destroy``
of a stack holding references under the real CLI.
"""

from __future__ import annotations

from typing import Any

from pulumi.runtime.proto import provider_pb2

from pulumi_rtk.emulator import Emulator
from pulumi_rtk.provider import MeetingProvider, WebhookProvider
from pulumi_rtk.providers.base import ProviderBase
from tests.support.engine import Engine, from_struct, pickled, to_struct
from tests.support.processes import api_call
from tests.support.values import ACCOUNT, APP, AWS_ACCESS_KEY, AWS_SECRET, TOKEN, aws_storage

MEETING_TYPE = "pulumi-python:dynamic/rtk:Meeting"
WEBHOOK_TYPE = "pulumi-python:dynamic/rtk:Webhook"
MISSING = "497f6eca-6276-4993-bfeb-53cbbbba6f08"


def api(emulator: Emulator, method: str, path: str, body: object = None) -> dict[str, Any]:
    """A call from outside Pulumi (a dashboard, a script)."""
    data: dict[str, Any] = api_call(emulator.base_url, method, path, TOKEN, body)["data"]
    return data


def registered(provider: ProviderBase, **ids: str) -> dict[str, Any]:
    """What ``<Resource>.get(name, id, **ids)`` registers: unset (None) props are not sent."""
    return {"__provider": pickled(provider), **ids}


def read(
    engine: Engine, type_: str, id_: str, state: dict[str, Any], inputs: dict[str, Any]
) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
    """One Read as the engine sends it; the id, outputs and inputs handed back (None: none)."""
    response = engine.stub.Read(
        provider_pb2.ReadRequest(
            id=id_,
            urn=engine.urn("ref", type_),
            properties=to_struct(state),
            inputs=to_struct(inputs),
        )
    )
    given = from_struct(response.inputs) if response.HasField("inputs") else None
    return response.id, from_struct(response.properties), given


def only_reads(emulator: Emulator) -> None:
    requests = emulator.requests()
    assert requests, "the reference should have been read"
    assert {r.method for r in requests} == {"GET"}, [(r.method, r.path) for r in requests]


def test_a_meeting_reference_reads_every_field_and_only_reads(
    engine: Engine, emulator: Emulator
) -> None:
    meeting = api(
        emulator,
        "POST",
        "meetings",
        {
            "title": "Board",
            "record_on_start": True,
            "persist_chat": True,
            "recording_config": {"storage_config": aws_storage(), "max_seconds": 3600},
        },
    )
    id_ = meeting["id"]
    emulator.clear_requests()

    # `up` (and every preview): a ReadStep with what Meeting.get("board", id_) registered.
    props = registered(MeetingProvider())
    read_id, outs, given = read(engine, MEETING_TYPE, id_, props, props)
    assert read_id == id_
    assert {key: outs[key] for key in ("title", "status", "record_on_start", "persist_chat")} == {
        "title": "Board",
        "status": "ACTIVE",
        "record_on_start": True,
        "persist_chat": True,
    }
    assert outs["recording_config"] == {
        "storage_config": {
            "type": "aws",
            "bucket": "recordings",
            "region": "us-east-1",
            "path": "standups/",
        },
        "max_seconds": 3600,
    }
    assert (outs["created_at"], outs["updated_at"]) == (
        meeting["created_at"],
        meeting["updated_at"],
    )
    assert (outs["account_id"], outs["app_id"]) == (ACCOUNT, APP)  # from config
    assert outs["managed_fields"] == []  # a reference manages nothing
    assert given is None  # and hands no inputs back
    for secret in (AWS_ACCESS_KEY, AWS_SECRET, TOKEN):
        assert secret not in repr(outs)  # write-only in the API: a reference never sees them
    only_reads(emulator)

    # Changed outside Pulumi: the next `up` or `refresh` shows it, and puts nothing back.
    api(emulator, "PATCH", f"meetings/{id_}", {"title": "Board (moved)", "status": "INACTIVE"})
    _, outs, given = read(engine, MEETING_TYPE, id_, props, props)
    assert (outs["title"], outs["status"]) == ("Board (moved)", "INACTIVE")
    emulator.clear_requests()
    _, refreshed, given = read(engine, MEETING_TYPE, id_, outs, props)
    assert (refreshed["title"], refreshed["managed_fields"], given) == ("Board (moved)", [], None)
    only_reads(emulator)

    # With the ids given explicitly, it reads there.
    explicit = registered(MeetingProvider(), account_id=ACCOUNT, app_id=APP)
    assert read(engine, MEETING_TYPE, id_, explicit, explicit)[1]["title"] == "Board (moved)"

    # A reference to a meeting that does not exist reads as gone (the engine then fails: "does
    # not exist"), without any write either.
    assert read(engine, MEETING_TYPE, MISSING, props, props)[0] == ""
    only_reads(emulator)


def test_a_webhook_reference_reads_every_field_and_only_reads(
    engine: Engine, emulator: Emulator
) -> None:
    hook = api(
        emulator,
        "POST",
        "webhooks",
        {
            "name": "uploads",
            "url": "https://hooks.example.com/rtk",
            "events": ["recording.statusUpdate", "meeting.ended"],
        },
    )
    id_ = hook["id"]
    emulator.clear_requests()

    props = registered(WebhookProvider(), app_id=APP)
    read_id, outs, given = read(engine, WEBHOOK_TYPE, id_, props, props)
    assert read_id == id_
    assert {key: outs[key] for key in ("name", "url", "events", "enabled", "created_at")} == {
        "name": "uploads",
        "url": "https://hooks.example.com/rtk",
        "events": ["recording.statusUpdate", "meeting.ended"],
        "enabled": True,
        "created_at": hook["created_at"],
    }
    assert (outs["account_id"], outs["app_id"]) == (ACCOUNT, APP)
    assert (outs["managed_fields"], given) == ([], None)

    # Disabled from the dashboard: read as disabled, and left disabled.
    api(emulator, "PATCH", f"webhooks/{id_}", {"enabled": False})
    emulator.clear_requests()
    _, outs, _ = read(engine, WEBHOOK_TYPE, id_, props, props)
    _, refreshed, given = read(engine, WEBHOOK_TYPE, id_, outs, props)
    assert (outs["enabled"], refreshed["enabled"], given) == (False, False, None)
    assert read(engine, WEBHOOK_TYPE, MISSING, props, props)[0] == ""
    only_reads(emulator)
    assert api(emulator, "GET", f"webhooks/{id_}")["enabled"] is False
