"""The wheel users install: every module of the package and nothing of the repository around it,
metadata that says what pyproject.toml says, and an installation that runs on its own."""

from __future__ import annotations

import configparser
import subprocess
import zipfile
from email.message import Message
from email.parser import Parser
from importlib.metadata import version
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from pulumi_rtk._version import __version__
from tests.support.install import venv_python
from tests.support.values import REPO

PACKAGE = REPO / "pulumi_rtk"


def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return {name for name in archive.namelist() if not name.endswith("/")}


def dist_info(wheel: Path, name: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        (path,) = [p for p in archive.namelist() if p.endswith(f".dist-info/{name}")]
        return archive.read(path).decode()


def metadata(wheel: Path) -> Message:
    return Parser().parsestr(dist_info(wheel, "METADATA"))


def project() -> dict[str, object]:
    with (REPO / "pyproject.toml").open("rb") as f:
        table: dict[str, object] = tomllib.load(f)["project"]
        return table


def requirement_key(text: str) -> tuple[str, str]:
    requirement = Requirement(text)
    return canonicalize_name(requirement.name), str(requirement.specifier)


def test_wheel_holds_every_module_of_the_package_and_nothing_else(wheel: Path) -> None:
    files = {name for name in wheel_files(wheel) if ".dist-info/" not in name}
    source = {
        path.relative_to(REPO).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert files == source
    for needed in (
        "pulumi_rtk/py.typed",  # type checkers read the inline annotations
        "pulumi_rtk/provider.py",  # the names pickled into every stack's state
        "pulumi_rtk/providers/__init__.py",
        "pulumi_rtk/emulator/__init__.py",
        "pulumi_rtk/emulator/__main__.py",
    ):
        assert needed in files
    assert not [name for name in files if not name.startswith("pulumi_rtk/")]


def test_wheel_metadata_is_the_projects(wheel: Path) -> None:
    meta = metadata(wheel)
    assert meta["Name"] == "pulumi-rtk"
    assert meta["Version"] == __version__
    assert meta["Requires-Python"] == project()["requires-python"]
    runtime = [r for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r]
    declared = project()["dependencies"]
    assert isinstance(declared, list)
    assert sorted(map(requirement_key, runtime)) == sorted(map(requirement_key, declared))
    # Ranges, not pins: a stack keeps the Pulumi SDK its user chose.
    assert dict(map(requirement_key, runtime))["pulumi"].startswith("<4,>=3.")


def test_wheel_declares_the_emulator_command(wheel: Path) -> None:
    entry_points = configparser.ConfigParser()
    entry_points.read_string(dist_info(wheel, "entry_points.txt"))
    assert dict(entry_points["console_scripts"]) == {
        "rtk-emulator": "pulumi_rtk.emulator.__main__:main"
    }


def test_the_user_venv_runs_the_installed_wheel(user_venv: Path, tmp_path: Path) -> None:
    """The package and its command come from the venv (not the checkout), with the Pulumi SDK
    of the environment running the tests."""
    proc = subprocess.run(
        [
            str(venv_python(user_venv)),
            "-c",
            "import pulumi, pulumi_rtk; print(pulumi_rtk.__file__); print(pulumi_rtk.__version__)"
            "; from importlib.metadata import version; print(version('pulumi'))",
        ],
        cwd=tmp_path,  # not the repository, whose pulumi_rtk would shadow the installed one
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    location, installed, sdk = proc.stdout.split()
    assert Path(location).is_relative_to(user_venv)
    assert installed == __version__
    assert sdk == version("pulumi")
    emulator = subprocess.run(
        [str(user_venv / "bin" / "rtk-emulator"), "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert emulator.returncode == 0, emulator.stderr
    assert "usage: rtk-emulator" in emulator.stdout
