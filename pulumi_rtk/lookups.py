"""Lookups for Pulumi programs: read recordings, meetings and webhooks this stack does not manage.

They run in the program process, with the same settings as the provider (``rtk:*`` stack config,
then the environment), and return typed results. Pulumi runs them in previews too, so they need
the API token there.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from typing import Any, TypeVar

import pydantic
from pulumi.runtime.config import get_config

from pulumi_rtk.client import RealtimeKitClient, Target
from pulumi_rtk.config import ProviderSettings, resolve_settings
from pulumi_rtk.errors import ResponseFormatError
from pulumi_rtk.models import MeetingInfo, RecordingInfo, WebhookInfo

__all__ = [
    "get_active_recording",
    "get_meeting",
    "get_recording",
    "list_meetings",
    "list_recordings",
    "list_webhooks",
]


@functools.lru_cache(maxsize=4)
def _client(settings: ProviderSettings) -> RealtimeKitClient:
    return RealtimeKitClient(settings)


def _connect(account_id: str | None, app_id: str | None) -> tuple[RealtimeKitClient, Target]:
    settings = resolve_settings(get_config)
    account, app = settings.resolve_target_ids(account_id, app_id)
    return _client(settings), Target(settings.api_base_url, account, app)


_Info = TypeVar("_Info", RecordingInfo, MeetingInfo, WebhookInfo)


def _parsed(model: type[_Info], data: Mapping[str, Any], target: Target, *parts: str) -> _Info:
    """An object in a shape the API does not document (a required field missing, a wrong type)
    fails as the answer's fault, in the package's own error tree like every other failure;
    fields the API adds are ignored."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc']))}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)
        )
        raise ResponseFormatError(
            method="GET",
            path=target.path(*parts),
            address=target.address,
            status=200,
            code=None,
            message=f"the API sent a {model.__name__} pulumi_rtk cannot read ({problems})",
        ) from None


def get_recording(
    recording_id: str, *, account_id: str | None = None, app_id: str | None = None
) -> RecordingInfo:
    """One recording by id; raises ``NotFoundError`` when the API does not know it."""
    client, target = _connect(account_id, app_id)
    return _parsed(
        RecordingInfo,
        client.get_recording(target, recording_id),
        target,
        "recordings",
        recording_id,
    )


def get_active_recording(
    meeting_id: str, *, account_id: str | None = None, app_id: str | None = None
) -> RecordingInfo | None:
    """The meeting's running recording (INVOKED, RECORDING or PAUSED), or None."""
    client, target = _connect(account_id, app_id)
    found = client.get_active_recording(target, meeting_id)
    if found is None:
        return None
    return _parsed(RecordingInfo, found, target, "recordings", "active-recording", meeting_id)


def list_recordings(
    meeting_id: str | None = None,
    status: str | Collection[str] | None = None,
    *,
    search: str | None = None,
    start_time: str | None = None,
    end_time: str | None = None,
    expired: bool | None = None,
    sort_order: str | None = None,
    account_id: str | None = None,
    app_id: str | None = None,
) -> list[RecordingInfo]:
    """Every matching recording, all pages followed."""
    client, target = _connect(account_id, app_id)
    statuses = [status] if isinstance(status, str) else list(status or ())
    items = client.list_recordings(
        target,
        meeting_id=meeting_id,
        status=statuses,
        search=search,
        start_time=start_time,
        end_time=end_time,
        expired=expired,
        sort_order=sort_order,
    )
    return [_parsed(RecordingInfo, item, target, "recordings") for item in items]


def get_meeting(
    meeting_id: str, *, account_id: str | None = None, app_id: str | None = None
) -> MeetingInfo:
    """One meeting by id; raises ``NotFoundError`` when the API does not know it."""
    client, target = _connect(account_id, app_id)
    return _parsed(
        MeetingInfo, client.get_meeting(target, meeting_id), target, "meetings", meeting_id
    )


def list_meetings(
    search: str | None = None,
    status: str | None = None,
    *,
    start_time: str | None = None,
    end_time: str | None = None,
    account_id: str | None = None,
    app_id: str | None = None,
) -> list[MeetingInfo]:
    """Every matching meeting (``search`` matches the title or id; ``status`` ``ACTIVE`` or
    ``INACTIVE``; times are ISO 8601 bounds on creation), all pages followed."""
    client, target = _connect(account_id, app_id)
    items = client.list_meetings(
        target, search=search, status=status, start_time=start_time, end_time=end_time
    )
    return [_parsed(MeetingInfo, item, target, "meetings") for item in items]


def list_webhooks(*, account_id: str | None = None, app_id: str | None = None) -> list[WebhookInfo]:
    """Every webhook of the app."""
    client, target = _connect(account_id, app_id)
    return [_parsed(WebhookInfo, item, target, "webhooks") for item in client.list_webhooks(target)]
