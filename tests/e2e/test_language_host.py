"""Our language host (tools/pulumi-cli/languagehost) runs Python plugins for the real Pulumi CLI.

`pulumi preview --policy-pack <dir>` makes the CLI ask the language host to RunPlugin the pack
(kind "analyzer"); `pulumi plugin run <dir>` asks it to run any other plugin. Everything lives in
tmp_path: a project that only exports a stack output, a CrossGuard policy pack reading the stack
configuration and its own policy configuration, a file backend and PULUMI_HOME. Both use the
repo's venv, which must hold pulumi-policy (a dev dependency).

The CLI comes from scripts/pulumi-cli.sh; without it (or pulumi-policy) these tests skip, except
in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli import Cli
from tests.support.values import REPO

VENV = REPO / ".venv"
PROJECT = "policy-e2e"
STACK = "e2e"
PACK = "size-pack"
POLICY = "size-limit"
CLI_TIMEOUT = 240

PROGRAM = f"""\
import pulumi

pulumi.export("size", pulumi.Config("{PROJECT}").get_int("size"))
"""

# Its message names what reached the pack: the stack configuration and name (which the host
# passes in the environment), the policy configuration (--policy-pack-config) and the working
# directory the pack runs in.
POLICY_PACK = f"""\
import os

import pulumi
from pulumi_policy import EnforcementLevel, PolicyConfigSchema, PolicyPack, StackValidationPolicy


def validate(args, report_violation):
    size = pulumi.Config("{PROJECT}").get_int("size") or 0
    limit = int(args.get_config()["limit"])  # JSON numbers arrive as floats
    if size > limit:
        report_violation(
            f"size {{size}} exceeds limit {{limit}} (stack {{pulumi.get_stack()}}, "
            f"cwd {{os.path.basename(os.getcwd())}})"
        )


PolicyPack(
    "{PACK}",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        StackValidationPolicy(
            name="{POLICY}",
            description="The size in the stack configuration stays within the limit.",
            validate=validate,
            config_schema=PolicyConfigSchema(
                properties={{"limit": {{"type": "integer", "default": 10}}}}
            ),
        )
    ],
)
"""

# A plugin that is not a policy pack: it shows what it was started with and exits as told.
TOOL = """\
import os
import sys

print("args", *sys.argv[1:], "cwd", os.getcwd(), "venv", os.environ.get("VIRTUAL_ENV"))
print("to stderr", file=sys.stderr)
sys.exit(int(sys.argv[-1]))
"""


def runtime(name: str = "") -> str:
    head = f"name: {name}\n" if name else ""
    return f"{head}runtime:\n  name: python\n  options:\n    virtualenv: {VENV}\n"


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def bin_dir(cli: Cli) -> Path:
    """The pinned Pulumi CLI and our language host (the shared ``cli`` fixture skips without
    them, except in CI), and pulumi-policy in the venv the policy packs run in."""
    policy = subprocess.run(
        [str(VENV / "bin" / "python"), "-c", "import pulumi_policy"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if policy.returncode != 0:
        unavailable(f"pulumi-policy is not installed in {VENV}: {policy.stderr.strip()[-500:]}")
    return cli.bin_dir


@dataclass(frozen=True)
class Workspace:
    bin_dir: Path
    root: Path

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def pack(self) -> Path:
        return self.root / "pack-dir"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
        return {
            **env,
            "PATH": f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}",
            "PULUMI_HOME": str(self.root / "home"),
            "PULUMI_BACKEND_URL": (self.root / "backend").as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": "policy-e2e",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    def pulumi(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pulumi", "--non-interactive", "--color", "never", *args],
            cwd=cwd or self.project,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )

    def preview(self, size: int, *extra: str) -> subprocess.CompletedProcess[str]:
        """`pulumi preview` of the stack with `size` in its configuration, under the pack."""
        config = self.pulumi("config", "set", "--stack", STACK, "size", str(size))
        assert config.returncode == 0, config.stderr
        return self.pulumi("preview", "--stack", STACK, "--policy-pack", str(self.pack), *extra)


@pytest.fixture(scope="module")
def workspace(bin_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace(bin_dir, tmp_path_factory.mktemp("language-host"))
    for directory in (ws.project, ws.pack, ws.root / "backend"):
        directory.mkdir()
    (ws.project / "Pulumi.yaml").write_text(runtime(PROJECT))
    (ws.project / "__main__.py").write_text(PROGRAM)
    (ws.pack / "PulumiPolicy.yaml").write_text(runtime())
    (ws.pack / "__main__.py").write_text(POLICY_PACK)
    init = ws.pulumi("stack", "init", STACK)
    assert init.returncode == 0, init.stderr
    return ws


def test_a_compliant_stack_passes_the_policy_pack(workspace: Workspace) -> None:
    proc = workspace.preview(3)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert PACK in output
    assert POLICY not in output


def test_a_violation_fails_the_preview_and_names_the_policy(workspace: Workspace) -> None:
    proc = workspace.preview(20)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert POLICY in output
    assert f"size 20 exceeds limit 10 (stack {STACK}, cwd {workspace.pack.name})" in output


def test_policy_pack_config_reaches_the_pack(workspace: Workspace, tmp_path: Path) -> None:
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({POLICY: {"limit": 15}}))
    proc = workspace.preview(20, "--policy-pack-config", str(config))
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "size 20 exceeds limit 15" in output

    config.write_text(json.dumps({POLICY: {"limit": 30}}))
    proc = workspace.preview(20, "--policy-pack-config", str(config))
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("code", [0, 3])
def test_other_plugins_run_from_their_directory(
    workspace: Workspace, tmp_path: Path, code: int
) -> None:
    """`python <plugin dir> <args>` in the caller's directory, with its exit code and output."""
    plugin = tmp_path / "tool"
    plugin.mkdir()
    (plugin / "PulumiPlugin.yaml").write_text(runtime())
    (plugin / "__main__.py").write_text(TOOL)
    proc = workspace.pulumi(
        "plugin", "run", "--kind", "tool", str(plugin), "--", "hello", str(code), cwd=tmp_path
    )
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert f"args hello {code} cwd {tmp_path} venv {VENV}" in proc.stdout
    assert "to stderr" in proc.stderr
