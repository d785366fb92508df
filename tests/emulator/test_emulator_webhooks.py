"""Webhooks on the emulator: the CRUD API, and signed deliveries to receivers on 127.0.0.1.

Receivers are small ``http.server`` threads. Signatures are verified with the
``cryptography`` library, independently of the emulator's hand-written RSA. Every wait is
bounded; the retry backoff is shortened so the suite stays fast.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from pulumi_rtk.emulator import AdminClient, Emulator

ACCOUNT = "0123456789abcdef0123456789abcdef"
APP = "app-123"
TOKEN = "test-token"
MEETING_EVENTS = [
    "meeting.started",
    "meeting.ended",
    "meeting.participantJoined",
    "meeting.participantLeft",
    "recording.statusUpdate",
]
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KEY_PEM = _KEY.private_bytes(
    serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption(),
).decode()


class Receiver:
    """An HTTP receiver on 127.0.0.1 that answers ``statuses`` in turn, then 200."""

    def __init__(self, statuses: tuple[int, ...] = (), delay: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.delay = delay
        self.received: list[tuple[dict[str, str], bytes, float]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.received.append((dict(self.headers), body, time.monotonic()))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(body) for _, body, _ in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(
        token=TOKEN, clock_speed=0.0, webhook_key=KEY_PEM, webhook_backoff=0.05
    ) as emulator:
        yield emulator


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    target = Receiver()
    yield target
    target.close()


def call(emu: Emulator, method: str, path: str, body: object = None) -> requests.Response:
    with requests.Session() as session:
        session.trust_env = False
        return session.request(
            method,
            f"{emu.base_url}/accounts/{ACCOUNT}/realtime/kit/{APP}{path}",
            json=body,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )


def data(response: requests.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["data"]


def hook(emu: Emulator, url: str, events: list[str], **extra: Any) -> dict[str, Any]:
    body = {"name": "test", "url": url, "events": events, **extra}
    result: dict[str, Any] = data(call(emu, "POST", "/webhooks", body))
    return result


def public_key(emu: Emulator) -> RSAPublicKey:
    with requests.Session() as session:
        session.trust_env = False
        document = session.get(f"{emu.url}/.well-known/webhooks.json", timeout=10).json()
    assert document["success"] is True
    key = serialization.load_pem_public_key(document["data"]["publicKey"].encode())
    assert isinstance(key, RSAPublicKey)
    return key


# --- CRUD ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"url": "http://127.0.0.1/h", "events": ["meeting.ended"]}, "name: is required"),
        ({"name": "", "url": "http://x", "events": ["meeting.ended"]}, "name: must not be empty"),
        ({"name": "n", "events": ["meeting.ended"]}, "url: is required"),
        ({"name": "n", "url": "ftp://x", "events": ["meeting.ended"]}, "url: must be an http(s)"),
        ({"name": "n", "url": "http://x"}, "events: is required"),
        ({"name": "n", "url": "http://x", "events": []}, "events: must not be empty"),
        ({"name": "n", "url": "http://x", "events": "meeting.ended"}, "events: must be a list"),
        ({"name": "n", "url": "http://x", "events": ["meeting.end"]}, "events[0]: must be one of"),
        (
            {"name": "n", "url": "http://x", "events": ["meeting.ended", "meeting.ended"]},
            "events: must not hold duplicates",
        ),
        (
            {"name": "n", "url": "http://x", "events": ["meeting.ended"], "enabled": "yes"},
            "enabled: must be a boolean",
        ),
        (
            {"name": "n", "url": "http://x", "events": ["meeting.ended"], "secret": "s"},
            "secret: unknown field",
        ),
    ],
)
def test_webhook_validation(emu: Emulator, body: dict[str, Any], message: str) -> None:
    response = call(emu, "POST", "/webhooks", body)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(message)


def test_every_documented_event_is_accepted_and_crud_round_trips(emu: Emulator) -> None:
    events = [
        "meeting.started",
        "meeting.ended",
        "meeting.participantJoined",
        "meeting.participantLeft",
        "meeting.chatSynced",
        "recording.statusUpdate",
        "livestreaming.statusUpdate",
        "meeting.transcript",
        "meeting.summary",
    ]
    created = hook(emu, "https://example.com/h", events, enabled=False)
    assert set(created) == {"id", "name", "url", "events", "enabled", "created_at", "updated_at"}
    assert created["events"] == events and created["enabled"] is False
    wid = created["id"]
    assert data(call(emu, "GET", "/webhooks")) == [created]
    emu.advance(1)
    patched = data(call(emu, "PATCH", f"/webhooks/{wid}", {"events": ["meeting.ended"]}))
    assert patched["events"] == ["meeting.ended"] and patched["name"] == "test"
    assert patched["updated_at"] > created["updated_at"]
    assert call(emu, "PATCH", f"/webhooks/{wid}", {"url": "x"}).status_code == 400
    replaced = data(
        call(emu, "PUT", f"/webhooks/{wid}", {"name": "n", "url": "http://a", "events": events})
    )
    assert replaced["enabled"] is True  # PUT: a field not given goes back to its default
    bad_put = call(emu, "PUT", f"/webhooks/{wid}", {"name": "n"})
    assert bad_put.json()["error"]["message"] == "url: is required"
    assert data(call(emu, "DELETE", f"/webhooks/{wid}")) == replaced  # the deleted webhook
    assert data(call(emu, "GET", "/webhooks")) == []
    missing = call(emu, "GET", f"/webhooks/{wid}")
    assert missing.status_code == 404
    assert missing.json() == {
        "success": False,
        "error": {"code": 404, "message": f"Webhook {wid} not found"},
    }
    assert call(emu, "DELETE", f"/webhooks/{wid}").status_code == 404


# --- deliveries -----------------------------------------------------------------------------


def test_a_meeting_delivers_signed_events_in_order(emu: Emulator, receiver: Receiver) -> None:
    webhook = hook(emu, receiver.url, MEETING_EVENTS)
    mid = emu.create_meeting(ACCOUNT, APP, title="standup", record_on_start=True)
    alice = emu.join(mid, "alice", custom_participant_id="user-1")
    emu.advance(10)
    emu.leave(mid, alice)
    emu.advance(100)
    assert emu.wait_deliveries(5)

    events = receiver.events()
    assert [(e["event"], e.get("recording", {}).get("status")) for e in events] == [
        ("meeting.started", None),
        ("meeting.participantJoined", None),
        ("recording.statusUpdate", "RECORDING"),
        ("meeting.participantLeft", None),
        ("recording.statusUpdate", "UPLOADING"),  # 60 s after the last leave
        ("meeting.ended", None),  # the 60 s keep-alive: same instant, after the recording
        ("recording.statusUpdate", "UPLOADED"),
    ]
    (session,) = emu.sessions(mid)
    started, joined, recording, left, uploading, ended, uploaded = events
    assert started["meeting"] == {
        "id": mid,
        "sessionId": session["id"],
        "title": "standup",
        "status": "LIVE",
        "createdAt": started["meeting"]["createdAt"],
        "startedAt": session["started_at"],
        "organizedBy": {"id": APP, "name": APP},
    }
    assert joined["participant"] == {
        "peerId": alice,
        "userDisplayName": "alice",
        "customParticipantId": "user-1",
        "joinedAt": session["participants"][0]["joined_at"],
    }
    assert left["participant"]["leftAt"] == session["participants"][0]["left_at"]
    assert ended["reason"] == "ALL_PARTICIPANTS_LEFT"
    assert ended["meeting"]["endedAt"] == session["ended_at"]
    (rec,) = emu.recordings(mid)
    assert set(uploaded["recording"]) == {
        "id",
        "recordingId",
        "status",
        "downloadUrl",
        "audioDownloadUrl",
        "downloadUrlExpiry",
        "startedTime",
        "stoppedTime",
        "fileSize",
        "outputFileName",
        "meetingId",
        "recordingDuration",
        "organizationId",
        "roomUUID",
    }
    assert uploaded["recording"]["recordingId"] == rec["id"]
    assert uploaded["recording"]["fileSize"] == str(rec["file_size"])  # a string, as documented
    assert uploaded["recording"]["downloadUrl"] == rec["download_url"]
    assert uploaded["recording"]["recordingDuration"] == rec["recording_duration"]
    assert recording["recording"]["downloadUrl"] is None
    assert uploading["meeting"]["sessionId"] == session["id"]

    key = public_key(emu)
    uuids = set()
    for headers, body, _ in receiver.received:
        assert headers["Content-Type"] == "application/json"
        assert headers["rtk-webhook-id"] == webhook["id"]
        uuids.add(headers["rtk-uuid"])
        key.verify(
            base64.b64decode(headers["rtk-signature"]), body, padding.PKCS1v15(), hashes.SHA256()
        )
    assert len(uuids) == len(events)
    log = emu.deliveries()
    assert [d["event"] for d in log] == [e["event"] for e in events]
    assert {d["id"] for d in log} == uuids
    assert all(d["status"] == "delivered" and len(d["attempts"]) == 1 for d in log)
    assert log[0]["attempts"][0]["status"] == 200 and log[0]["payload"] == events[0]


def test_only_enabled_subscribed_webhooks_of_the_app_receive(emu: Emulator) -> None:
    receivers = [Receiver() for _ in range(3)]
    try:
        hook(emu, receivers[0].url, ["meeting.ended"])
        hook(emu, receivers[1].url, MEETING_EVENTS, enabled=False)
        other_app = {"name": "o", "url": receivers[2].url, "events": MEETING_EVENTS}
        with requests.Session() as session:
            session.trust_env = False
            url = f"{emu.base_url}/accounts/{ACCOUNT}/realtime/kit/other-app/webhooks"
            headers = {"Authorization": f"Bearer {TOKEN}"}
            assert session.post(url, json=other_app, headers=headers, timeout=10).ok
        mid = emu.create_meeting(ACCOUNT, APP)
        emu.leave(mid, emu.join(mid))
        emu.advance(60)
        assert emu.wait_deliveries(5)
        assert [e["event"] for e in receivers[0].events()] == ["meeting.ended"]
        assert receivers[1].events() == [] and receivers[2].events() == []
        assert len(emu.deliveries()) == 1
    finally:
        for target in receivers:
            target.close()


def test_pause_resume_stop_and_forced_errors_are_status_updates(
    emu: Emulator, receiver: Receiver
) -> None:
    hook(emu, receiver.url, ["recording.statusUpdate"])
    mid = emu.create_meeting(ACCOUNT, APP)
    emu.join(mid)
    rid = data(call(emu, "POST", "/recordings", {"meeting_id": mid}))["id"]
    for action in ("pause", "resume", "stop"):
        emu.advance(5)
        assert call(emu, "PUT", f"/recordings/{rid}", {"action": action}).ok
    emu.set_status(rid, "ERRORED")
    assert emu.wait_deliveries(5)
    statuses = [e["recording"]["status"] for e in receiver.events()]
    assert statuses == ["RECORDING", "PAUSED", "RECORDING", "UPLOADING", "ERRORED"]  # no INVOKED


def test_advance_through_the_admin_api_delivers_timed_events(
    emu: Emulator, receiver: Receiver
) -> None:
    hook(emu, receiver.url, ["recording.statusUpdate"])
    admin = AdminClient(emu.url)
    mid = admin.create_meeting(ACCOUNT, APP)
    admin.join(mid)
    rid = data(call(emu, "POST", "/recordings", {"meeting_id": mid, "max_seconds": 60}))["id"]
    admin.advance(2 + 60 + 5)  # no API call afterwards: advance itself settles
    assert admin.wait_deliveries(5)
    assert [e["recording"]["status"] for e in receiver.events()] == [
        "RECORDING",
        "UPLOADING",
        "UPLOADED",
    ]
    assert all(e["recording"]["id"] == rid for e in receiver.events())
    assert [d["event"] for d in admin.deliveries()] == ["recording.statusUpdate"] * 3
    assert admin.webhook_public_key() == emu.webhook_public_key()


def test_only_loopback_urls_are_contacted(emu: Emulator) -> None:
    hook(emu, "https://hooks.example.com/rtk", ["meeting.started"])
    hook(emu, "http://10.1.2.3/rtk", ["meeting.started"])
    emu.join(emu.create_meeting(ACCOUNT, APP))
    assert emu.wait_deliveries(5)
    deliveries = emu.deliveries()
    assert [d["status"] for d in deliveries] == ["not_delivered", "not_delivered"]
    assert all("loopback" in d["reason"] and d["attempts"] == [] for d in deliveries)


def test_failures_are_retried_with_backoff_then_delivered(emu: Emulator) -> None:
    flaky = Receiver(statuses=(503, 500))
    try:
        hook(emu, flaky.url, ["meeting.started"])
        emu.join(emu.create_meeting(ACCOUNT, APP))
        assert emu.wait_deliveries(5)
        (delivery,) = emu.deliveries()
        assert delivery["status"] == "delivered"
        assert [a["status"] for a in delivery["attempts"]] == [503, 500, 200]
        times = [t for _, _, t in flaky.received]
        assert times[1] - times[0] >= 0.05 and times[2] - times[1] >= 0.1  # doubling
        assert len({h["rtk-uuid"] for h, _, _ in flaky.received}) == 1  # one delivery
    finally:
        flaky.close()


def test_client_errors_are_not_retried_and_dead_receivers_give_up(emu: Emulator) -> None:
    refusing = Receiver(statuses=(400,))
    dead = Receiver()
    dead.close()  # its port now refuses connections
    try:
        hook(emu, refusing.url, ["meeting.started"])
        hook(emu, dead.url, ["meeting.started"])
        emu.join(emu.create_meeting(ACCOUNT, APP))
        assert emu.wait_deliveries(5)
        rejected, unreachable = emu.deliveries()
        assert rejected["status"] == "failed" and rejected["reason"] == "HTTP 400 is not retried"
        assert [a["status"] for a in rejected["attempts"]] == [400]
        assert unreachable["status"] == "failed"
        assert len(unreachable["attempts"]) == 4  # the default number of attempts
        assert all(a["status"] is None and a["error"] for a in unreachable["attempts"])
    finally:
        refusing.close()


def test_wait_deliveries_is_bounded(emu: Emulator) -> None:
    slow = Receiver(delay=0.5)
    try:
        hook(emu, slow.url, ["meeting.started"])
        emu.join(emu.create_meeting(ACCOUNT, APP))
        began = time.monotonic()
        assert emu.wait_deliveries(0.1) is False
        assert time.monotonic() - began < 0.5
        assert emu.wait_deliveries(5) is True
    finally:
        slow.close()


def test_generated_key_and_pkcs1_key_sign_verifiably(receiver: Receiver) -> None:
    pkcs1 = _KEY.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    for key in (None, pkcs1):
        with Emulator(token=TOKEN, clock_speed=0.0, webhook_key=key) as emu:
            hook(emu, receiver.url, ["meeting.started"])
            emu.join(emu.create_meeting(ACCOUNT, APP))
            assert emu.wait_deliveries(10)
            headers, body, _ = receiver.received[-1]
            signature = base64.b64decode(headers["rtk-signature"])
            public_key(emu).verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
            admin_pem = AdminClient(emu.url).webhook_public_key()
            assert admin_pem == emu.webhook_public_key()
            admin_key = serialization.load_pem_public_key(admin_pem.encode())
            assert isinstance(admin_key, RSAPublicKey)
            assert admin_key.public_numbers() == public_key(emu).public_numbers()
    with pytest.raises(ValueError, match="webhook key"):
        Emulator(webhook_key="not a key")


def test_running_clock_delivers_timed_events_without_traffic(receiver: Receiver) -> None:
    with Emulator(token=TOKEN, clock_speed=100.0, webhook_key=KEY_PEM) as emu:
        hook(emu, receiver.url, ["recording.statusUpdate"])
        mid = emu.create_meeting(ACCOUNT, APP)
        emu.join(mid)
        data(call(emu, "POST", "/recordings", {"meeting_id": mid}))
        deadline = time.monotonic() + 5
        while not receiver.events() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [e["recording"]["status"] for e in receiver.events()] == ["RECORDING"]


def test_reset_clears_webhooks_and_deliveries(emu: Emulator, receiver: Receiver) -> None:
    hook(emu, receiver.url, ["meeting.started"])
    emu.join(emu.create_meeting(ACCOUNT, APP))
    assert emu.wait_deliveries(5)
    emu.reset()
    assert emu.deliveries() == [] and data(call(emu, "GET", "/webhooks")) == []
