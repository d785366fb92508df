"""Fixtures of the end-to-end tests: the real CLI, the package installed as a user installs it
(a wheel in a virtualenv of its own), a subprocess emulator, new stacks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE, Cli, Stack, copy_project, find_cli
from tests.support.install import build_wheel, freeze_pins, install_venv
from tests.support.processes import EmulatorProcess
from tests.support.values import ACCOUNT, APP, SECRET_VALUES, TOKEN


@pytest.fixture(scope="session")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return find_cli(tmp_path_factory.mktemp("pulumi-home"))


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's wheel, built once from the working tree."""
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def pins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Constraints pinning every dependency to its version in the venv running the tests."""
    return freeze_pins(tmp_path_factory.mktemp("pins") / "constraints.txt")


@pytest.fixture(scope="session")
def user_venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path, pins: Path) -> Path:
    """A user's virtualenv: the wheel and its dependencies; every stack's program and provider
    process run in it."""
    return install_venv(tmp_path_factory.mktemp("user") / "venv", wheel, pins)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """The emulator on a free port, clock frozen (statuses change only when a test says so),
    starts instant; its request log is the record of what reached the wire."""
    process = EmulatorProcess(
        TOKEN,
        ("--clock-speed", "0", "--invoke-delay", "0", "--upload-delay", "5"),
        data_dir=tmp_path_factory.mktemp("emulator"),
    )
    try:
        yield process
    finally:
        process.close()


@pytest.fixture
def new_stack(
    cli: Cli, emulator: EmulatorProcess, user_venv: Path, tmp_path: Path
) -> Callable[[Path], Stack]:
    """A function giving a new stack of a project dir in the user's virtualenv, configured for
    the emulator."""

    def make(source: Path) -> Stack:
        stack = Stack(cli, emulator, tmp_path / source.name, (*SECRET_VALUES, PASSPHRASE))
        copy_project(source, stack.project, user_venv)
        stack.backend.mkdir(parents=True)
        stack.run("stack", "init")
        stack.config("rtk:apiBaseUrl", emulator.base_url)
        stack.config("rtk:accountId", ACCOUNT)
        stack.config("rtk:appId", APP)
        stack.config("rtk:apiToken", TOKEN, secret=True)
        stack.config("rtk:requestTimeoutSeconds", 10)
        return stack

    return make
