"""A local, stdlib-only emulator of the Cloudflare RealtimeKit API.

Recordings, meetings and webhooks, with participants and sessions driven through the
admin API and signed webhook deliveries to loopback receivers. For tests, benchmarks and
users without a Cloudflare account. See ``docs/emulator.md``.
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
