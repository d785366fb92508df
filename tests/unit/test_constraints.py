"""The locks CI installs (constraints/, made by scripts/lock.sh) still match pyproject.toml.

``floor.txt`` must pin every runtime dependency at exactly its declared lower bound, or the floor
run would test something other than the oldest versions the package claims to support; and
``newest.txt`` must lie inside the declared ranges. Changing a dependency in pyproject.toml
without running scripts/lock.sh fails here.
"""

from __future__ import annotations

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from tests.support.values import REPO


def dependencies() -> list[Requirement]:
    with (REPO / "pyproject.toml").open("rb") as f:
        return [Requirement(text) for text in tomllib.load(f)["project"]["dependencies"]]


def pins(name: str) -> dict[NormalizedName, Version]:
    found: dict[NormalizedName, Version] = {}
    for line in (REPO / "constraints" / name).read_text().splitlines():
        if line and not line.startswith("#"):
            package, _, pinned = line.partition("==")
            found[canonicalize_name(package)] = Version(pinned)
    return found


def lower_bound(requirement: Requirement) -> Version:
    (bound,) = [spec.version for spec in requirement.specifier if spec.operator == ">="]
    return Version(bound)


@pytest.mark.parametrize("requirement", dependencies(), ids=str)
def test_every_dependency_is_a_range_with_a_lower_and_an_upper_bound(
    requirement: Requirement,
) -> None:
    operators = sorted(spec.operator for spec in requirement.specifier)
    assert operators == ["<", ">="], f"{requirement}: a range, as >=FLOOR,<NEXT_MAJOR"


@pytest.mark.parametrize("requirement", dependencies(), ids=str)
def test_the_floor_lock_pins_the_lower_bound(requirement: Requirement) -> None:
    assert pins("floor.txt")[canonicalize_name(requirement.name)] == lower_bound(requirement)


@pytest.mark.parametrize("requirement", dependencies(), ids=str)
def test_the_newest_lock_is_inside_the_range(requirement: Requirement) -> None:
    pinned = pins("newest.txt")[canonicalize_name(requirement.name)]
    assert requirement.specifier.contains(pinned), f"{pinned} is outside {requirement}"


def test_neither_lock_pins_the_package_itself() -> None:
    for name in ("floor.txt", "newest.txt"):
        assert canonicalize_name("pulumi-rtk") not in pins(name)
