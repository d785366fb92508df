"""The package as a user installs it: a wheel built from the checkout, in a virtualenv of its own.

End-to-end runs use such a virtualenv instead of the editable checkout, so a module the wheel
leaves out, or a dependency ``pyproject.toml`` forgets, fails them: the Pulumi provider process
imports ``pulumi_rtk`` from there, and the repository is on no path it searches.

The virtualenv gets the same dependency versions as the environment running the tests (which
``scripts/venv.sh`` installed from ``constraints/newest.txt`` or ``constraints/floor.txt``), so
the CLI runs of ``.venv-floor`` use the floor SDK, and pip resolves nothing new: with its cache
warm an install needs no download.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.values import REPO

__all__ = ["PIP_TIMEOUT", "build_wheel", "freeze_pins", "install_venv", "pip_cache", "venv_python"]

# A cold pip cache downloads grpcio and the Pulumi SDK; a warm one installs in seconds.
PIP_TIMEOUT = 600


def _run(argv: list[str], what: str, timeout: float) -> str:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"{what} took more than {timeout:g} s: {' '.join(argv)}") from exc
    if proc.returncode != 0:
        raise AssertionError(
            f"{what} failed ({proc.returncode}): {' '.join(argv)}\n{proc.stdout}{proc.stderr}"
        )
    return proc.stdout


def build_wheel(dest: Path) -> Path:
    """``pip wheel . --no-deps``: the wheel a user would install, built from the working tree."""
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
    _run([*pip_wheel, "--wheel-dir", str(dest), str(REPO)], "building the wheel", PIP_TIMEOUT)
    (wheel,) = dest.glob("pulumi_rtk-*.whl")
    return wheel


def freeze_pins(dest: Path) -> Path:
    """The running environment's packages as a pip constraints file (without pulumi-rtk)."""
    pins = _run(
        [sys.executable, "-m", "pip", "freeze", "--all", "--exclude", "pulumi-rtk"],
        "pip freeze",
        120,
    )
    dest.write_text(pins)
    return dest


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def install_venv(venv: Path, wheel: Path, pins: Path) -> Path:
    """A new virtualenv with the wheel and its dependencies, pinned to ``pins``."""
    _run([sys.executable, "-m", "venv", str(venv)], "creating a virtualenv", 120)
    pip_install = [str(venv_python(venv)), "-m", "pip", "install", "--quiet"]
    _run(
        [*pip_install, "--disable-pip-version-check", "--constraint", str(pins), str(wheel)],
        f"installing {wheel.name}",
        PIP_TIMEOUT,
    )
    return venv


def pip_cache() -> dict[str, str]:
    """``PIP_CACHE_DIR`` of this user's pip, so that a new HOME still finds the cache (when
    pip has one: it is never needed)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "cache", "dir"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    found = proc.stdout.strip()
    return {"PIP_CACHE_DIR": found} if proc.returncode == 0 and found else {}
