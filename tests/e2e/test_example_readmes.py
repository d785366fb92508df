"""Every example's README, followed to the letter by a user holding a copy of the example.

Each ``examples/<name>/README.md`` runs (its ```bash blocks, in order, in one shell:
``tests/support/readme.py``) in a copy of the example outside the repository, in a user's
environment: the Pulumi CLI and a plain Python on PATH, a new HOME, ``RTK_PACKAGE`` naming the
wheel built from this checkout (pulumi-rtk is not on PyPI yet), and ``RTK_EMULATOR_PORT`` a free
port for the emulator the README starts itself. Nothing of the repository or its venv is on any
path, so a step that leans on them fails, as does any wrong step. An example directory without a
README fails too: every example is meant to be followed.

Two settings keep the runs reproducible and bounded rather than user-like: pip installs the
dependency versions of the venv running the tests (``PIP_CONSTRAINT``; the README's own ranges
still have to admit them) from the shared pip cache, and the CLI neither checks for updates nor
downloads plugins (no network but loopback and the package index).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.cli import Cli
from tests.support.readme import follow_readme
from tests.support.values import REPO

EXAMPLES = sorted(path for path in (REPO / "examples").iterdir() if path.is_dir())
# A README installs a virtualenv (seconds with pip's cache warm) and runs a handful of CLI
# commands; a hung step ends the run here rather than at pytest's timeout.
README_TIMEOUT = 600

# What a run prints, where that is cheap to know: stack outputs as `pulumi stack output` and
# `pulumi config` show them (each README's comments say what to expect).
PRINTED = {
    "quickstart": [r"^RECORDING$", r"^PAUSED$"],
    "storage-as-code": [
        r"^awsAccessKey\s+\[secret\]$",
        r"^sftpPrivateKey\s+\[secret\]$",
        r'"sftp": ?"(INVOKED|RECORDING)"',
    ],
    "multi-recording": [r'"landscape": ?"[0-9a-f-]{36}"', r'"portrait": ?"[0-9a-f-]{36}"'],
}


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_readme_runs_in_a_copy_of_the_example(
    example: Path, cli: Cli, wheel: Path, pins: Path, tmp_path: Path
) -> None:
    readme = example / "README.md"
    assert readme.is_file(), f"examples/{example.name} has no README.md to follow"
    assert REPO not in tmp_path.parents
    _, run = follow_readme(example, tmp_path, cli.bin_dir, wheel, pins, timeout=README_TIMEOUT)
    assert run.returncode == 0, (
        f"following examples/{example.name}/README.md failed ({run.returncode}); "
        f"the end of its output:\n{run.output[-6000:]}"
    )
    for pattern in PRINTED.get(example.name, ()):
        assert re.search(pattern, run.output, re.MULTILINE), (
            f"examples/{example.name}/README.md ran but printed nothing like {pattern!r}:\n"
            f"{run.output[-6000:]}"
        )
