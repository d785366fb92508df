"""Fixtures of the end-to-end tests: the real CLI, a subprocess emulator, new stacks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.cli import PASSPHRASE, Cli, Stack, copy_project, find_cli
from tests.support.processes import EmulatorProcess
from tests.support.values import ACCOUNT, APP, SECRET_VALUES, TOKEN

# A cold build of the CLI (scripts/pulumi-cli.sh) can take minutes; every CLI call has its own,
# much shorter timeout.
pytestmark = pytest.mark.timeout(3600)


@pytest.fixture(scope="session")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return find_cli(tmp_path_factory.mktemp("pulumi-home"))


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
def new_stack(cli: Cli, emulator: EmulatorProcess, tmp_path: Path) -> Callable[[Path], Stack]:
    """A function giving a new stack of a project dir, configured for the emulator."""

    def make(source: Path) -> Stack:
        stack = Stack(cli, emulator, tmp_path / source.name, (*SECRET_VALUES, PASSPHRASE))
        copy_project(source, stack.project)
        stack.backend.mkdir(parents=True)
        stack.run("stack", "init")
        stack.config("rtk:apiBaseUrl", emulator.base_url)
        stack.config("rtk:accountId", ACCOUNT)
        stack.config("rtk:appId", APP)
        stack.config("rtk:apiToken", TOKEN, secret=True)
        stack.config("rtk:requestTimeoutSeconds", 10)
        return stack

    return make
