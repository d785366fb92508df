"""Emulator fault injection over real HTTP: each kind, whether it acted, matching, syntax."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from pulumi_rtk.emulator import Emulator, Fault

ACCOUNT = "0123456789abcdef0123456789abcdef"
APP = "app-123"
TOKEN = "test-token"
START = "POST"
RECORDINGS = r"/recordings$"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(token=TOKEN, clock_speed=0.0) as emulator:
        yield emulator


@pytest.fixture
def mid(emu: Emulator) -> str:
    return emu.create_meeting(ACCOUNT, APP)


def call(
    emu: Emulator, method: str, path: str, body: object = None, timeout: float = 10, **kw: Any
) -> requests.Response:
    """One request on a fresh connection (a reset must not poison a pooled one)."""
    with requests.Session() as session:
        session.trust_env = False
        url = f"{emu.base_url}/accounts/{ACCOUNT}/realtime/kit/{APP}{path}"
        headers = {"Authorization": f"Bearer {TOKEN}", **kw.pop("headers", {})}
        return session.request(method, url, json=body, headers=headers, timeout=timeout, **kw)


def start(emu: Emulator, meeting_id: str) -> requests.Response:
    body = {"meeting_id": meeting_id, "allow_multiple_recordings": True}
    return call(emu, "POST", "/recordings", body)


def admin_faults(emu: Emulator) -> list[dict[str, Any]]:
    with requests.Session() as session:
        session.trust_env = False
        faults: list[dict[str, Any]] = session.get(emu.admin_url + "/faults", timeout=10).json()[
            "faults"
        ]
        return faults


def test_status_fault_answers_without_acting(emu: Emulator, mid: str) -> None:
    emu.add_fault(START, RECORDINGS, "status", count=2, retry_after="1")
    for _ in range(2):
        response = start(emu, mid)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "1"
        assert response.json() == {
            "success": False,
            "error": {"code": 503, "message": "Injected fault: HTTP 503"},
        }
    assert emu.recordings() == []
    assert start(emu, mid).status_code == 200
    assert [(r.status, r.fault) for r in emu.requests()] == [
        (503, "status"),
        (503, "status"),
        (200, None),
    ]
    assert admin_faults(emu) == []  # exhausted faults disappear


def test_gateway_error_fault(emu: Emulator, mid: str) -> None:
    emu.add_fault("*", "", "gateway_error", retry_after="7")
    throttled = start(emu, mid)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
    assert throttled.json() == {
        "success": False,
        "errors": [
            {"code": 971, "message": "Please wait and consider throttling your request speed"}
        ],
        "messages": [],
        "result": None,
    }
    emu.add_fault("GET", "", "gateway_error", status=403, error_code=9109)
    denied = call(emu, "GET", "/recordings")
    assert denied.status_code == 403 and "Retry-After" not in denied.headers
    assert denied.json()["errors"][0]["code"] == 9109
    assert emu.recordings() == []


@pytest.mark.parametrize(("act", "created"), [(None, 0), (False, 0), (True, 1)])
def test_hang_closes_without_answer_after_hang_seconds(
    emu: Emulator, mid: str, act: bool | None, created: int
) -> None:
    emu.add_fault(START, RECORDINGS, "hang", hang_seconds=0.3, act=act)
    began = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        start(emu, mid)
    assert 0.3 <= time.monotonic() - began < 3
    assert len(emu.recordings()) == created
    assert [(r.status, r.fault) for r in emu.requests()] == [(0, "hang")]


def test_hang_is_bounded_and_cut_short_by_stop() -> None:
    assert Fault(kind="hang").hang_for == 30
    assert Fault(kind="hang", hang_seconds=10_000).hang_for == 120
    emu = Emulator(token=TOKEN, clock_speed=0.0).start()
    emu.add_fault("*", "", "hang", hang_seconds=60)
    outcome: list[BaseException] = []

    def client() -> None:
        try:
            call(emu, "GET", "/recordings", timeout=30)
        except requests.RequestException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=client)
    thread.start()
    deadline = time.monotonic() + 5
    while not emu.requests() and time.monotonic() < deadline:
        time.sleep(0.01)
    began = time.monotonic()
    emu.stop()
    thread.join(timeout=5)
    assert time.monotonic() - began < 2
    assert not thread.is_alive()
    assert isinstance(outcome[0], requests.ConnectionError)


def test_reset_before_does_not_act(emu: Emulator, mid: str) -> None:
    emu.add_fault(START, RECORDINGS, "reset_before")
    with pytest.raises(requests.ConnectionError):
        start(emu, mid)
    assert emu.recordings() == []
    (record,) = emu.requests()
    assert (record.status, record.fault, record.body["meeting_id"]) == (0, "reset_before", mid)
    assert start(emu, mid).status_code == 200


def test_reset_after_acts_then_resets(emu: Emulator, mid: str) -> None:
    emu.add_fault(START, RECORDINGS, "reset_after")
    with pytest.raises(requests.ConnectionError):
        start(emu, mid)
    (recording,) = emu.recordings()  # the ambiguous case: it happened, the client can't know
    assert recording["meeting_id"] == mid
    assert [(r.status, r.fault) for r in emu.requests()] == [(0, "reset_after")]


@pytest.mark.parametrize(("act", "created"), [(None, 1), (True, 1), (False, 0)])
def test_malformed_answers_200_with_broken_json(
    emu: Emulator, mid: str, act: bool | None, created: int
) -> None:
    emu.add_fault(START, RECORDINGS, "malformed", act=act)
    response = start(emu, mid)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert len(emu.recordings()) == created


def test_fault_matching_order_and_consumption(emu: Emulator, mid: str) -> None:
    first = emu.add_fault("PUT", "", "status", status=500)
    emu.add_fault("GET", r"/recordings/active-recording/", "status", status=502, count=3)
    emu.add_fault("*", r"/meetings/", "status", status=504)
    assert call(emu, "GET", "/recordings").status_code == 200  # no match: nothing consumed
    assert call(emu, "GET", f"/recordings/active-recording/{mid}").status_code == 502
    assert call(emu, "GET", f"/meetings/{mid}").status_code == 504
    remaining = {f["id"]: f["count"] for f in admin_faults(emu)}
    assert remaining[first] == 1 and sorted(remaining.values()) == [1, 2]
    # Faults come before auth and routing: they model the network and the gateway.
    response = call(emu, "PUT", "/anything", headers={"Authorization": ""})
    assert response.status_code == 500
    emu.clear_faults()
    assert admin_faults(emu) == []


def test_admin_api_is_never_faulted(emu: Emulator) -> None:
    emu.add_fault("*", "", "reset_before", count=5)
    with requests.Session() as session:
        session.trust_env = False
        assert session.get(emu.admin_url + "/health", timeout=10).json() == {"ok": True}
        assert session.get(emu.admin_url + "/stats", timeout=10).status_code == 200
    assert admin_faults(emu)[0]["count"] == 5


def test_faults_admin_endpoint_validates(emu: Emulator) -> None:
    with requests.Session() as session:
        session.trust_env = False
        url = emu.admin_url + "/faults"
        created = session.post(url, json={"kind": "status", "path": "/x", "count": 2}, timeout=10)
        fault_id = created.json()["id"]
        (listed,) = session.get(url, timeout=10).json()["faults"]
        assert listed["id"] == fault_id and listed["method"] == "*" and listed["count"] == 2
        for body, message in [
            ({"path": "/x"}, "kind: is required"),
            ({"kind": "status", "count": 0}, "count: must be an integer >= 1"),
            ({"kind": "status", "count": "2"}, "count: wrong type"),
            ({"kind": "hang", "act": "yes"}, "act: wrong type"),
            ({"kind": "status", "path": "("}, "path: invalid regex"),
            ({"kind": "status", "colour": "red"}, "colour: unknown field"),
            ({"kind": "status", "status": 99}, "status: must be an HTTP status"),
        ]:
            response = session.post(url, json=body, timeout=10)
            assert response.status_code == 400, body
            assert response.json()["error"].startswith(message)
        assert session.delete(url, timeout=10).json() == {"ok": True}


def test_fault_spec_syntax() -> None:
    fault = Fault.from_spec(
        "method=post,path=/recordings/(track|x{1,2})$,kind=hang,count=2,hang_seconds=0.5,act=true"
    )
    assert (fault.method, fault.path, fault.kind) == ("POST", "/recordings/(track|x{1,2})$", "hang")
    assert (fault.count, fault.hang_seconds, fault.act) == (2, 0.5, True)
    assert fault.matches("POST", "/client/v4/accounts/a/realtime/kit/b/recordings/track")
    assert not fault.matches("GET", "/client/v4/accounts/a/realtime/kit/b/recordings/track")
    gateway = Fault.from_spec("kind=gateway_error,status=429,error_code=971,retry_after=3")
    assert (gateway.status, gateway.error_code, gateway.retry_after) == (429, 971, "3")
    for bad in ("kind=status,colour=red", "kind=status,count=two", "kind=hang,act=maybe", "x"):
        with pytest.raises(ValueError):
            Fault.from_spec(bad)


def test_faults_given_at_construction() -> None:
    specs = ["method=GET,path=/recordings$,kind=status,status=500"]
    with Emulator(token=TOKEN, faults=[*specs, Fault(kind="status", status=418)]) as emu:
        assert call(emu, "GET", "/recordings").status_code == 500
        assert call(emu, "GET", "/recordings").status_code == 418
        assert call(emu, "GET", "/recordings").status_code == 200
