"""Benchmark 3: what ``import pulumi_rtk`` costs a Pulumi program, against ``import pulumi``.

Each import runs in a fresh interpreter; the two alternate. Bytecode is cached under a private
``PYTHONPYCACHEPREFIX`` warmed before measuring, so both sides load compiled modules (this
environment sets ``PYTHONDONTWRITEBYTECODE``, which would otherwise leave ``pulumi_rtk``
compiling its sources on every import while ``pulumi`` has its ``.pyc`` files installed).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass

from bench.common import PYTHON, Outcome, Row, median, ms
from tests.support.values import REPO

GOAL = 1.5
# Must stay out of `import pulumi_rtk`: they load on first use in the provider process only.
FORBIDDEN = ("requests", "pydantic", "urllib3", "pulumi_rtk.emulator", "pulumi_rtk.client")
_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


@dataclass(frozen=True)
class Imported:
    module: str
    self_us: int
    cumulative_us: int
    depth: int


def _env(cache: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def _time(code: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds of ``python -c code`` (start, import, exit) and of the import alone."""
    timed = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    started = time.perf_counter()
    proc = subprocess.run(
        [PYTHON, "-c", timed],
        cwd=REPO,
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - started, float(proc.stdout.strip())


def import_times(code: str, env: dict[str, str]) -> list[Imported]:
    """``-X importtime`` lines of one run, in the order Python printed them."""
    proc = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", code],
        cwd=REPO,
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    found = []
    for line in proc.stderr.splitlines():
        match = _LINE.match(line)
        if match:
            self_us, cumulative, indent, module = match.groups()
            found.append(Imported(module, int(self_us), int(cumulative), len(indent) // 2))
    return found


def run(runs: int) -> Outcome:
    outcome = Outcome("import")
    codes = {
        "pulumi_rtk": "import pulumi_rtk",
        "recording": "from pulumi_rtk import Recording",
        "pulumi": "import pulumi",
        "none": "pass",
    }
    with tempfile.TemporaryDirectory(prefix="rtk-bench-pyc-") as cache:
        env = _env(cache)
        for code in codes.values():  # compile into the cache, warm the page cache
            _time(code, env)
            _time(code, env)
        times: dict[str, list[float]] = {name: [] for name in codes}
        inside: dict[str, list[float]] = {name: [] for name in codes}
        for index in range(runs):
            names = list(codes) if index % 2 == 0 else list(codes)[::-1]
            for name in names:
                wall, alone = _time(codes[name], env)
                times[name].append(wall)
                inside[name].append(alone)
        loaded = {name: import_times(codes[name], env) for name in ("pulumi_rtk", "recording")}
        pulumi_modules = {m.module for m in import_times(codes["pulumi"], env)}

    base, bare = median(times["pulumi"]), median(times["none"])
    base_inside = median(inside["pulumi"])
    for name in ("pulumi_rtk", "recording"):
        value = median(times[name])
        outcome.rows += [
            Row(
                "3 import",
                f"python -c '{codes[name]}' (process wall)",
                ms(value),
                ms(base) + " (import pulumi)",
                value / base,
                f"≤ {GOAL:.1f}",
                value / base <= GOAL,
                raw={f"{name}_s": times[name], "pulumi_s": times["pulumi"]},
            ),
            Row(
                "3 import",
                "  the import statement alone",
                ms(median(inside[name])),
                ms(base_inside) + " (import pulumi)",
                median(inside[name]) / base_inside,
                raw={f"{name}_s": inside[name], "pulumi_s": inside["pulumi"]},
            ),
        ]
    modules = loaded["recording"]
    seen = {m.module for m in loaded["pulumi_rtk"]} | {m.module for m in modules}
    forbidden = sorted(
        name for name in seen if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    )
    extra = [m for m in modules if m.module not in pulumi_modules]
    heaviest = sorted(extra, key=lambda m: m.self_us, reverse=True)[:8]
    own = sum(m.self_us for m in extra)
    outcome.rows += [
        Row(
            "3 import",
            "Recording import beyond `import pulumi` (importtime)",
            ms(own / 1e6),
            f"{len(extra)} modules; `python -c pass` {ms(bare)}",
            raw={"python_pass_s": times["none"], "extra_modules": [m.module for m in extra]},
        ),
        Row(
            "3 import",
            "requests/pydantic/urllib3/emulator/client loaded",
            ", ".join(forbidden) if forbidden else "none",
            "",
            None,
            "none",
            not forbidden,
            raw={"forbidden_found": forbidden},
        ),
    ]
    outcome.notes.append(
        f"3: {runs} interleaved runs of each statement, medians; bytecode cached in a private "
        "PYTHONPYCACHEPREFIX warmed first"
    )
    outcome.notes.append(
        "3: modules `from pulumi_rtk import Recording` adds to `import pulumi`, by own import "
        "time: " + ", ".join(f"{m.module} {m.self_us / 1000:.1f} ms" for m in heaviest)
    )
    return outcome
