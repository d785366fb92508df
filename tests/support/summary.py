"""Figures the test matrices report at the end of a run (see ``pytest_terminal_summary``).

Tests add to named counters as they run; the summary reads them after every test finished,
so no test depends on running last.
"""

from __future__ import annotations

import threading
from collections import Counter

__all__ = ["add", "lines", "note"]

_lock = threading.Lock()
_counts: Counter[str] = Counter()


def add(counter: str, amount: int = 1) -> None:
    with _lock:
        _counts[counter] += amount


def note(counter: str) -> None:
    """Make a counter show in the summary even while it is zero (a leak count, say)."""
    add(counter, 0)


def lines() -> list[str]:
    with _lock:
        return [f"{name}: {count}" for name, count in sorted(_counts.items())]
