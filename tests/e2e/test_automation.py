"""End to end: examples/automation/driver.py, the Automation API driver, against the emulator.

The driver runs as a user runs it: ``venv/bin/python driver.py ...`` with the wheel installed in
that venv, and a PATH holding the Pulumi CLI and a plain Python only. That is the case of
pulumi/pulumi#7960: the engine starts the dynamic provider's process, which must import
pulumi_rtk, and the first ``python3`` on PATH cannot; the driver has to point it at its own
interpreter. Everything it does is checked on the emulator: what ``up`` creates, what
``refresh`` reads back, what ``destroy`` leaves, and how a failure is reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import CLI_TIMEOUT, Cli
from tests.support.install import venv_python
from tests.support.processes import EmulatorProcess, run_group
from tests.support.readme import user_env
from tests.support.values import ACCOUNT, APP, AWS_ACCESS_KEY, AWS_SECRET, REPO, TOKEN

DRIVER = REPO / "examples" / "automation" / "driver.py"
PASSPHRASE = "LEAKCHECK-automation-passphrase-27"
SECRETS = (TOKEN, AWS_ACCESS_KEY, AWS_SECRET, PASSPHRASE)


@dataclass(frozen=True)
class Driven:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Driver:
    """``driver.py`` in a user's venv, a work directory and a user's environment."""

    python: Path
    cwd: Path
    env: dict[str, str]

    def __call__(self, *args: str, ok: bool = True, **env: str) -> Driven:
        done = run_group(
            [str(self.python), str(DRIVER), *args],
            cwd=self.cwd,
            env={**self.env, **env},
            timeout=CLI_TIMEOUT,
        )
        stdout, stderr = done.stdout, done.stderr
        run = Driven(args, done.returncode, stdout, stderr)
        if ok and run.returncode != 0:
            pytest.fail(f"driver.py {' '.join(args)} failed ({run.returncode}):\n{stdout}{stderr}")
        return run

    def outputs(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self("outputs").stdout)
        return found


@pytest.fixture
def driver(cli: Cli, emulator: EmulatorProcess, user_venv: Path, tmp_path: Path) -> Driver:
    work = tmp_path / "work"
    work.mkdir()
    env = user_env(
        tmp_path / "home",
        cli.bin_dir,
        PULUMI_HOME=str(cli.home),
        PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        PYTHONDONTWRITEBYTECODE="1",
        RTK_API_BASE_URL=emulator.base_url,
        CLOUDFLARE_ACCOUNT_ID=ACCOUNT,
        RTK_APP_ID=APP,
        CLOUDFLARE_API_TOKEN=TOKEN,
        RTK_STORAGE_ACCESS_KEY=AWS_ACCESS_KEY,
        RTK_STORAGE_SECRET=AWS_SECRET,
    )
    (tmp_path / "home").mkdir()
    return Driver(venv_python(user_venv), work, env)


def live(emulator: EmulatorProcess, kind: str, object_id: str) -> dict[str, Any]:
    found: dict[str, Any] = emulator.api("GET", f"{kind}/{object_id}", TOKEN)["data"]
    return found


def summary(run: Driven) -> dict[str, int]:
    """The driver's ``<command>: {...}`` line: resources by what happened to them."""
    command = run.args[0]
    (line,) = [ln for ln in run.stdout.splitlines() if ln.startswith(f"{command}: {{")]
    counts: dict[str, int] = json.loads(line.split(": ", 1)[1])
    return counts


def test_driver_creates_reads_back_refreshes_and_destroys(
    driver: Driver, emulator: EmulatorProcess
) -> None:
    preview = driver("preview", "--record")
    assert summary(preview) == {"create": 4}
    assert "+ pulumi-python:dynamic/rtk:Meeting: (create)" in preview.stdout  # streamed

    emulator.admin.clear_requests()
    up = driver("up", "--record")
    assert summary(up) == {"create": 4}
    outputs = driver.outputs()
    meeting_id, hook_id = outputs["meeting_id"], outputs["webhook_id"]
    assert outputs["meeting_status"] == "ACTIVE"
    assert outputs["recording_status"] == "RECORDING"

    meeting = live(emulator, "meetings", meeting_id)
    assert (meeting["title"], meeting["record_on_start"]) == ("Daily standup", True)
    config = meeting["recording_config"]
    assert (config["max_seconds"], config["realtimekit_bucket_config"]) == (
        3600,
        {"enabled": False},
    )
    # The credentials went in the request (config secrets, decrypted for the provider only).
    (post,) = emulator.wire("POST", r"/meetings$")
    storage = post.body["recording_config"]["storage_config"]
    assert (storage["access_key"], storage["secret"]) == (AWS_ACCESS_KEY, AWS_SECRET)
    hook = live(emulator, "webhooks", hook_id)
    assert (hook["url"], hook["enabled"]) == ("https://hooks.example.com/rtk", True)
    assert emulator.active(meeting_id) == [outputs["recording_id"]]

    # Renamed behind the driver's back: refresh reads it into the state, up puts it back.
    emulator.api("PATCH", f"meetings/{meeting_id}", TOKEN, {"title": "Renamed"})
    assert summary(driver("refresh")) == {"same": 3, "update": 1}
    emulator.admin.clear_requests()
    assert summary(driver("up", "--record")) == {"same": 3, "update": 1}
    assert [(r.method, r.body) for r in emulator.writes()] == [
        ("PATCH", {"title": "Daily standup"})
    ]

    emulator.admin.clear_requests()
    assert summary(driver("destroy")) == {"delete": 4}
    assert live(emulator, "meetings", meeting_id)["status"] == "INACTIVE"
    assert emulator.api("GET", "webhooks", TOKEN)["data"] == []
    assert emulator.active(meeting_id) == []
    assert emulator.stops() == [outputs["recording_id"]]

    # Secrets: encrypted in the stack's config and state, in no output.
    for path in driver.cwd.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            for secret in SECRETS:
                assert secret not in text, f"{secret!r} in plaintext in {path}"
    for run in (preview, up):
        for secret in SECRETS:
            assert secret not in run.stdout + run.stderr


def test_a_bad_input_fails_with_the_resource_named_before_any_request(
    driver: Driver, emulator: EmulatorProcess
) -> None:
    emulator.admin.clear_requests()
    run = driver("up", "--stack", "bad-input", "--max-seconds", "10", ok=False)
    assert run.returncode == 1
    assert (
        "error: rtk:Meeting 'standup': recording_config.max_seconds: must be at least 60"
        in run.stderr.splitlines()
    ), run.stderr
    assert "Traceback" not in run.stderr
    # The bad meeting never reached the API. (The engine may still create the independent
    # webhook while the meeting's check fails: that race is the engine's.)
    assert emulator.wire("POST", r"/meetings$") == []
    assert [r.method for r in emulator.writes() if "/meetings" in r.path] == []


def test_an_api_refusal_fails_with_each_resource_named(
    driver: Driver, emulator: EmulatorProcess
) -> None:
    emulator.admin.clear_requests()
    run = driver("up", "--stack", "refused", ok=False, CLOUDFLARE_API_TOKEN="wrong-token")
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert sorted(line.split(": ", 2)[1] for line in errors) == [
        "rtk:Meeting 'standup'",
        "rtk:Webhook 'uploads'",
    ], run.stderr
    for line in errors:
        assert "AuthenticationError: POST" in line and "HTTP 401" in line, line
    assert "Traceback" not in run.stderr
    assert "wrong-token" not in run.stdout + run.stderr
    assert [r.status for r in emulator.wire("POST", r"/(meetings|webhooks)$")] == [401, 401]


def test_missing_settings_are_named_before_anything_runs(driver: Driver) -> None:
    run = driver("up", ok=False, CLOUDFLARE_API_TOKEN="", RTK_STORAGE_SECRET="")
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "error: set CLOUDFLARE_API_TOKEN, RTK_STORAGE_SECRET in the environment"
    )
    assert not (driver.cwd / ".rtk-automation").exists()
