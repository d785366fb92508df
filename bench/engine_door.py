"""Benchmark 2: the same cycles through the SDK's gRPC dynamic provider server, 4 callers.

The engine talks to ``python -m pulumi.dynamic`` over gRPC (the server has 4 worker threads);
each caller here plays one resource's create, read and delete, passing the returned state on
unchanged as the engine does. The reference is the same 4 callers calling one configured
provider object in this process; blocks of the two alternate.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable

from bench.common import EmulatorProcess, Outcome, Row, median, provider_config
from bench.overhead import configured_provider, provider_props
from pulumi_rtk.provider import RecordingProvider
from tests.support.engine import Engine, pickled
from tests.support.values import REPO

CALLERS = 4
OPS_PER_CYCLE = 3

# A caller's work for one block: given its meeting, run ``count`` cycles.
Worker = Callable[[str, int], None]


def run_threads(worker: Worker, meetings: list[str], count: int) -> float:
    """Wall seconds for every caller to finish ``count`` cycles, started together."""
    barrier = threading.Barrier(len(meetings) + 1)
    errors: list[BaseException] = []

    def body(meeting: str) -> None:
        barrier.wait()
        try:
            worker(meeting, count)
        except BaseException as exc:  # reported after join
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(m,), daemon=True) for m in meetings]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=300)
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError("a caller did not finish within 300 s")
    return elapsed


def in_process_worker(provider: RecordingProvider, blob: str) -> Worker:
    def worker(meeting: str, count: int) -> None:
        props = provider_props(meeting, blob)
        for _ in range(count):
            created = provider.create(props)
            read = provider.read(created.id, created.outs or {})
            provider.delete(created.id, read.outs or {})

    return worker


def grpc_worker(engine: Engine, blob: str) -> Worker:
    def worker(meeting: str, count: int) -> None:
        name = f"rec-{meeting[:8]}"
        urn = engine.urn(name)
        request = engine.create_request(provider_props(meeting, blob), name)
        for _ in range(count):
            id_, state = engine.create_raw(request)
            state = engine.read_raw(id_, state, urn)
            engine.delete_raw(id_, state, urn)

    return worker


def run(emu: EmulatorProcess, cycles_per_caller: int, blocks: int) -> Outcome:
    outcome = Outcome("engine")
    blob = pickled(RecordingProvider())
    provider = configured_provider(emu.base_url)
    with Engine(REPO, keep_stderr=False) as engine:
        engine.configure(provider_config(emu.base_url))
        workers: dict[str, Worker] = {
            "grpc": grpc_worker(engine, blob),
            "in-process": in_process_worker(provider, blob),
        }
        for worker in workers.values():  # warm up: imports, connections, the provider cache
            run_threads(worker, emu.fresh_meetings(CALLERS), 3)
        rates: dict[str, list[float]] = {name: [] for name in workers}
        for index in range(blocks):
            names = list(workers) if index % 2 == 0 else list(workers)[::-1]
            for name in names:
                meetings = emu.fresh_meetings(CALLERS)
                gc.collect()
                seconds = run_threads(workers[name], meetings, cycles_per_caller)
                rates[name].append(CALLERS * cycles_per_caller * OPS_PER_CYCLE / seconds)
    grpc_rate, local_rate = median(rates["grpc"]), median(rates["in-process"])
    ratio = grpc_rate / local_rate
    outcome.rows.append(
        Row(
            "2 engine door",
            f"gRPC server, {CALLERS} callers (ops/s)",
            f"{grpc_rate:.0f} ops/s",
            f"{local_rate:.0f} ops/s (in-process, {CALLERS} callers)",
            ratio,
            raw={"grpc_ops_per_s": rates["grpc"], "in_process_ops_per_s": rates["in-process"]},
        )
    )
    outcome.notes.append(
        f"2: {blocks} alternating blocks per side of {CALLERS} callers x {cycles_per_caller} "
        f"cycles (an op is one create, read or delete); median of block rates"
    )
    return outcome
