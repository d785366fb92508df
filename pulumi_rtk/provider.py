"""The provider classes Pulumi pickles into state: permanent names, nothing else.

A dynamic resource's state holds its provider pickled *by reference*, as
``pulumi_rtk.provider.<Class>``; every existing stack unpickles these names on each refresh,
update and destroy. So these classes never move or get renamed, and they carry no behaviour of
their own: the semantics live in ``pulumi_rtk.providers`` and can change freely. A new provider
class gets its permanent name here from the start.
"""

from __future__ import annotations

from pulumi_rtk.providers.meeting import MeetingSemantics
from pulumi_rtk.providers.recording import RecordingSemantics, TrackRecordingSemantics
from pulumi_rtk.providers.webhook import WebhookSemantics

__all__ = ["MeetingProvider", "RecordingProvider", "TrackRecordingProvider", "WebhookProvider"]


class RecordingProvider(RecordingSemantics):
    """``pulumi_rtk.provider.RecordingProvider``: a ``Recording`` (since 0.1)."""


class TrackRecordingProvider(TrackRecordingSemantics):
    """``pulumi_rtk.provider.TrackRecordingProvider``: a ``TrackRecording`` (since 0.1)."""


class MeetingProvider(MeetingSemantics):
    """``pulumi_rtk.provider.MeetingProvider``: a ``Meeting`` (since 0.2)."""


class WebhookProvider(WebhookSemantics):
    """``pulumi_rtk.provider.WebhookProvider``: a ``Webhook`` (since 0.2)."""
