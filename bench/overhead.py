"""Benchmark 1: create + read + delete through ``RecordingProvider`` vs bare ``requests``.

Both sides make the same three HTTP calls (same URLs, same JSON bodies, ``.json()`` parsed) to
a subprocess emulator; the check before measuring proves it from the emulator's request log.
Blocks of cycles alternate ABBA so drift (other load, the emulator's growing store) cancels,
and the emulator is reset before every block so each block starts from the same state.
"""

from __future__ import annotations

import gc
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from pulumi.dynamic import Config, ConfigureRequest

from bench.common import (
    TOKEN,
    EmulatorProcess,
    Outcome,
    Row,
    median,
    ms,
    percentile,
    provider_config,
    resource_inputs,
    start_body,
    us,
)
from pulumi_rtk.client import USER_AGENT
from pulumi_rtk.provider import RecordingProvider
from tests.support.engine import PROJECT, PROVIDER_KEY, pickled
from tests.support.values import ACCOUNT, APP

GOAL = 1.10
Cycle = Callable[[str], float]


def configured_provider(base_url: str) -> RecordingProvider:
    """A provider configured the way the engine configures one."""
    provider = RecordingProvider()
    provider.configure(ConfigureRequest(Config(provider_config(base_url), PROJECT)))
    return provider


def provider_props(meeting_id: str, provider_blob: str) -> dict[str, Any]:
    return {**resource_inputs(meeting_id), PROVIDER_KEY: provider_blob}


def provider_cycle(provider: RecordingProvider, blob: str) -> Cycle:
    cache: dict[str, dict[str, Any]] = {}

    def cycle(meeting_id: str) -> float:
        props = cache.get(meeting_id) or cache.setdefault(
            meeting_id, provider_props(meeting_id, blob)
        )
        started = time.perf_counter()
        created = provider.create(props)
        read = provider.read(created.id, created.outs or {})
        provider.delete(created.id, read.outs or {})
        return time.perf_counter() - started

    return cycle


@dataclass
class RawClient:
    """The baseline: one keep-alive ``requests.Session``, nothing else."""

    base_url: str
    session: requests.Session
    timeout: tuple[float, float] = (5.0, 10.0)
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def open(cls, base_url: str, *, trust_env: bool = True) -> RawClient:
        """``trust_env=False`` is the provider's own session setting: no per-request reads of
        the environment and ~/.netrc, which is the fairest (fastest) bare baseline."""
        session = requests.Session()
        session.trust_env = trust_env
        session.headers.update(
            {
                "Authorization": f"Bearer {TOKEN}",
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            }
        )
        return cls(base_url, session)

    @property
    def recordings_url(self) -> str:
        return f"{self.base_url}/accounts/{ACCOUNT}/realtime/kit/{APP}/recordings"

    def cycle(self, meeting_id: str) -> float:
        body = self.bodies.get(meeting_id) or self.bodies.setdefault(
            meeting_id, start_body(meeting_id)
        )
        url = self.recordings_url
        timeout = self.timeout
        started = time.perf_counter()
        response = self.session.post(url, json=body, timeout=timeout)
        response.raise_for_status()
        recording_id = response.json()["data"]["id"]
        response = self.session.get(f"{url}/{recording_id}", timeout=timeout)
        response.raise_for_status()
        response.json()
        response = self.session.put(
            f"{url}/{recording_id}", json={"action": "stop"}, timeout=timeout
        )
        response.raise_for_status()
        response.json()
        return time.perf_counter() - started


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def check_same_calls(emu: EmulatorProcess, provider: Cycle, raw: Cycle) -> None:
    """Fail unless both sides send the same methods, paths and bodies, in the same order."""
    seen: list[list[tuple[str, str, str]]] = []
    meeting = emu.fresh_meetings(1)[0]
    for cycle in (provider, raw):
        emu.admin.clear_requests()
        cycle(meeting)
        seen.append(
            [
                (r.method, _UUID.sub("<id>", r.path), json.dumps(r.body))
                for r in emu.admin.requests()
                if r.path.startswith("/client/v4/")
            ]
        )
    if seen[0] != seen[1]:
        raise RuntimeError(f"provider and baseline send different requests:\n{seen[0]}\n{seen[1]}")
    if len(seen[0]) != 3:
        raise RuntimeError(f"expected 3 requests per cycle, saw {seen[0]}")


def interleaved(
    emu: EmulatorProcess,
    variants: dict[str, Cycle],
    cycles: int,
    block: int,
    warmup: int,
) -> tuple[dict[str, list[float]], list[dict[str, float]]]:
    """Per-cycle seconds of each variant, measured in alternating (ABBA) blocks."""
    names = list(variants)
    for name in names:
        meeting = emu.fresh_meetings(1)[0]
        for _ in range(warmup):
            variants[name](meeting)
    samples: dict[str, list[float]] = {name: [] for name in names}
    per_block: list[dict[str, float]] = []
    blocks = max(1, cycles // block)
    for index in range(blocks):
        order = names if index % 2 == 0 else names[::-1]
        medians: dict[str, float] = {}
        for name in order:
            meeting = emu.fresh_meetings(1)[0]
            gc.collect()
            times = [variants[name](meeting) for _ in range(block)]
            samples[name].extend(times)
            medians[name] = median(times)
        per_block.append(medians)
    return samples, per_block


def run(emu: EmulatorProcess, cycles: int, block: int, warmup: int) -> Outcome:
    outcome = Outcome("overhead")
    provider = configured_provider(emu.base_url)
    blob = pickled(RecordingProvider())
    raw = RawClient.open(emu.base_url)
    tuned = RawClient.open(emu.base_url, trust_env=False)
    try:
        variants: dict[str, Cycle] = {
            "provider": provider_cycle(provider, blob),
            "requests": raw.cycle,
            "tuned": tuned.cycle,
        }
        check_same_calls(emu, variants["provider"], variants["tuned"])
        samples, per_block = interleaved(emu, variants, cycles, block, warmup)
    finally:
        raw.session.close()
        tuned.session.close()
    prov, base, default = samples["provider"], samples["tuned"], samples["requests"]
    ratio = median(prov) / median(base)
    block_ratios = [b["provider"] / b["tuned"] for b in per_block]
    n = len(prov)
    outcome.rows += [
        Row(
            "1 overhead",
            f"create+read+delete, median of {n}",
            ms(median(prov)),
            ms(median(base)) + " (requests, trust_env off)",
            ratio,
            f"≤ {GOAL:.2f}",
            ratio <= GOAL,
            raw={"provider_s": prov, "requests_s": base, "block_ratios": block_ratios},
        ),
        Row(
            "1 overhead",
            "create+read+delete, p90",
            ms(percentile(prov, 90)),
            ms(percentile(base, 90)) + " (requests, trust_env off)",
            percentile(prov, 90) / percentile(base, 90),
        ),
        Row(
            "1 overhead",
            "same, against a default requests.Session",
            ms(median(prov)),
            ms(median(default)) + " (requests, defaults)",
            median(prov) / median(default),
        ),
        Row(
            "1 overhead",
            "provider cost per cycle (median diff)",
            us(median(prov) - median(base)),
            f"block ratios {min(block_ratios):.3f}-{max(block_ratios):.3f}",
        ),
    ]
    outcome.notes.append(
        f"1: {len(per_block)} ABBA blocks of {block} cycles per side after {warmup} warm-up "
        f"cycles each; median of per-block ratios {median(block_ratios):.3f}"
    )
    return outcome
