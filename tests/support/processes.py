"""Processes tests and benchmarks start: the emulator as users run it, ``python -m``.

A subprocess emulator does not share the GIL with the code under measurement or test, and it is
the same program a user starts with ``rtk-emulator``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pulumi_rtk.emulator import AdminClient
from pulumi_rtk.emulator.requestlog import RequestRecord
from pulumi_rtk.vocabulary import ACTIVE_STATUSES
from tests.support.values import ACCOUNT, APP

__all__ = ["EmulatorProcess", "GroupRun", "api_call", "free_port", "run_group"]

_Self = TypeVar("_Self", bound="EmulatorProcess")
_LISTENING = re.compile(r"rtk-emulator listening on (http://127\.0\.0\.1:\d+)/client/v4")


class EmulatorProcess:
    """``python -m pulumi_rtk.emulator`` on a free port of 127.0.0.1.

    Args:
        token: the bearer token it accepts.
        args: further command-line options (``--clock-speed 0``, ``--latency-ms 50``, ...).
        data_dir: where it keeps ``state.json``; None keeps state in memory.
        port: 0 picks a free one; a fixed one lets a test restart the emulator where stacks'
            state expects it (a token rotation, a crash).
    """

    def __init__(
        self,
        token: str,
        args: Sequence[str] = (),
        *,
        data_dir: Path | None = None,
        port: int = 0,
        python: str = sys.executable,
    ) -> None:
        argv = [python, "-m", "pulumi_rtk.emulator", "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--token", token, *args]
        if data_dir is not None:
            argv += ["--data-dir", str(data_dir)]
        self.data_dir = data_dir
        self.process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        found = _LISTENING.fullmatch(first.strip())
        if found is None:
            self.close()
            raise RuntimeError(f"the emulator did not start: {first!r}")
        self.origin = found.group(1)
        self.base_url = f"{self.origin}/client/v4"
        self.admin = AdminClient(self.origin)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def port(self) -> int:
        return int(self.origin.rsplit(":", 1)[1])

    # Views of the emulator's state and request log that tests and benchmarks compare

    def meeting(self, title: str = "e2e") -> str:
        return self.admin.create_meeting(ACCOUNT, APP, title=title)

    def fresh_meetings(self, count: int) -> list[str]:
        """Forget every meeting, recording and logged request; create ``count`` meetings."""
        self.admin.reset()
        return [self.admin.create_meeting(ACCOUNT, APP, f"bench-{i}") for i in range(count)]

    def wire(self, method: str, path: str = r"/recordings") -> list[RequestRecord]:
        """Requests of the public API since the last ``clear``, in arrival order."""
        return self.admin.requests(method, path)

    def writes(self) -> list[RequestRecord]:
        """Every request that could change something (POST, PUT, PATCH, DELETE)."""
        return [r for r in self.admin.requests() if r.method != "GET"]

    def start_bodies(self) -> list[dict[str, Any]]:
        posts = self.wire("POST", r"/recordings$")
        assert all(r.status in {200, 201} for r in posts), posts
        return [r.body for r in posts]

    def stops(self) -> list[str]:
        """Ids of the recordings stopped through the API, in order."""
        return [r.path.rsplit("/", 1)[1] for r in self.wire("PUT") if r.body == {"action": "stop"}]

    def recording(self, recording_id: str) -> dict[str, Any]:
        (found,) = [r for r in self.admin.recordings() if r["id"] == recording_id]
        return found

    def active(self, meeting_id: str) -> list[str]:
        return [
            r["id"] for r in self.admin.recordings(meeting_id) if r["status"] in ACTIVE_STATUSES
        ]

    def api(self, method: str, path: str, token: str, body: object = None) -> dict[str, Any]:
        return api_call(self.base_url, method, path, token, body)

    def close(self) -> None:
        """SIGTERM (the emulator saves its state and exits), SIGKILL after 10 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def api_call(
    base_url: str, method: str, path: str, token: str, body: object = None
) -> dict[str, Any]:
    """A plain API call, as someone outside Pulumi (a dashboard, a script) would make it;
    ``path`` is relative to the test account and app."""
    request = urllib.request.Request(
        f"{base_url}/accounts/{ACCOUNT}/realtime/kit/{APP}/{path.lstrip('/')}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def free_port() -> int:
    """A port of 127.0.0.1 nobody listens on (for a moment: the caller binds it next)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class GroupRun:
    returncode: int
    stdout: str
    stderr: str


def run_group(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    merge_stderr: bool = False,
) -> GroupRun:
    """Run a command in a process group of its own, bounded by ``timeout``; whatever it
    started (the Pulumi CLI, provider processes, a background emulator) is killed afterwards,
    after a timeout too, so nothing outlives the test."""
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        stdout, stderr = proc.communicate()
        stdout += f"\n[stopped after {timeout:g} s]"
    finally:
        _kill_group(proc.pid)
    return GroupRun(proc.returncode, stdout, stderr or "")


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
