"""Shared pieces: results, statistics, the machine, a subprocess emulator, realistic inputs."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.support import processes, values

PYTHON = sys.executable
TOKEN = "bench-token-7c1d"  # the emulator's local token, not a secret
AWS_ACCESS_KEY = "AKIABENCHACCESSKEY01"
AWS_SECRET = "bench-aws-secret-0123456789abcdef"


@dataclass
class Row:
    """One line of the results table.

    ``ratio`` is value / baseline where both are measured in the same run; ``met`` is None when
    the row has no goal.
    """

    bench: str
    measure: str
    value: str
    baseline: str = ""
    ratio: float | None = None
    goal: str = ""
    met: bool | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Outcome:
    """What one benchmark produced: table rows, free-form notes, or the error that ended it."""

    name: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    skipped: str | None = None
    seconds: float = 0.0


# --- statistics ------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation): p90 of 500 samples is the 450th smallest."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100.0 * len(ordered) + 0.4999)))
    return float(ordered[rank - 1])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs"


# --- the machine -----------------------------------------------------------------------------


def _meminfo_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        return None
    return None


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def machine(cli_version: str | None = None) -> dict[str, Any]:
    from importlib.metadata import version

    mem = _meminfo_gib()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "nproc": len(os.sched_getaffinity(0)),
        "memory_gib": round(mem, 1) if mem is not None else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "pulumi_sdk": version("pulumi"),
        "pulumi_cli": cli_version,
        "pulumi_rtk": version("pulumi-rtk"),
        "requests": version("requests"),
        "pydantic": version("pydantic"),
        "loadavg": _load(),
    }


def rss_kib(pid: int) -> dict[str, int]:
    """VmHWM (peak) and VmRSS (current) of a process, in KiB."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"VmHWM", "VmRSS"}:
            found[key] = int(rest.split()[0])
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc/<pid>/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


# --- a subprocess emulator -------------------------------------------------------------------


class EmulatorProcess(processes.EmulatorProcess):
    """The subprocess emulator with a frozen clock: statuses change only when told to."""

    def __init__(self, *args: str) -> None:
        super().__init__(TOKEN, ("--clock-speed", "0", *args))


# --- what the benchmarks send ----------------------------------------------------------------


def provider_config(base_url: str) -> dict[str, str]:
    """Stack config as the engine hands it to a dynamic provider, with the bench token."""
    return values.provider_config(
        base_url, **{"rtk:apiToken": TOKEN, "rtk:requestTimeoutSeconds": "10"}
    )


def start_body(meeting_id: str) -> dict[str, Any]:
    """A realistic start request: composite video to an S3 bucket, AAC audio, a watermark.

    Keys are in the order the provider's model serialises them, so both sides of benchmark 1
    send byte-identical bodies.
    """
    return {
        "meeting_id": meeting_id,
        "audio_config": {"codec": "AAC", "channel": "stereo", "export_file": True},
        "video_config": {
            "codec": "H264",
            "width": 1280,
            "height": 720,
            "export_file": True,
            "watermark": {
                "url": "https://example.com/logo.png",
                "position": "left top",
                "size": {"width": 64, "height": 64},
            },
        },
        "file_name_prefix": "standup",
        "max_seconds": 3600,
        "storage_config": {
            "type": "aws",
            "access_key": AWS_ACCESS_KEY,
            "secret": AWS_SECRET,
            "bucket": "recordings",
            "region": "us-east-1",
            "path": "standups/",
        },
    }


def resource_inputs(meeting_id: str) -> dict[str, Any]:
    """The same start options as a ``Recording`` resource's inputs reach the provider.

    Pulumi carries every number as a double, so whole numbers arrive as floats.
    """
    inputs: dict[str, Any] = _floats(start_body(meeting_id))
    return inputs


def _floats(value: Any) -> Any:
    """Whole numbers as the doubles Pulumi's wire format carries."""
    if isinstance(value, dict):
        return {key: _floats(item) for key, item in value.items()}
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    return value
