"""A local, stdlib-only emulator of the Cloudflare RealtimeKit recordings API.

For tests, benchmarks and users without a Cloudflare account. See ``docs/emulator.md``.
Run it with ``python -m pulumi_rtk.emulator`` or drive it in-process::

    with Emulator(token="t").start() as emu:
        meeting_id = emu.create_meeting(account_id, app_id)
        ...  # point the client at emu.base_url
"""

from __future__ import annotations

from .admin import AdminClient, AdminError, EmulatorControl
from .app import Emulator
from .faults import Fault
from .requestlog import RequestRecord

__all__ = ["AdminClient", "AdminError", "Emulator", "EmulatorControl", "Fault", "RequestRecord"]
