"""One route-table shape for the public API and the admin API.

A route is ``(method, template, handler)``; ``{name}`` in a template matches one path
segment and is passed to the handler. The route's name, ``"METHOD template"``, is what the
request counters show, so it never contains an id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Match", "RouteTable"]

H = TypeVar("H")
_PARAM = re.compile(r"\{[a-z_]+\}")


@dataclass(frozen=True)
class Match(Generic[H]):
    """A matched route: its name, its handler and the path parameters, in order."""

    name: str
    handler: H
    params: tuple[str, ...]


def _compile(template: str) -> re.Pattern[str]:
    return re.compile("([^/]+)".join(re.escape(part) for part in _PARAM.split(template)))


class RouteTable(Generic[H]):
    """Routes tried in order; the first whose method and template match wins."""

    def __init__(self, routes: Iterable[tuple[str, str, H]]) -> None:
        self._routes = [
            (method, _compile(template), f"{method} {template}", handler)
            for method, template, handler in routes
        ]

    def match(self, method: str, path: str) -> Match[H] | None:
        for route_method, pattern, name, handler in self._routes:
            if route_method == method:
                found = pattern.fullmatch(path)
                if found:
                    return Match(name, handler, found.groups())
        return None
