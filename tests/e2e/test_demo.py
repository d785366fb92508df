"""``make up`` / ``make down`` (``bash scripts/demo.sh up|down``), run as a user runs them, against
what README.md's "Try it now" promises.

The demo writes into the repository it runs in (``.pulumi/``, ``.rtk-emulator/``), so it runs in
a copy of this working tree (every file git does not ignore) made a git repository of its own,
never in the checkout itself: a developer's own demo state is left alone. The copy's ``.venv`` is
a symlink to the checkout's, which ``scripts/venv.sh`` then finds up to date, and the Pulumi CLI
of ``scripts/pulumi-cli.sh`` is on PATH, so nothing is built and the run takes seconds. The
shell is a user's (``tests/support/readme.py``: a new HOME, no ``PULUMI_*`` or ``RTK_*``), with
``RTK_DEMO_PORT`` a free port.

The run: ``up``, ``up`` again, ``down``. Then:

- the first ``up`` showed the standup's recording that started by itself: its id, ``RECORDING``,
  ``started by  RECORD_ON_START``, its file in ``aws://acme-recordings/standup/``, and the stack
  outputs;
- the webhook receiver's log (``.rtk-emulator/receiver.log``) has deliveries, each with a
  verified signature;
- the second ``up`` changed nothing: every resource unchanged, the same outputs and recording,
  the same emulator and receiver;
- ``down`` destroyed the stack, stopped the emulator and the receiver, dropped the emulator's
  state, and left the copy as clean as git sees it (what it keeps is in gitignored directories).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli import Cli
from tests.support.processes import GroupRun, free_port, run_group
from tests.support.readme import user_env
from tests.support.values import REPO

# One step: the venv and the CLI are reused, so a handful of CLI commands.
STEP_TIMEOUT = 300
# The receiver gets the webhook's deliveries a moment after `up` has shown the recording.
DELIVERY_WAIT = 15
# The demo's processes: pid file in .rtk-emulator/, and what their command line has (as
# scripts/demo.sh's live_pid checks it).
PROCESSES = {"emulator": "pulumi_rtk.emulator", "receiver": "receiver.py"}
# Where `git status --ignored` may show what the demo leaves (`.venv` is the test's symlink).
KEPT = (".pulumi/", ".rtk-emulator/", ".venv")

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_SHOWN = re.compile(
    r"^  meeting     (?P<meeting>\S+), session (?P<session>\S+)\n"
    r"  recording   (?P<recording>\S+)\n"
    r"  status      (?P<status>.+)\n"
    r"  started by  (?P<started_by>.+)\n"
    r"  storage     (?P<storage>.+)$",
    re.MULTILINE,
)
_OUTPUTS = re.compile(
    r"^Current stack outputs \((?P<count>\d+)\):\n\s+OUTPUT\s+VALUE\n(?P<rows>(?:[ \t]+\S.*\n)*)",
    re.MULTILINE,
)
_RESOURCES = re.compile(r"^Resources:\n(?P<lines>(?:[ \t]+\S.*\n)+)", re.MULTILINE)


@dataclass(frozen=True)
class DemoRun:
    copy: Path
    up: GroupRun
    again: GroupRun
    down: GroupRun
    receiver_log: str
    pids: dict[str, int]  # after the first `up`
    pids_again: dict[str, int]  # after the second
    running_after_down: dict[str, bool]
    stacks_after_down: str
    status_after_down: str  # `git status --porcelain --ignored`


def _show(run: GroupRun) -> str:
    return f"exit {run.returncode}; the end of its output:\n{run.stdout[-6000:]}"


def _running(pid: int, marker: str) -> bool:
    """Whether ``pid`` runs (a zombie does not) with ``marker`` in its command line (``-ww``: in
    full, as ps may otherwise cut it at 80 columns)."""
    proc = subprocess.run(
        ["ps", "-ww", "-o", "stat=,args=", "-p", str(pid)],
        capture_output=True,
        text=True,
        check=False,
    )
    line = proc.stdout.strip()
    return proc.returncode == 0 and not line.startswith("Z") and marker in line


def _pids(copy: Path) -> dict[str, int]:
    pids = {}
    for name in PROCESSES:
        path = copy / ".rtk-emulator" / f"{name}.pid"
        text = path.read_text().strip() if path.is_file() else ""
        if text.isdigit():
            pids[name] = int(text)
    return pids


def _git(copy: Path, env: Mapping[str, str], *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid", *args],
        cwd=copy,
        env={**env, "GIT_CONFIG_NOSYSTEM": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, f"git {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}"
    return proc.stdout


def _copy_worktree(dest: Path) -> None:
    """The working tree as git sees it: tracked files (as they are on disk) and untracked ones
    git does not ignore; no demo state, venv or cache."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        timeout=60,
        check=True,
    ).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPO / name
        if os.path.lexists(source) and not source.is_dir():  # not deleted, not a submodule
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name, follow_symlinks=False)


def _venv_problem() -> str:
    """Why the checkout's .venv cannot be lent to the copy, or "". scripts/venv.sh refreshes a
    venv whose stamp does not match its inputs; in the copy that would reinstall the package,
    from the copy, into the checkout's venv, so it must match already."""
    venv = REPO / ".venv"
    inputs = ("pyproject.toml", "constraints/newest.txt", "scripts/venv.sh")
    want = hashlib.sha256(b"".join((REPO / name).read_bytes() for name in inputs)).hexdigest()
    stamp = venv / ".rtk-installed"
    if not (venv / "bin" / "python").exists() or not stamp.is_file():
        return f"there is no {venv} (make venv)"
    if stamp.read_text().strip() != want:
        return f"{venv} is not up to date with {', '.join(inputs)} (make venv)"
    return ""


@pytest.fixture(scope="module")
def demo(cli: Cli, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    """up, up, down in a copy of the working tree; whatever the demo started is stopped at the
    end, whatever happened."""
    problem = _venv_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    root = tmp_path_factory.mktemp("demo")
    assert REPO not in root.parents
    copy = root / "repo"
    copy.mkdir()
    (root / "home").mkdir()
    env = user_env(
        root / "home",
        cli.bin_dir,
        RTK_DEMO_PORT=str(free_port()),
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
    )
    _copy_worktree(copy)
    _git(copy, env, "init", "--quiet", "--initial-branch=main")
    _git(copy, env, "add", "--all")
    _git(copy, env, "commit", "--quiet", "--no-verify", "--no-gpg-sign", "-m", "the working tree")
    (copy / ".venv").symlink_to(REPO / ".venv", target_is_directory=True)
    # A symlink is not the directory `.venv/` in .gitignore names.
    with (copy / ".git" / "info" / "exclude").open("a") as exclude:
        exclude.write("/.venv\n")

    groups: list[int] = []
    started: dict[int, str] = {}

    def step(command: str) -> GroupRun:
        """`bash scripts/demo.sh <command>` in a process group of its own; unlike run_group's,
        it is left running: the emulator and the receiver `up` starts belong to it."""
        proc = subprocess.Popen(
            ["bash", "scripts/demo.sh", command],
            cwd=copy,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        groups.append(proc.pid)
        try:
            output, _ = proc.communicate(timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
            output += f"\n[stopped after {STEP_TIMEOUT} s]"
        for name, pid in _pids(copy).items():
            started[pid] = PROCESSES[name]
        return GroupRun(proc.returncode, output, "")

    try:
        up = step("up")
        pids = _pids(copy)
        receiver_log = copy / ".rtk-emulator" / "receiver.log"
        deadline = time.monotonic() + DELIVERY_WAIT
        while time.monotonic() < deadline and up.returncode == 0:
            if receiver_log.is_file() and "\nevent=" in receiver_log.read_text():
                break
            time.sleep(0.2)
        again = step("up")
        pids_again = _pids(copy)
        log = receiver_log.read_text() if receiver_log.is_file() else ""
        down = step("down")
        running = {name: _running(pid, PROCESSES[name]) for name, pid in pids.items()}
        stacks = run_group(
            [str(cli.bin_dir / "pulumi"), "stack", "ls", "--json"],
            cwd=copy,
            env={**env, "PULUMI_BACKEND_URL": (copy / ".pulumi").as_uri()},
            timeout=120,
        )
        assert stacks.returncode == 0, f"pulumi stack ls failed:\n{stacks.stdout}{stacks.stderr}"
        status = _git(copy, env, "status", "--porcelain", "--ignored", "--untracked-files=all")
        yield DemoRun(copy, up, again, down, log, pids, pids_again, running, stacks.stdout, status)
    finally:
        for pgid in groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        for pid, marker in started.items():
            if _running(pid, marker):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)


def shown(run: GroupRun) -> dict[str, str]:
    """The recording `up` shows (meeting, session, recording, status, started_by, storage)."""
    found = _SHOWN.search(run.stdout)
    assert found is not None, f"`up` showed no recording; {_show(run)}"
    return found.groupdict()


def outputs(run: GroupRun) -> dict[str, str]:
    """The table `pulumi stack output` printed."""
    found = _OUTPUTS.search(run.stdout)
    assert found is not None, f"`up` printed no stack outputs; {_show(run)}"
    rows = {key: value for key, value in (row.split(None, 1) for row in found["rows"].splitlines())}
    assert len(rows) == int(found["count"]), found.group(0)
    return rows


def resources(run: GroupRun) -> list[str]:
    """The lines of the `Resources:` summary of the one `pulumi up` or `destroy` of a step."""
    (summary,) = _RESOURCES.findall(run.stdout)
    return [line.strip() for line in summary.splitlines()]


def test_up_shows_a_meeting_that_records_itself(demo: DemoRun) -> None:
    assert demo.up.returncode == 0, f"`bash scripts/demo.sh up` failed; {_show(demo.up)}"
    recording = shown(demo.up)
    assert re.fullmatch(_UUID, recording["recording"]), recording
    assert recording["status"] == "RECORDING", recording
    assert recording["started_by"] == "RECORD_ON_START", recording
    assert re.fullmatch(r"aws://acme-recordings/standup/\S+", recording["storage"]), recording

    printed = outputs(demo.up)
    assert printed, f"no stack output printed; {_show(demo.up)}"
    assert all(value.strip() for value in printed.values()), printed
    # The recording shown is the standup's, the meeting the stack made.
    assert printed.get("standup_meeting_id") == recording["meeting"], (printed, recording)
    (created,) = resources(demo.up)
    assert re.fullmatch(r"\+ \d+ created", created), created


def test_the_receiver_logs_verified_deliveries(demo: DemoRun) -> None:
    deliveries = [line for line in demo.receiver_log.splitlines() if line.startswith("event=")]
    assert deliveries, f"no webhook delivery in .rtk-emulator/receiver.log:\n{demo.receiver_log}"
    assert all(line.endswith(" signature=verified") for line in deliveries), demo.receiver_log
    standup = shown(demo.up)["meeting"]
    assert all(f" meeting={standup}" in line for line in deliveries), demo.receiver_log


def test_a_second_up_changes_nothing(demo: DemoRun) -> None:
    assert demo.again.returncode == 0, f"the second `up` failed; {_show(demo.again)}"
    (created,) = resources(demo.up)
    count = created.split()[1]
    assert resources(demo.again) == [f"{count} unchanged"], _show(demo.again)
    assert outputs(demo.again) == outputs(demo.up)
    # The same session and recording, shown again, still recording; the same processes.
    assert shown(demo.again) == shown(demo.up), _show(demo.again)
    assert demo.pids_again == demo.pids and set(demo.pids) == set(PROCESSES), demo.pids_again


def test_down_destroys_stops_and_leaves_the_tree_clean(demo: DemoRun) -> None:
    assert demo.down.returncode == 0, f"`bash scripts/demo.sh down` failed; {_show(demo.down)}"
    (created,) = resources(demo.up)
    assert resources(demo.down) == [f"- {created.split()[1]} deleted"], _show(demo.down)
    stacks = {stack["name"]: stack for stack in json.loads(demo.stacks_after_down)}
    assert stacks["demo"].get("resourceCount", 0) == 0, demo.stacks_after_down

    assert set(demo.pids) == set(PROCESSES), demo.pids
    assert not any(demo.running_after_down.values()), (
        f"still running after `down`: {demo.running_after_down} (pids {demo.pids}); "
        f"{_show(demo.down)}"
    )
    assert not (demo.copy / ".rtk-emulator" / "data").exists(), "the emulator's state is kept"

    status = demo.status_after_down.splitlines()
    changed = [line for line in status if not line.startswith("!! ")]
    assert not changed, f"`down` left the tree changed (git status --porcelain):\n{status}"
    elsewhere = [
        path
        for path in (line[3:] for line in status if line.startswith("!! "))
        if not path.startswith(KEPT) and "__pycache__/" not in path
    ]
    assert not elsewhere, f"the demo wrote outside {', '.join(KEPT)}: {elsewhere}"
