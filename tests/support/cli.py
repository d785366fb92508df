"""The real Pulumi CLI, driven the way a user drives it: a project, a stack, commands.

Each stack lives in a temporary directory (project copy, file backend), because ``pulumi stack
init`` writes ``Pulumi.<stack>.yaml`` (with the passphrase salt) into the project directory, so
running in ``examples/<name>`` would dirty the repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import EmulatorProcess
from tests.support.values import REPO

__all__ = [
    "CLI_TIMEOUT",
    "PASSPHRASE",
    "SECRET_SIG",
    "STACK",
    "TYPES",
    "Cli",
    "Run",
    "Stack",
    "copy_project",
    "find_cli",
]

STACK = "e2e"
PASSPHRASE = "LEAKCHECK-passphrase-e2e-41"
# How state marks a secret value ({SECRET_SIG: ..., "ciphertext": ...}): pulumi.runtime.rpc's sig.
SECRET_SIG = "4dabf18193072939515e22adb298388d"
CLI_TIMEOUT = 240
TYPES = {
    name: f"pulumi-python:dynamic/rtk:{name}"
    for name in ("Recording", "TrackRecording", "Meeting", "Webhook")
}


@dataclass(frozen=True)
class Cli:
    bin_dir: Path
    home: Path


def locate_cli() -> tuple[Path | None, str]:
    """The bin directory of the CLI from ``scripts/pulumi-cli.sh`` (built on first use), or
    None and why not: for tests and benchmarks alike."""
    try:
        proc = subprocess.run(
            ["bash", str(REPO / "scripts" / "pulumi-cli.sh")],
            capture_output=True,
            text=True,
            timeout=3300,
            check=False,
        )
        lines = proc.stdout.strip().splitlines()
        problem = "" if proc.returncode == 0 and lines else proc.stderr.strip()[-2000:]
    except (OSError, subprocess.TimeoutExpired) as exc:
        lines, problem = [], str(exc)
    bin_dir = Path(lines[-1]) if lines else None
    if not problem and (bin_dir is None or not (bin_dir / "pulumi").is_file()):
        problem = f"no pulumi executable in {bin_dir}"
    return (None, problem) if problem else (bin_dir, "")


def find_cli(home: Path) -> Cli:
    """The CLI for a test: skip without it, except in CI (``CI`` set), where a missing CLI
    fails."""
    bin_dir, problem = locate_cli()
    if bin_dir is None:
        reason = f"the Pulumi CLI is not available (scripts/pulumi-cli.sh): {problem}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return Cli(bin_dir, home)


@dataclass
class Run:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


@dataclass
class Stack:
    cli: Cli
    emulator: EmulatorProcess
    root: Path
    secrets: tuple[str, ...] = ()
    env_extra: dict[str, str] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def backend(self) -> Path:
        return self.root / "backend"

    def env(self) -> dict[str, str]:
        # Only stack config may configure the provider: drop its environment fallbacks too.
        dropped = ("PULUMI_", "CLOUDFLARE_", "RTK_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
        return {
            **env,
            "PATH": f"{self.cli.bin_dir}{os.pathsep}{env.get('PATH', '')}",
            "PULUMI_HOME": str(self.cli.home),
            "PULUMI_BACKEND_URL": self.backend.as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PYTHONDONTWRITEBYTECODE": "1",
            **self.env_extra,
        }

    def run(self, *args: str, ok: bool = True, stdin: str | None = None) -> Run:
        argv = ["pulumi", *args, "--stack", STACK, "--non-interactive", "--color", "never"]
        proc = subprocess.run(
            argv,
            cwd=self.project,
            env=self.env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
        run = Run(tuple(args), proc.returncode, proc.stdout, proc.stderr)
        self.runs.append(run)
        if ok and run.returncode != 0:
            pytest.fail(f"`pulumi {' '.join(args)}` failed ({run.returncode}):\n{run.text}")
        return run

    def config(self, key: str, value: str | int | bool, *, secret: bool = False) -> None:
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if secret:
            # From stdin, as for a key file (`pulumi config set --secret k < key.pem`): a
            # secret stays out of argv, and a PEM's leading dashes cannot read as a flag.
            self.run("config", "set", "--secret", key, stdin=text)
        else:
            self.run("config", "set", key, text)

    def preview(self, *extra: str, ok: bool = True) -> Run:
        return self.run("preview", "--diff", *extra, ok=ok)

    def up(self, *extra: str, ok: bool = True) -> Run:
        return self.run("up", "--yes", "--skip-preview", *extra, ok=ok)

    def refresh(self, *extra: str, ok: bool = True) -> Run:
        # --run-program: without it the program does not run, and the stack outputs keep
        # their old values (the resources' own state is refreshed either way).
        return self.run("refresh", "--yes", "--skip-preview", "--run-program", *extra, ok=ok)

    def destroy(self, *extra: str, ok: bool = True) -> Run:
        return self.run("destroy", "--yes", "--skip-preview", *extra, ok=ok)

    def outputs(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.run("stack", "output", "--json").stdout)
        return result

    def export(self) -> str:
        return self.run("stack", "export", "--show-secrets=false").stdout

    def resources(self, kind: str = "Recording") -> dict[str, dict[str, Any]]:
        """The stack's resources of one kind by name: ``{"id", "inputs", "outputs", ...}``."""
        deployment = json.loads(self.export())["deployment"]
        return {
            res["urn"].rsplit("::", 1)[1]: res
            for res in deployment.get("resources") or []
            if res["type"] == TYPES[kind]
        }

    def recordings(self) -> dict[str, dict[str, Any]]:
        return self.resources("Recording")

    def ids(self, kind: str = "Recording") -> dict[str, str]:
        return {name: res["id"] for name, res in self.resources(kind).items()}

    def statuses(self) -> dict[str, str]:
        return {name: res["outputs"]["status"] for name, res in self.recordings().items()}

    def assert_no_secret_leaked(self, extra: Iterable[str] = ()) -> None:
        """No secret in the export, any file of backend or project, or any CLI output."""
        places = {"stack export": self.export()}
        places.update({f"`pulumi {' '.join(r.args)}`": r.text for r in self.runs})
        for base in (self.root, self.cli.home, self.emulator.data_dir):
            for path in base.rglob("*") if base is not None else ():
                if path.is_file():
                    places[str(path)] = path.read_bytes().decode(errors="replace")
        for where, text in places.items():
            for secret in (*self.secrets, *extra):
                assert secret not in text, f"{secret!r} in plaintext in {where}"


_VIRTUALENV = re.compile(r"^(\s*virtualenv:[ \t]*)\S.*$", re.MULTILINE)


def program_project(directory: Path, name: str, program: str) -> Path:
    """A minimal Python project holding ``program``, for ``new_stack`` (which points its
    virtualenv at the user's)."""
    directory.mkdir()
    (directory / "Pulumi.yaml").write_text(
        f"name: {name}\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n"
    )
    (directory / "__main__.py").write_text(program)
    return directory


def copy_project(source: Path, dest: Path, venv: Path) -> None:
    """The project, its ``virtualenv`` set to ``venv`` (the one line that may differ): stacks
    run in a user's virtualenv with the built wheel (tests/support/install.py), never in a
    venv the project directory may hold or the repository's editable one."""
    shutil.copytree(
        source, dest, ignore=shutil.ignore_patterns("__pycache__", "Pulumi.*.yaml", "venv")
    )
    manifest = dest / "Pulumi.yaml"
    text, count = _VIRTUALENV.subn(lambda m: f"{m.group(1)}{venv}", manifest.read_text())
    assert count == 1, f"{source}/Pulumi.yaml must name one virtualenv"
    manifest.write_text(text)
