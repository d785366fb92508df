"""Program-side cost of declaring resources: ``python -m bench.program``.

Registers 100 ``pulumi_rtk.Recording`` and 100 ``bench.noop_provider.Noop`` resources with the
same inputs under the SDK's mocks (no engine, no CLI) and reports CPU per 100 resources: the
Python-program share of benchmark 6. A third variant clears ``Recording``'s class annotations,
which the SDK re-evaluates with ``typing.get_type_hints`` for every resource it registers
(``pulumi._types.resource_types`` via ``rpc.resolve_outputs``, not cached). Each run is a fresh
interpreter (mocks are process-global); variants alternate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from typing import Any

from bench.common import PYTHON, median
from tests.support.values import REPO

VARIANTS = ("recording", "recording-no-annotations", "noop")


def _register(variant: str, count: int) -> float:
    """In this process: CPU seconds to declare ``count`` resources and resolve their ids."""
    import pulumi
    from pulumi.runtime import Mocks, set_mocks
    from pulumi.runtime.sync_await import _sync_await

    class Echo(Mocks):
        def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
            return f"{args.name}-id", dict(args.inputs)

        def call(self, _args: Any) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
            return {}, None

    set_mocks(Echo(), project="bench", stack="bench", preview=False)
    from bench.common import start_body
    from bench.noop_provider import Noop
    from pulumi_rtk.resource import Recording

    if variant == "recording-no-annotations":
        Recording.__annotations__ = {}
    meetings = [str(uuid.uuid4()) for _ in range(count)]
    started = time.process_time()
    resources: list[pulumi.CustomResource]
    if variant.startswith("recording"):
        resources = [Recording(f"rec-{i}", **start_body(m)) for i, m in enumerate(meetings)]
    else:
        secret = pulumi.ResourceOptions(additional_secret_outputs=["storage_config"])
        resources = [Noop(f"noop-{i}", start_body(m), secret) for i, m in enumerate(meetings)]

    async def registered() -> None:
        await asyncio.gather(*(r.id.future() for r in resources))

    _sync_await(registered())
    return time.process_time() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.program", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs per variant (default 5)")
    parser.add_argument("--count", type=int, default=100, help="resources per run")
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_register(args.child, args.count)))
        return 0
    cpu: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for index in range(args.runs):
        order = VARIANTS if index % 2 == 0 else VARIANTS[::-1]
        for variant in order:
            proc = subprocess.run(
                [PYTHON, "-m", "bench.program", "--child", variant, "--count", str(args.count)],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
                timeout=300,
            )
            cpu[variant].append(float(proc.stdout.strip().splitlines()[-1]))
    noop = median(cpu["noop"])
    print(f"CPU to declare and register {args.count} resources under mocks, median of {args.runs}")
    for variant in VARIANTS:
        value = median(cpu[variant])
        print(f"{value * 1000:8.0f} ms  {value / noop:5.2f}x  {variant}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
