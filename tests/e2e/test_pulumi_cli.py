"""Contract of scripts/pulumi-cli.sh: the Pulumi CLI pinned in tools/pulumi-cli/go.mod.

The first run may build the CLI with Go (minutes when Go's module cache is cold); later runs,
including the one that waits for a concurrent build, must reuse a finished build. Without the
CLI these tests skip, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.values import REPO

SCRIPT = REPO / "scripts" / "pulumi-cli.sh"
TOOLS = REPO / "tools" / "pulumi-cli"
PKG = "github.com/pulumi/pulumi/pkg/v3"
SDK = "github.com/pulumi/pulumi/sdk/v3"
EXECUTABLES = (
    "pulumi",
    "pulumi-language-python",
    "pulumi-language-python-exec",
    "pulumi-resource-pulumi-python",
)


def required(module: str) -> str:
    """The version tools/pulumi-cli/go.mod requires of a module."""
    found = re.search(rf"^\s*(?:require\s+)?{re.escape(module)} (v\S+)", go_mod(), re.MULTILINE)
    assert found, f"{TOOLS / 'go.mod'} requires no {module}"
    return found.group(1)


def go_mod() -> str:
    return (TOOLS / "go.mod").read_text()


def replaces(text: str) -> set[str]:
    """A go.mod's non-local replace directives, as "old[ v] => new[ v]" strings."""
    entries = re.findall(r"^replace\s+\(\n(.*?)^\)", text, re.MULTILINE | re.DOTALL)
    lines = [line for block in entries for line in block.splitlines()]
    lines += re.findall(r"^replace\s+([^(\s].*)$", text, re.MULTILINE)
    out = set()
    for line in lines:
        old, arrow, new = line.split("//")[0].partition("=>")
        if arrow and not new.strip().startswith((".", "/")):
            out.add(f"{' '.join(old.split())} => {' '.join(new.split())}")
    return out


@dataclass
class Run:
    bin_dir: Path
    stdout: str
    stderr: str
    seconds: float


def script_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "RTK_PULUMI_VERSION"}
    return {**env, **overrides}


def run_script() -> Run:
    started = time.monotonic()
    proc = subprocess.run(
        ["bash", str(SCRIPT)],
        env=script_env(),
        capture_output=True,
        text=True,
        timeout=3300,
        check=False,
    )
    seconds = time.monotonic() - started
    assert proc.returncode == 0, f"pulumi-cli.sh failed ({proc.returncode}):\n{proc.stderr[-4000:]}"
    lines = proc.stdout.strip().splitlines()
    assert lines, f"pulumi-cli.sh printed nothing on stdout; stderr:\n{proc.stderr[-4000:]}"
    return Run(Path(lines[-1]), proc.stdout, proc.stderr, seconds)


@pytest.fixture(scope="module")
def first_run() -> Run:
    """The script's first run; without Go (and nothing to reuse) it skips, except in CI."""
    try:
        return run_script()
    except AssertionError as exc:
        if shutil.which("go") is not None or os.environ.get("CI"):
            raise
        pytest.skip(f"no Go toolchain and no Pulumi CLI to reuse: {exc}")


def built_stamp(bin_dir: Path) -> str:
    """What the language host says it was built from (version and sources digest)."""
    proc = subprocess.run(
        [str(bin_dir / "pulumi-language-python"), "-pulumi-rtk-build"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return proc.stdout.strip()


def test_go_mod_pins_pkg_and_sdk_at_one_version() -> None:
    assert required(PKG) == required(SDK)


def test_go_mod_repeats_the_replaces_of_pkg_v3(tmp_path: Path) -> None:
    if shutil.which("go") is None:
        pytest.skip("go is not on PATH")
    proc = subprocess.run(
        ["go", "mod", "download", "-json", f"{PKG}@{required(PKG)}"],
        cwd=tmp_path,  # outside any module: nothing may touch go.sum
        env={**os.environ, "GOWORK": "off"},
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    upstream = Path(json.loads(proc.stdout)["GoMod"]).read_text()
    assert replaces(go_mod()) == replaces(upstream)


def test_go_mod_and_go_sum_are_tidy() -> None:
    """The build runs with -mod=readonly: go.sum must already hold every module it needs."""
    if shutil.which("go") is None:
        pytest.skip("go is not on PATH")
    proc = subprocess.run(
        ["go", "mod", "tidy", "-diff"],
        cwd=TOOLS,
        env={**os.environ, "GOWORK": "off"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, f"go.mod/go.sum are not tidy:\n{proc.stdout}{proc.stderr}"


def test_last_line_is_a_directory_with_the_executables(first_run: Run) -> None:
    assert first_run.bin_dir.is_absolute()
    assert first_run.bin_dir.is_dir()
    for name in EXECUTABLES:
        exe = first_run.bin_dir / name
        assert exe.is_file(), f"missing {exe}"
        assert os.access(exe, os.X_OK), f"not executable: {exe}"


def test_pulumi_version_is_the_go_mod_pin(first_run: Run) -> None:
    proc = subprocess.run(
        [str(first_run.bin_dir / "pulumi"), "version"],
        env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert proc.stdout.strip() == required(PKG)


def test_language_host_names_its_build(first_run: Run) -> None:
    stamp = built_stamp(first_run.bin_dir)
    assert stamp.startswith(f"pulumi {required(PKG)} sources "), stamp
    cache_stamp = first_run.bin_dir.parent / "stamp"
    if cache_stamp.is_file():
        assert cache_stamp.read_text().strip() == stamp


def test_language_host_prints_its_port_first(first_run: Run) -> None:
    host = subprocess.Popen(
        [str(first_run.bin_dir / "pulumi-language-python"), "127.0.0.1:1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert host.stdout is not None
        port = host.stdout.readline().strip()
        assert port.isdigit() and 0 < int(port) < 65536, port
    finally:
        host.kill()
        host.wait(timeout=10)


def test_second_run_reuses_the_cache(first_run: Run) -> None:
    stamp = first_run.bin_dir.parent / "stamp"
    before = stamp.stat().st_mtime_ns if stamp.exists() else None
    second = run_script()
    assert second.bin_dir == first_run.bin_dir
    assert "building" not in second.stderr, second.stderr
    assert "using" in second.stderr, second.stderr
    assert second.seconds < 30, f"cache hit took {second.seconds:.1f}s"
    if before is not None:
        assert stamp.stat().st_mtime_ns == before, "the cache was rebuilt"


def test_waits_for_a_concurrent_build_and_reuses_it(first_run: Run, tmp_path: Path) -> None:
    """While another process holds the build lock the script says so, then takes its result.

    The test plays the other process: it holds the lock of an empty cache, and "finishes its
    build" by linking the first run's executables into that cache before letting go.
    """
    if shutil.which("go") is None or shutil.which("flock") is None:
        pytest.skip("the script looks at the lock only with go and flock on PATH")
    version = required(PKG)
    cache = tmp_path / "cache"
    vdir = cache / "pulumi-cli" / version
    vdir.parent.mkdir(parents=True)
    # No `pulumi` on PATH, or the script could take that instead of waiting.
    path = os.pathsep.join(
        d for d in os.environ["PATH"].split(os.pathsep) if d and not (Path(d) / "pulumi").exists()
    )
    env = script_env(RTK_PULUMI_CACHE=str(cache), PATH=path)

    with (vdir.parent / f"{version}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.Popen(
            ["bash", str(SCRIPT)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # so a runaway build can be stopped with its children
        )
        try:
            stderr = Lines(proc)
            waiting = stderr.next(timeout=30)
            assert f"waiting for another build of pulumi {version} in {vdir}" in waiting
            assert str(vdir.parent / f"{version}.lock") in waiting
            (vdir / "bin").mkdir(parents=True)
            for name in EXECUTABLES:
                (vdir / "bin" / name).symlink_to(first_run.bin_dir / name)
            (vdir / "stamp").write_text(built_stamp(first_run.bin_dir) + "\n")
            fcntl.flock(lock, fcntl.LOCK_UN)
            proc.wait(timeout=60)
            assert proc.stdout is not None
            stdout = proc.stdout.read()
            rest = stderr.rest(timeout=10)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
    assert proc.returncode == 0, rest
    assert stdout.strip().splitlines()[-1] == str(vdir / "bin")
    assert "built by a concurrent run" in rest, rest
    assert "building" not in rest, rest


class Lines:
    """A process's stderr, line by line, readable with a timeout."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self._lines: queue.Queue[str | None] = queue.Queue()  # None: the end
        self._proc = proc
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            self._lines.put(line)
        self._lines.put(None)

    def next(self, timeout: float) -> str:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"pulumi-cli.sh printed nothing on stderr within {timeout}s")
        assert line is not None, "pulumi-cli.sh ended before it printed that line"
        return line

    def rest(self, timeout: float) -> str:
        """Everything up to the end of the stream."""
        deadline = time.monotonic() + timeout
        out = []
        while (line := self._lines.get(timeout=max(0.0, deadline - time.monotonic()))) is not None:
            out.append(line)
        return "".join(out)
