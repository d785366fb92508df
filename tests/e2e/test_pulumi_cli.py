"""Contract of scripts/pulumi-cli.sh: it provides the Pulumi CLI at exactly the pip SDK's pin.

The first run may build the CLI with Go (minutes when Go's module cache is cold); the second
must reuse the cache. Skips only when neither `go` nor `pulumi` is on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "pulumi-cli.sh"
EXECUTABLES = (
    "pulumi",
    "pulumi-language-python",
    "pulumi-language-python-exec",
    "pulumi-resource-pulumi-python",
)

# A cold build (empty Go module and build caches) needs well under this on 2 cores.
pytestmark = [
    pytest.mark.timeout(3600),
    pytest.mark.skipif(
        shutil.which("go") is None and shutil.which("pulumi") is None,
        reason="neither go (to build the Pulumi CLI) nor pulumi is on PATH",
    ),
]


def pinned_version() -> str:
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    deps: list[str] = data["project"]["dependencies"]
    pins = [d.replace(" ", "") for d in deps if d.replace(" ", "").startswith("pulumi==")]
    assert len(pins) == 1, pins
    return pins[0].removeprefix("pulumi==")


@dataclass
class Run:
    bin_dir: Path
    stdout: str
    stderr: str
    seconds: float


def run_script() -> Run:
    env = {k: v for k, v in os.environ.items() if k != "RTK_PULUMI_VERSION"}
    started = time.monotonic()
    proc = subprocess.run(
        ["bash", str(SCRIPT)],
        env=env,
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
    return run_script()


def stamp_of(bin_dir: Path) -> Path:
    return bin_dir.parent / "stamp"


def test_last_line_is_a_directory_with_the_executables(first_run: Run) -> None:
    assert first_run.bin_dir.is_absolute()
    assert first_run.bin_dir.is_dir()
    found_on_path = "already on PATH" in first_run.stderr
    # A CLI found on PATH only has to bring its language host; ours brings all four.
    wanted = EXECUTABLES[:2] if found_on_path else EXECUTABLES
    for name in wanted:
        exe = first_run.bin_dir / name
        assert exe.is_file(), f"missing {exe}"
        assert os.access(exe, os.X_OK), f"not executable: {exe}"
    if not found_on_path:
        assert stamp_of(first_run.bin_dir).is_file()


def test_pulumi_version_matches_the_pip_pin(first_run: Run) -> None:
    proc = subprocess.run(
        [str(first_run.bin_dir / "pulumi"), "version"],
        env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert proc.stdout.strip() == "v" + pinned_version()


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
    stamp = stamp_of(first_run.bin_dir)
    before = stamp.stat().st_mtime_ns if stamp.exists() else None
    second = run_script()
    assert second.bin_dir == first_run.bin_dir
    assert "building" not in second.stderr, second.stderr
    assert "using" in second.stderr, second.stderr
    assert second.seconds < 30, f"cache hit took {second.seconds:.1f}s"
    if before is not None:
        assert stamp.stat().st_mtime_ns == before, "the cache was rebuilt"
