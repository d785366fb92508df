"""Processes tests and benchmarks start: the emulator as users run it, ``python -m``.

A subprocess emulator does not share the GIL with the code under measurement or test, and it is
the same program a user starts with ``rtk-emulator``.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from pulumi_rtk.emulator import AdminClient

__all__ = ["EmulatorProcess"]

_Self = TypeVar("_Self", bound="EmulatorProcess")
_LISTENING = re.compile(r"rtk-emulator listening on (http://127\.0\.0\.1:\d+)/client/v4")


class EmulatorProcess:
    """``python -m pulumi_rtk.emulator`` on a free port of 127.0.0.1.

    Args:
        token: the bearer token it accepts.
        args: further command-line options (``--clock-speed 0``, ``--latency-ms 50``, ...).
        data_dir: where it keeps ``state.json``; None keeps state in memory.
    """

    def __init__(
        self,
        token: str,
        args: Sequence[str] = (),
        *,
        data_dir: Path | None = None,
        python: str = sys.executable,
    ) -> None:
        argv = [python, "-m", "pulumi_rtk.emulator", "--host", "127.0.0.1", "--port", "0"]
        argv += ["--token", token, *args]
        if data_dir is not None:
            argv += ["--data-dir", str(data_dir)]
        self.data_dir = data_dir
        self.process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        found = _LISTENING.fullmatch(first.strip())
        if found is None:
            self.close()
            raise RuntimeError(f"the emulator did not start: {first!r}")
        self.origin = found.group(1)
        self.base_url = f"{self.origin}/client/v4"
        self.admin = AdminClient(self.origin)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def port(self) -> int:
        return int(self.origin.rsplit(":", 1)[1])

    def close(self) -> None:
        """SIGTERM (the emulator saves its state and exits), SIGKILL after 10 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
