"""Webhook payloads, in the shapes Cloudflare's webhook documentation shows.

``recording.statusUpdate`` follows the documented example (camelCase, ``fileSize`` as a
string). The ``meeting.*`` shapes follow the Dyte webhook-events page, the predecessor of
the same service; the ``participant`` object is inferred (see ``docs/emulator.md``).
The emulator keeps its own copy of these names on purpose, independent of the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "Emission",
    "iso",
    "iso_or_none",
    "meeting_payload",
    "participant_payload",
    "recording_payload",
]


def iso(ts: float) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``, the format the real API emits."""
    moment = datetime.fromtimestamp(ts, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_or_none(ts: float | None) -> str | None:
    return None if ts is None else iso(ts)


@dataclass(frozen=True)
class Emission:
    """One event for one subscribed, enabled webhook, as the store emits it (in order)."""

    webhook_id: str
    url: str
    event: str
    payload: dict[str, Any]
    at: float
    """Virtual time of the event."""


def meeting_payload(
    *,
    meeting_id: str,
    app_id: str,
    title: str | None,
    created_at: float,
    session_id: str | None,
    started_at: float | None,
    ended_at: float | None,
) -> dict[str, Any]:
    """The ``meeting`` object of every event (``status`` is ``LIVE`` in every doc example)."""
    data: dict[str, Any] = {
        "id": meeting_id,
        "sessionId": session_id,
        "title": title,
        "status": "LIVE",
        "createdAt": iso(created_at),
        "startedAt": iso_or_none(started_at),
        "organizedBy": {"id": app_id, "name": app_id},
    }
    if ended_at is not None:
        data["endedAt"] = iso(ended_at)
    return data


def participant_payload(
    *,
    participant_id: str,
    name: str,
    custom_participant_id: str,
    joined_at: float,
    left_at: float | None,
) -> dict[str, Any]:
    """Inferred shape: the docs name the events but show no participant object."""
    data: dict[str, Any] = {
        "peerId": participant_id,
        "userDisplayName": name,
        "customParticipantId": custom_participant_id,
        "joinedAt": iso(joined_at),
    }
    if left_at is not None:
        data["leftAt"] = iso(left_at)
    return data


def recording_payload(view: dict[str, Any], *, meeting_id: str, app_id: str) -> dict[str, Any]:
    """The documented camelCase ``recording`` object, built from the REST view."""
    size = view["file_size"]
    return {
        "id": view["id"],
        "recordingId": view["id"],
        "status": view["status"],
        "downloadUrl": view["download_url"],
        "audioDownloadUrl": view["audio_download_url"],
        "downloadUrlExpiry": view["download_url_expiry"],
        "startedTime": view["started_time"],
        "stoppedTime": view["stopped_time"],
        "fileSize": None if size is None else str(size),
        "outputFileName": view["output_file_name"],
        "meetingId": meeting_id,
        "recordingDuration": view["recording_duration"],
        "organizationId": app_id,
        "roomUUID": meeting_id,
    }
