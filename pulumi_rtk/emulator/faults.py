"""Fault injection: rules that make the next N matching API requests misbehave.

Faults exist to test a client's retry and ambiguity handling: throttling, 5xx, hangs,
connection resets before or after the server acted, and unparseable bodies.
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FAULT_KINDS", "MAX_HANG_SECONDS", "Fault", "FaultSet"]

FAULT_KINDS = ("status", "gateway_error", "hang", "reset_before", "reset_after", "malformed")
MAX_HANG_SECONDS = 120.0
_FIELDS = (
    "method",
    "path",
    "kind",
    "count",
    "status",
    "retry_after",
    "hang_seconds",
    "act",
    "error_code",
)
# Split a CLI spec on commas that start a new ``key=``, so a path regex may hold commas.
_SPEC_SPLIT = re.compile(r",(?=\s*(?:" + "|".join(_FIELDS) + r")=)")


@dataclass
class Fault:
    """One fault rule. ``path`` is a regex searched in the request path (no query).

    ``act`` says whether the server performs the request despite the fault; it only
    matters for ``hang`` (default False) and ``malformed`` (default True).
    """

    kind: str
    method: str = "*"
    path: str = ""
    count: int = 1
    status: int | None = None
    retry_after: str | None = None
    hang_seconds: float | None = None
    act: bool | None = None
    error_code: int | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"kind: must be one of {', '.join(FAULT_KINDS)}")
        self.method = self.method.upper()
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ValueError("count: must be an integer >= 1")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError("status: must be an HTTP status between 100 and 599")
        if self.hang_seconds is not None and self.hang_seconds < 0:
            raise ValueError("hang_seconds: must be >= 0")
        try:
            self.pattern = re.compile(self.path)
        except re.error as exc:
            raise ValueError(f"path: invalid regex: {exc}") from None

    @classmethod
    def from_json(cls, data: object) -> Fault:
        """Build from an admin-API body; raises ``ValueError`` naming the bad field."""
        if not isinstance(data, dict):
            raise ValueError("body: must be a JSON object")
        unknown = set(data) - set(_FIELDS)
        if unknown:
            raise ValueError(f"{sorted(unknown)[0]}: unknown field")
        types: dict[str, tuple[type, ...]] = {
            "method": (str,),
            "path": (str,),
            "kind": (str,),
            "count": (int,),
            "status": (int,),
            "retry_after": (str,),
            "hang_seconds": (int, float),
            "act": (bool,),
            "error_code": (int,),
        }
        for key, value in data.items():
            bad_bool = isinstance(value, bool) and bool not in types[key]
            if value is not None and (bad_bool or not isinstance(value, types[key])):
                raise ValueError(f"{key}: wrong type")
        if "kind" not in data:
            raise ValueError("kind: is required")
        kwargs = {k: v for k, v in data.items() if v is not None}
        if "hang_seconds" in kwargs:
            kwargs["hang_seconds"] = float(kwargs["hang_seconds"])
        return cls(**kwargs)

    @classmethod
    def from_spec(cls, spec: str) -> Fault:
        """Parse ``method=POST,path=/recordings$,kind=status,count=2,status=503,...``."""
        data: dict[str, Any] = {}
        for part in _SPEC_SPLIT.split(spec.strip()):
            key, sep, value = part.strip().partition("=")
            if not sep or key not in _FIELDS:
                raise ValueError(f"bad fault item {part!r}; expected key=value, key in {_FIELDS}")
            data[key] = value
        try:
            for key in ("count", "status", "error_code"):
                if key in data:
                    data[key] = int(data[key])
            if "hang_seconds" in data:
                data["hang_seconds"] = float(data["hang_seconds"])
        except ValueError:
            raise ValueError(f"bad number in fault spec {spec!r}") from None
        if "act" in data:
            if data["act"] not in ("true", "false"):
                raise ValueError("act: must be true or false")
            data["act"] = data["act"] == "true"
        return cls.from_json(data)

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method) and self.pattern.search(path) is not None

    @property
    def acts(self) -> bool:
        """Whether the request is performed for real before the fault applies."""
        if self.kind == "reset_after":
            return True
        if self.kind == "malformed":
            return self.act is not False
        return self.kind == "hang" and self.act is True

    @property
    def hang_for(self) -> float:
        seconds = 30.0 if self.hang_seconds is None else self.hang_seconds
        return min(seconds, MAX_HANG_SECONDS)

    def to_json(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in ("id", *_FIELDS)}


class FaultSet:
    """Thread-safe ordered fault rules; the first match consumes one count."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> str:
        with self._lock:
            self._faults.append(fault)
        return fault.id

    def to_json(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_json() for f in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """Return the first matching fault, consuming one count (exhausted ones vanish)."""
        with self._lock:
            if not self._faults:
                return None
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
            return None
