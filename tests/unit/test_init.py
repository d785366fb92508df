"""The package's public names, and what importing it costs."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys

import pytest

import pulumi_rtk


@pytest.mark.parametrize("name", pulumi_rtk.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(pulumi_rtk, name) is not None


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Recordings'"):
        _ = pulumi_rtk.Recordings


@pytest.mark.parametrize(
    ("statement", "absent"),
    [
        ("import pulumi_rtk", ("pulumi", "requests", "pydantic")),
        ("from pulumi_rtk import Recording", ("requests", "pydantic", "pulumi_rtk.emulator")),
        ("import pulumi_rtk.emulator", ("pulumi", "requests", "pydantic", "grpc")),
    ],
)
def test_imports_stay_light(statement: str, absent: tuple[str, ...]) -> None:
    """Programs pay for Pulumi only; the HTTP stack and pydantic load on first use."""
    probe = f"{statement}; import sys; print(sorted(m for m in {absent!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


def test_type_checkers_see_the_names_the_package_serves() -> None:
    """Three lists, on purpose: ``__all__`` must be a literal and the imports static for type
    checkers to see the names (mypy --strict re-exports nothing else), while ``_HOMES`` loads
    them lazily at run time. They must agree, name by name and module by module."""
    tree = ast.parse(inspect.getsource(pulumi_rtk))
    [block] = [n for n in tree.body if isinstance(n, ast.If)]
    imported = {
        (statement.module, alias.name)
        for statement in block.body
        if isinstance(statement, ast.ImportFrom)
        for alias in statement.names
    }
    served = {(module, name) for module, names in pulumi_rtk._HOMES.items() for name in names}
    assert imported == served
    assert set(pulumi_rtk.__all__) == {name for _, name in served} | {"__version__"}
