"""Benchmark 6: ``pulumi up`` and ``pulumi destroy`` of 100 recordings with the real CLI.

Two temporary projects on a file backend: 100 ``pulumi_rtk.Recording`` resources on 100
meetings of a subprocess emulator, and 100 resources of a dynamic provider that does nothing
(``bench.noop_provider``) with the same inputs. Runs alternate ABBA. The CLI comes from
``scripts/pulumi-cli.sh`` (its last stdout line is the directory to put on PATH).
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

from bench.common import PYTHON, TOKEN, EmulatorProcess, Outcome, Row, cpu_seconds, median
from tests.support.values import ACCOUNT, APP, REPO

GOAL = 1.25
RESOURCES = 100
VENV = Path(PYTHON).parent.parent

RTK_PROGRAM = """
    import json

    import pulumi_rtk
    from bench.common import start_body

    for index, meeting in enumerate(json.load(open("meetings.json"))):
        body = start_body(meeting)
        pulumi_rtk.Recording(f"rec-{index:03d}", **body)
"""
NOOP_PROGRAM = """
    import json

    import pulumi
    from bench.common import start_body
    from bench.noop_provider import Noop

    # The same inputs, and storage_config kept secret in state as Recording does.
    secret = pulumi.ResourceOptions(additional_secret_outputs=["storage_config"])
    for index, meeting in enumerate(json.load(open("meetings.json"))):
        Noop(f"noop-{index:03d}", start_body(meeting), secret)
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


def find_cli() -> tuple[Path | None, str]:
    """The CLI's bin directory, or None and why not."""
    script = REPO / "scripts" / "pulumi-cli.sh"
    if not script.is_file():
        return None, "scripts/pulumi-cli.sh is missing"
    try:
        proc = subprocess.run(
            ["bash", str(script)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, "scripts/pulumi-cli.sh timed out"
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = proc.stderr.strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        return None, f"scripts/pulumi-cli.sh failed: {tail[0]}"
    bin_dir = Path(lines[-1])
    if not (bin_dir / "pulumi").is_file():
        return None, f"no pulumi in {bin_dir}"
    return bin_dir, ""


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


def _env(bin_dir: Path, root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    (root / "state").mkdir()
    (root / "home").mkdir()
    env.update(
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


def run(reps: int) -> Outcome:
    outcome = Outcome("deploy")
    bin_dir, why = find_cli()
    if bin_dir is None:
        outcome.skipped = f"skipped: no Pulumi CLI ({why})"
        return outcome
    with tempfile.TemporaryDirectory(prefix="rtk-bench-deploy-") as tmp, EmulatorProcess() as emu:
        root = Path(tmp)
        env = _env(bin_dir, root)
        version = subprocess.run(
            ["pulumi", "version"], env=env, capture_output=True, text=True, check=True, timeout=60
        ).stdout.strip()
        meetings = emu.fresh_meetings(RESOURCES)
        projects = {
            "pulumi_rtk": Project(root, "benchrtk", RTK_PROGRAM, env),
            "noop": Project(root, "benchnoop", NOOP_PROGRAM, env),
        }
        for project in projects.values():
            (project.dir / "meetings.json").write_text(json.dumps(meetings))
            project.pulumi("stack", "init", "bench")
        rtk = projects["pulumi_rtk"]
        for key, value in (
            ("rtk:apiBaseUrl", emu.base_url),
            ("rtk:accountId", ACCOUNT),
            ("rtk:appId", APP),
        ):
            rtk.pulumi("config", "set", key, value)
        rtk.pulumi("config", "set", "--secret", "rtk:apiToken", TOKEN)

        steps = ("up", "destroy")
        wall: dict[tuple[str, str], list[float]] = {(n, s): [] for n in projects for s in steps}
        cpu: dict[tuple[str, str], list[dict[str, float]]] = {k: [] for k in wall}
        entry: dict[str, int] = {}
        for index in range(reps):
            order = list(projects) if index % 2 == 0 else list(projects)[::-1]
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
        f"6: Pulumi CLI {version}, file backend, default parallelism; {reps} up+destroy runs "
        f"per project, alternating; {RESOURCES} resources each; CPU sampled from /proc"
    )
    for step in steps:
        rtk_s, noop_s = median(wall["pulumi_rtk", step]), median(wall["noop", step])
        outcome.rows += [
            Row(
                "6 deploy",
                f"pulumi {step}, {RESOURCES} Recordings (wall)",
                f"{rtk_s:.2f} s",
                f"{noop_s:.2f} s (no-op dynamic provider)",
                rtk_s / noop_s,
                f"≤ {GOAL:.2f}",
                rtk_s / noop_s <= GOAL,
                raw={
                    "pulumi_rtk_s": wall["pulumi_rtk", step],
                    "noop_s": wall["noop", step],
                    "pulumi_rtk_cpu": cpu["pulumi_rtk", step],
                    "noop_cpu": cpu["noop", step],
                },
            ),
            Row(
                "6 deploy",
                f"  CPU s {'/'.join(CPU_KINDS)}",
                _cpu_text(cpu["pulumi_rtk", step]),
                _cpu_text(cpu["noop", step]) + " (no-op)",
            ),
        ]
    outcome.rows.append(
        Row(
            "6 deploy",
            "one resource in the exported stack",
            f"{entry['pulumi_rtk']} B",
            f"{entry['noop']} B (no-op)",
            entry["pulumi_rtk"] / entry["noop"],
        )
    )
    outcome.rows[0].raw["cli_version"] = version
    return outcome
