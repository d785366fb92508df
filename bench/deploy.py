"""Benchmark 6: ``pulumi up`` and ``pulumi destroy`` of 100 recordings with the real CLI.

Temporary projects on a file backend: 100 ``pulumi_rtk.Recording`` resources on 100 meetings
of a subprocess emulator, and 100 resources of a dynamic provider that does nothing
(``bench.noop_provider``) with the same inputs: the baseline of the goals. That baseline keeps
the storage credentials in plaintext in its state's inputs, where a Recording keeps each one as
a secret; a third project, the same no-op resources with the credentials passed as secrets,
shows what that costs. After one untimed up and destroy of each (so all run from cached
bytecode, as installed packages do), runs alternate. The CLI comes from
``scripts/pulumi-cli.sh`` (its last stdout line is the directory to put on PATH).

The programs read their inputs from ``bodies.json`` and import nothing but what they declare
(``pulumi_rtk``, or ``bench.noop_provider``), so the two differ only in their resources.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import (
    PYTHON,
    TOKEN,
    EmulatorProcess,
    Outcome,
    Row,
    cpu_seconds,
    median,
    start_body,
)
from tests.support.cli import locate_cli
from tests.support.values import ACCOUNT, APP, REPO

GOALS = {"up": 1.20, "destroy": 1.15}
RESOURCES = 100
VENV = Path(PYTHON).parent.parent

RTK_PROGRAM = """
    import json

    import pulumi_rtk

    for index, body in enumerate(json.load(open("bodies.json"))):
        pulumi_rtk.Recording(f"rec-{index:03d}", **body)
"""
NOOP_PROGRAM = """
    import json

    import pulumi
    from bench.noop_provider import Noop

    # The same inputs, and storage_config kept secret in state as Recording does.
    secret = pulumi.ResourceOptions(additional_secret_outputs=["storage_config"])
    for index, body in enumerate(json.load(open("bodies.json"))):
        Noop(f"noop-{index:03d}", body, secret)
"""
NOOP_SECRETS_PROGRAM = """
    import json

    import pulumi
    from bench.noop_provider import Noop

    # As NOOP_PROGRAM, with each storage credential a secret, as Recording registers them.
    secret = pulumi.ResourceOptions(additional_secret_outputs=["storage_config"])
    for index, body in enumerate(json.load(open("bodies.json"))):
        storage = {
            key: pulumi.Output.secret(value) if key in ("access_key", "secret") else value
            for key, value in body["storage_config"].items()
        }
        Noop(f"noop-{index:03d}", {**body, "storage_config": storage}, secret)
"""


def _kind(cmdline: list[str]) -> str:
    """Which part of a deployment a process is, from its command line."""
    text = " ".join(cmdline)
    if "pulumi.dynamic" in text:
        return "provider"
    if "pulumi-language-python-exec" in text or "__main__.py" in text:
        return "program"
    name = Path(cmdline[0]).name if cmdline else "?"
    if name == "pulumi":
        return "engine"
    return "other"  # the Go language host, the plugin's sh wrapper


class CpuSampler:
    """CPU seconds per kind of process under ``root_pid``, sampled from /proc every 50 ms.

    A process's last sample is at most 50 ms old when it exits, so totals are slightly low.
    """

    def __init__(self, root_pid: int) -> None:
        self.root = root_pid
        self.latest: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> set[int]:
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        found, frontier = {self.root}, [self.root]
        while frontier:
            pid = frontier.pop()
            children = [child for child, parent in parents.items() if parent == pid]
            found.update(children)
            frontier.extend(children)
        return found

    def _sample(self) -> None:
        for pid in self._tree():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
                seconds = cpu_seconds(pid)
            except (OSError, IndexError, ValueError):
                continue
            parts = [part for part in cmdline if part]
            known = self.latest.get(pid)
            # An exited (zombie) process has no command line left: keep the kind seen before.
            kind = known[0] if known and not parts else _kind(parts)
            self.latest[pid] = (kind, max(seconds, known[1] if known else 0.0))

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self._sample()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join(timeout=5)
        totals: dict[str, float] = {}
        for kind, seconds in self.latest.values():
            totals[kind] = totals.get(kind, 0.0) + seconds
        return totals


class Project:
    """A temporary Pulumi project with one stack on the shared file backend."""

    def __init__(self, root: Path, name: str, program: str, env: dict[str, str]) -> None:
        self.name = name
        self.dir = root / name
        self.dir.mkdir()
        self.env = env
        (self.dir / "Pulumi.yaml").write_text(
            f"name: {name}\nruntime:\n  name: python\n  options:\n    virtualenv: {VENV}\n"
        )
        (self.dir / "__main__.py").write_text(textwrap.dedent(program).lstrip())

    def pulumi(self, *args: str, timeout: float = 900) -> float:
        """Run one CLI command; its wall seconds. Raises with the output's tail on failure."""
        return self.measured(*args, timeout=timeout)[0]

    def measured(self, *args: str, timeout: float = 900) -> tuple[float, dict[str, float]]:
        """Run one CLI command: wall seconds and CPU seconds per kind of process."""
        started = time.perf_counter()
        proc = subprocess.Popen(
            ["pulumi", *args, "--non-interactive"],
            cwd=self.dir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        sampler = CpuSampler(proc.pid)
        try:
            output, _ = proc.communicate(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            cpu = sampler.stop()
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            tail = "\n".join(output.strip().splitlines()[-25:])
            raise RuntimeError(f"pulumi {' '.join(args)} in {self.name} failed:\n{tail}")
        return elapsed, cpu

    def output(self, *args: str) -> str:
        proc = subprocess.run(
            ["pulumi", *args, "--non-interactive"],
            cwd=self.dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        return proc.stdout


def cli_env(bin_dir: Path, root: Path) -> dict[str, str]:
    """The environment of every CLI command: a file backend and a Pulumi home under ``root``.

    Bytecode goes to a private cache under ``root`` even where PYTHONDONTWRITEBYTECODE is set
    (as in this repository's dev environment): otherwise every program and provider process
    would compile pulumi_rtk from source, which no installed package does.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PULUMI_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    (root / "state").mkdir()
    (root / "home").mkdir()
    env.update(
        PYTHONPYCACHEPREFIX=str(root / "pycache"),
        PATH=os.pathsep.join([str(bin_dir), str(VENV / "bin"), env.get("PATH", "")]),
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        PULUMI_BACKEND_URL=f"file://{root / 'state'}",
        PULUMI_CONFIG_PASSPHRASE="bench",
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_HOME=str(root / "home"),
        PULUMI_PYTHON_CMD=PYTHON,
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
    )
    return env


def state_entry_bytes(project: Project) -> int:
    """Median bytes of one dynamic resource in the exported stack (secrets encrypted, as stored)."""
    deployment = json.loads(project.output("stack", "export"))
    resources: list[dict[str, Any]] = deployment["deployment"]["resources"]
    sizes = [
        len(json.dumps(r, separators=(",", ":")))
        for r in resources
        if r.get("type", "").startswith("pulumi-python:dynamic")
    ]
    if len(sizes) != RESOURCES:
        raise RuntimeError(f"expected {RESOURCES} resources in {project.name}, found {len(sizes)}")
    return int(median(sizes))


def _running(emu: EmulatorProcess) -> int:
    return sum(1 for r in emu.admin.recordings() if r["status"] == "INVOKED")


CPU_KINDS = ("engine", "program", "provider", "emulator")


def _cpu_text(samples: list[dict[str, float]]) -> str:
    """Median CPU seconds per kind of process, as ``a/b/c/d`` in CPU_KINDS order."""
    return "/".join(f"{median([s.get(kind, 0.0) for s in samples]):.2f}" for kind in CPU_KINDS)


def _cpu_total(samples: list[dict[str, float]]) -> float:
    return median([sum(s.get(kind, 0.0) for kind in CPU_KINDS) for s in samples])


def cli_version(env: dict[str, str]) -> str:
    return subprocess.run(
        ["pulumi", "version"], env=env, capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()


def configure_rtk(project: Project, emu: EmulatorProcess) -> None:
    """Stack config pointing pulumi_rtk at the emulator, the token as a secret."""
    for key, value in (
        ("rtk:apiBaseUrl", emu.base_url),
        ("rtk:accountId", ACCOUNT),
        ("rtk:appId", APP),
    ):
        project.pulumi("config", "set", key, value)
    project.pulumi("config", "set", "--secret", "rtk:apiToken", TOKEN)


def paired_ratio(values: list[float], baselines: list[float]) -> float:
    """The median of the ratios of runs made back to back (drift cancels within a pair)."""
    return median([value / base for value, base in zip(values, baselines, strict=True)])


def run(reps: int) -> Outcome:
    outcome = Outcome("deploy")
    bin_dir, why = locate_cli()
    if bin_dir is None:
        outcome.skipped = f"skipped: no Pulumi CLI ({why})"
        return outcome
    with tempfile.TemporaryDirectory(prefix="rtk-bench-deploy-") as tmp, EmulatorProcess() as emu:
        root = Path(tmp)
        env = cli_env(bin_dir, root)
        version = cli_version(env)
        bodies = [start_body(meeting) for meeting in emu.fresh_meetings(RESOURCES)]
        projects = {
            "pulumi_rtk": Project(root, "benchrtk", RTK_PROGRAM, env),
            "noop": Project(root, "benchnoop", NOOP_PROGRAM, env),
            "noop_secrets": Project(root, "benchnoopsecrets", NOOP_SECRETS_PROGRAM, env),
        }
        for project in projects.values():
            (project.dir / "bodies.json").write_text(json.dumps(bodies))
            project.pulumi("stack", "init", "bench")
        configure_rtk(projects["pulumi_rtk"], emu)
        for project in projects.values():  # untimed: bytecode, plugins and page cache warm up
            project.pulumi("up", "--yes", "--skip-preview")
            project.pulumi("destroy", "--yes", "--skip-preview")

        steps = ("up", "destroy")
        wall: dict[tuple[str, str], list[float]] = {(n, s): [] for n in projects for s in steps}
        cpu: dict[tuple[str, str], list[dict[str, float]]] = {k: [] for k in wall}
        entry: dict[str, int] = {}
        for index in range(reps):
            order = list(projects)[index % 3 :] + list(projects)[: index % 3]
            for name in order:
                project = projects[name]
                for step in steps:
                    emulator_before = cpu_seconds(emu.pid)
                    seconds, used = project.measured(step, "--yes", "--skip-preview")
                    used["emulator"] = cpu_seconds(emu.pid) - emulator_before
                    wall[name, step].append(seconds)
                    cpu[name, step].append(used)
                    running = _running(emu) if name == "pulumi_rtk" else 0
                    if step == "up" and name == "pulumi_rtk" and running != RESOURCES:
                        raise RuntimeError(
                            f"{running} recordings running after up, not {RESOURCES}"
                        )
                    if step == "destroy" and running:
                        raise RuntimeError(f"{running} recordings still running after destroy")
                    if step == "up" and name not in entry:
                        entry[name] = state_entry_bytes(project)
    outcome.notes.append(
        f"6: Pulumi CLI {version}, file backend, default parallelism; one untimed up+destroy "
        f"per project, then {reps} runs per project, in rotating order; {RESOURCES} resources "
        "each; ratio: median of the ratios of runs made in the same round; CPU sampled from /proc"
    )
    for step in steps:
        goal = GOALS[step]
        ratio = paired_ratio(wall["pulumi_rtk", step], wall["noop", step])
        rtk_cpu, noop_cpu = cpu["pulumi_rtk", step], cpu["noop", step]
        outcome.rows += [
            Row(
                "6 deploy",
                f"pulumi {step}, {RESOURCES} Recordings (wall)",
                f"{median(wall['pulumi_rtk', step]):.2f} s",
                f"{median(wall['noop', step]):.2f} s (no-op dynamic provider)",
                ratio,
                f"≤ {goal:.2f}",
                ratio <= goal,
                raw={
                    "pulumi_rtk_s": wall["pulumi_rtk", step],
                    "noop_s": wall["noop", step],
                    "pulumi_rtk_cpu": rtk_cpu,
                    "noop_cpu": noop_cpu,
                },
            ),
            Row(
                "6 deploy",
                "  same, against no-ops with secret credentials",
                f"{median(wall['pulumi_rtk', step]):.2f} s",
                f"{median(wall['noop_secrets', step]):.2f} s (no-op, secret credentials)",
                paired_ratio(wall["pulumi_rtk", step], wall["noop_secrets", step]),
            ),
            Row(
                "6 deploy",
                f"  CPU s {'/'.join(CPU_KINDS)}",
                _cpu_text(rtk_cpu),
                _cpu_text(noop_cpu) + " (no-op)",
            ),
            Row(
                "6 deploy",
                "",
                "",
                _cpu_text(cpu["noop_secrets", step]) + " (no-op, secret credentials)",
            ),
            Row(
                "6 deploy",
                "  CPU s, all processes",
                f"{_cpu_total(rtk_cpu):.2f} s",
                f"{_cpu_total(noop_cpu):.2f} s (no-op)",
                _cpu_total(rtk_cpu) / _cpu_total(noop_cpu),
            ),
        ]
    outcome.rows += [
        Row(
            "6 deploy",
            "one resource in the exported stack",
            f"{entry['pulumi_rtk']} B",
            f"{entry['noop']} B (no-op)",
            entry["pulumi_rtk"] / entry["noop"],
        ),
        Row(
            "6 deploy",
            "",
            "",
            f"{entry['noop_secrets']} B (no-op, secret credentials)",
            entry["pulumi_rtk"] / entry["noop_secrets"],
        ),
    ]
    outcome.rows[0].raw["cli_version"] = version
    return outcome
