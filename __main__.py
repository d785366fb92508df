"""Run ``examples/recording-setup`` as the repository root's Pulumi program (``make up``).

The root ``Pulumi.yaml`` cannot point at the example with ``main: examples/recording-setup/``:
the program and the dynamic provider would then resolve the relative ``virtualenv`` from
different directories. So the root project keeps ``virtualenv: .venv`` and this file runs the
example.
"""

from __future__ import annotations

import runpy
from pathlib import Path

runpy.run_path(
    str(Path(__file__).resolve().parent / "examples" / "recording-setup" / "__main__.py"),
    run_name="__main__",
)
