"""Run a README's shell blocks as written, the way a user following it would.

Every fenced block tagged ``bash`` runs, in order, in one ``bash -euo pipefail`` process started
in the given directory; blocks tagged anything else (``console``, ``text``, ``python``) are
shown to the reader only. A README is complete when this passes in a copy of its example outside
the repository, with nothing but the environment a user would have (the Pulumi CLI on PATH, the
package to install named by ``RTK_PACKAGE`` until it is published).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.support.install import pip_cache
from tests.support.processes import free_port, run_group

__all__ = ["ReadmeRun", "bash_blocks", "follow_readme", "run_readme", "user_env"]

# What a run of an example leaves behind in its directory; a user's copy has none of it.
LEFT_BEHIND = ("__pycache__", "venv", "state", "emulator-data", "*.log", "Pulumi.*.yaml")

_FENCE = re.compile(r"^```([A-Za-z0-9_-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def bash_blocks(markdown: str) -> list[str]:
    """The ``bash`` blocks of a markdown text, in order."""
    return [body for lang, body in _FENCE.findall(markdown) if lang == "bash"]


@dataclass(frozen=True)
class ReadmeRun:
    returncode: int
    output: str
    script: str


def run_readme(
    readme: Path,
    cwd: Path,
    env: Mapping[str, str],
    *,
    timeout: float = 600,
) -> ReadmeRun:
    """Run every bash block of ``readme`` in ``cwd`` with exactly ``env``; stdout and stderr
    come back together, with each command echoed (``set -x``) so a failure shows which step
    broke. Whatever the README left running in the background is stopped afterwards."""
    blocks = bash_blocks(readme.read_text())
    if not blocks:
        raise AssertionError(f"{readme} has no ```bash block to run")
    script = "set -euo pipefail\nset -x\n" + "\n".join(blocks)
    run = run_group(
        ["bash", "--noprofile", "--norc", "-c", script],
        cwd=cwd,
        env=env,
        timeout=timeout,
        merge_stderr=True,
    )
    return ReadmeRun(run.returncode, run.stdout, script)


def user_env(home: Path, cli_bin: Path, **variables: str) -> dict[str, str]:
    """A user's shell: the Pulumi CLI and a plain Python (the one the test venv was made from,
    never a venv's ``bin``) on PATH, a new HOME, and of this process's environment only pip's
    settings (``PIP_*``: index, certificates) and the locale; no ``VIRTUAL_ENV``,
    ``PYTHONPATH``, ``PULUMI_*``, ``RTK_*`` or ``CLOUDFLARE_*``. ``variables`` come on top."""
    kept = {
        key: value
        for key, value in os.environ.items()
        if key.startswith("PIP_") or key in {"LANG", "LC_ALL", "LC_CTYPE", "TZ"}
    }
    path = [str(cli_bin), str(Path(sys.base_prefix) / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]
    return {**kept, "HOME": str(home), "PATH": os.pathsep.join(path), **variables}


def follow_readme(
    example: Path, root: Path, cli_bin: Path, wheel: Path, pins: Path, *, timeout: float
) -> tuple[Path, ReadmeRun]:
    """Follow ``example``'s README as a user would: in a copy outside the repository, in a
    user's shell (``user_env``) with a new HOME, the package from the built wheel
    (``RTK_PACKAGE``) and a free port for its emulator. Returns the copy, with what the run
    left in it, and the run."""
    copy = root / example.name
    shutil.copytree(example, copy, ignore=shutil.ignore_patterns(*LEFT_BEHIND))
    home = root / "home"
    home.mkdir()
    env = user_env(
        home,
        cli_bin,
        RTK_PACKAGE=str(wheel),
        RTK_EMULATOR_PORT=str(free_port()),
        # Reproducible and bounded: the test venv's versions, no update check, no plugin
        # downloads (the README's own version ranges still have to admit these pins).
        PIP_CONSTRAINT=str(pins),
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        **pip_cache(),
    )
    return copy, run_readme(copy / "README.md", copy, env, timeout=timeout)
