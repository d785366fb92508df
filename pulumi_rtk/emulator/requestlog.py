"""In-memory log of the API requests the emulator received, and per-route counters.

The log keeps full request bodies (secrets included) so tests can check what reached the
wire. It lives in memory only, is never written to disk, and never holds headers.
"""

from __future__ import annotations

import copy
import re
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["RequestLog", "RequestRecord"]


@dataclass
class RequestRecord:
    """One API request as received, with the HTTP status answered.

    ``status`` is 0 when no HTTP response was sent (``hang`` and ``reset_*`` faults);
    ``fault`` names the fault kind applied to this request, if any.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int = 0
    fault: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RequestRecord:
        return cls(**data)


class RequestLog:
    """Thread-safe, ordered request log plus ``METHOD route`` counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._by_route: Counter[str] = Counter()

    def add(self, record: RequestRecord, route: str) -> None:
        """Append on arrival (so order is arrival order); :meth:`finish` sets the status."""
        with self._lock:
            self._records.append(record)
            self._by_route[route] += 1

    def finish(self, record: RequestRecord, status: int) -> None:
        with self._lock:
            record.status = status

    def records(self, method: str | None = None, path: str | None = None) -> list[RequestRecord]:
        """Deep copies of the matching records; ``path`` is a regex searched in the path."""
        pattern = re.compile(path) if path is not None else None
        with self._lock:
            found = [
                r
                for r in self._records
                if (method is None or r.method == method.upper())
                and (pattern is None or pattern.search(r.path))
            ]
            return copy.deepcopy(found)

    def clear(self) -> None:
        """Forget the records; the counters keep running until :meth:`reset`."""
        with self._lock:
            self._records.clear()

    def reset(self) -> None:
        with self._lock:
            self._records.clear()
            self._by_route.clear()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"requests": sum(self._by_route.values()), "by_route": dict(self._by_route)}
