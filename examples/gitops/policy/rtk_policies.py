"""CrossGuard policies for pulumi_rtk's resources, as pure checks plus the policies wrapping them.

The checks take a resource's type token and input properties and return violation messages, so
unit tests call them without the Pulumi engine. ``policies()`` wraps each check in a
``ResourceValidationPolicy`` that reads the policy's configuration and reports every message.

How the engine presents inputs to a Python policy pack (pulumi_policy 1.21, engine 3.2xx):

* Unknown values (outputs of resources not created yet, during ``preview``) arrive as sentinel
  strings, and ``pulumi_policy`` wraps the inputs in a proxy whose item access raises
  ``UnknownValueError`` for them. Left uncaught, that error becomes an advisory "can't run policy
  during preview" diagnostic; the checks here catch it instead and read it as "cannot tell yet",
  which is no violation: the same policy runs again on ``up``, with the value known.
* Secret values arrive in plaintext, indistinguishable from other values: the engine sends them
  marked, and ``pulumi_policy`` unwraps the mark before validation. So no message echoes any
  property value (a whole ``storage_config``, its ``type`` included, is secret when the program
  passes it as an Output). Messages name the resource, the property path and the rule, and quote
  only the policy's own configuration.
* Top-level keys starting with ``__`` (the dynamic provider's pickled ``__provider``) are
  stripped by the engine; unset inputs may be absent or ``None``.

The pack needs only ``pulumi_policy``, not pulumi_rtk: it is meant to be copied and run anywhere.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

__all__ = [
    "ALLOWED_STORAGE_TYPES",
    "MAX_RECORDING_SECONDS",
    "MEETING",
    "NO_REALTIMEKIT_BUCKET",
    "PACK_NAME",
    "RECORDING",
    "STORAGE_REQUIRED",
    "TRACK_RECORDING",
    "WEBHOOK",
    "WEBHOOK_HTTPS",
    "check_allowed_storage_types",
    "check_max_recording_seconds",
    "check_no_realtimekit_bucket",
    "check_storage_required",
    "check_webhook_https",
    "policies",
]

PACK_NAME: Final = "rtk-policies"

# --- What the pack knows about pulumi_rtk: type tokens and input property names ---------------

# Dynamic resources register as "pulumi-python:dynamic/<module>:<name>".
RECORDING: Final = "pulumi-python:dynamic/rtk:Recording"
TRACK_RECORDING: Final = "pulumi-python:dynamic/rtk:TrackRecording"
MEETING: Final = "pulumi-python:dynamic/rtk:Meeting"
WEBHOOK: Final = "pulumi-python:dynamic/rtk:Webhook"

# Inputs as the providers receive them (snake_case). A Recording carries the recording options at
# its top level; a Meeting carries the same ones under recording_config.
STORAGE_CONFIG: Final = "storage_config"
STORAGE_TYPE: Final = "type"
MAX_SECONDS: Final = "max_seconds"
REALTIMEKIT_BUCKET_CONFIG: Final = "realtimekit_bucket_config"
ENABLED: Final = "enabled"
RECORDING_CONFIG: Final = "recording_config"
RECORD_ON_START: Final = "record_on_start"
URL: Final = "url"

STORAGE_TYPES: Final = ("aws", "azure", "digitalocean", "gcs", "sftp")
# What the API does with an unset max_seconds: records for up to 24 h.
API_MAX_SECONDS: Final = 86400
MIN_SECONDS: Final = 60

# --- Policy names and configuration defaults --------------------------------------------------

STORAGE_REQUIRED: Final = "rtk-storage-required"
ALLOWED_STORAGE_TYPES: Final = "rtk-allowed-storage-types"
MAX_RECORDING_SECONDS: Final = "rtk-max-recording-seconds"
NO_REALTIMEKIT_BUCKET: Final = "rtk-no-realtimekit-bucket"
WEBHOOK_HTTPS: Final = "rtk-webhook-https"

DEFAULT_MAX_SECONDS: Final = 14400

# --- Reading inputs that may be unknown -------------------------------------------------------

_SENTINELS: Final = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)


class _Unknown:
    """A value only known after ``up``: every check reads it as "cannot tell yet"."""


UNKNOWN: Final = _Unknown()


def _get(node: object, key: str) -> object:
    """``node[key]``; ``None`` when unset, ``UNKNOWN`` when ``node`` or the value is unknown.

    Works on pulumi_policy's unknown-checking proxy (item access raises ``UnknownValueError``,
    and ``Mapping.get`` would let that through) and on plain dicts holding the raw sentinels.
    """
    if node is UNKNOWN:
        return UNKNOWN
    if not isinstance(node, Mapping):
        return None
    try:
        value = node[key]
    except KeyError:
        return None
    except UnknownValueError:
        return UNKNOWN
    if isinstance(value, str) and value in _SENTINELS:
        return UNKNOWN
    return value


@dataclass(frozen=True)
class _RecordingOptions:
    """Where a resource's recordings take their options from.

    ``prefix`` is the property path the options sit under (``""`` on a Recording,
    ``"recording_config."`` on a Meeting). ``dashboard_defaults`` marks a meeting that records on
    start without a recording_config: its recordings follow the app's dashboard defaults, which
    the stack neither sets nor shows, so the checks see empty options (the API's defaults).
    """

    prefix: str
    options: Mapping[str, Any]
    dashboard_defaults: bool = False


def _recording_options(resource_type: str, props: Mapping[str, Any]) -> _RecordingOptions | None:
    """The recording options a resource sets; ``None`` when it sets none or cannot tell yet."""
    if resource_type == RECORDING:
        return _RecordingOptions("", props)
    if resource_type != MEETING:
        return None
    config = _get(props, RECORDING_CONFIG)
    if isinstance(config, Mapping):
        # Also without record_on_start: recordings started without options use it.
        return _RecordingOptions(f"{RECORDING_CONFIG}.", config)
    if config is None and _get(props, RECORD_ON_START) is True:
        return _RecordingOptions(f"{RECORDING_CONFIG}.", {}, dashboard_defaults=True)
    return None


_DASHBOARD = (
    f"{RECORD_ON_START} is true but {RECORDING_CONFIG} is not set, so recordings follow the "
    "app's dashboard defaults, which this stack does not control"
)

# --- The checks -------------------------------------------------------------------------------


def check_storage_required(
    resource_type: str, props: Mapping[str, Any], *, allow_dashboard_defaults: bool = False
) -> list[str]:
    """A Recording, or a Meeting's recording_config, must upload to the team's own storage.

    TrackRecording is not subject: the API has no storage option for it, so no change to the
    resource could comply; ``rtk-no-realtimekit-bucket`` reports it instead.
    """
    found = _recording_options(resource_type, props)
    if found is None:
        return []
    path = f"{found.prefix}{STORAGE_CONFIG}"
    if found.dashboard_defaults:
        return [] if allow_dashboard_defaults else [f"{_DASHBOARD}; set {path}"]
    if _get(found.options, STORAGE_CONFIG) is None:
        return [f"{path} is not set: recordings would not upload to the team's own storage"]
    return []


def check_allowed_storage_types(
    resource_type: str,
    props: Mapping[str, Any],
    *,
    allowed_types: Sequence[str] = STORAGE_TYPES,
) -> list[str]:
    """The storage type, where storage is set, must be one of ``allowed_types``.

    A missing storage_config is ``rtk-storage-required``'s concern, not this policy's.
    """
    found = _recording_options(resource_type, props)
    if found is None:
        return []
    storage = _get(found.options, STORAGE_CONFIG)
    if storage is None:
        return []
    storage_type = _get(storage, STORAGE_TYPE)  # UNKNOWN as well when storage is
    if storage_type is UNKNOWN or storage_type in allowed_types:
        return []
    path = f"{found.prefix}{STORAGE_CONFIG}.{STORAGE_TYPE}"
    return [f"{path} must be one of: {', '.join(allowed_types)}"]


def check_max_recording_seconds(
    resource_type: str,
    props: Mapping[str, Any],
    *,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    allow_dashboard_defaults: bool = False,
) -> list[str]:
    """max_seconds must be set and at most ``max_seconds``: unset, the API records up to 24 h."""
    found = _recording_options(resource_type, props)
    if found is None:
        return []
    # Policy config numbers arrive as floats (a protobuf Struct holds doubles).
    limit = int(max_seconds)
    path = f"{found.prefix}{MAX_SECONDS}"
    if found.dashboard_defaults:
        return [] if allow_dashboard_defaults else [f"{_DASHBOARD}; set {path} to at most {limit}"]
    value = _get(found.options, MAX_SECONDS)
    if value is None:
        return [
            f"{path} is not set, so the recording may run for up to {API_MAX_SECONDS} s (24 h); "
            f"set it to at most {limit}"
        ]
    # A non-number is rejected by the provider's own check; nothing to judge here.
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= limit:
        return []
    return [f"{path} exceeds the limit: set it to at most {limit}"]


def check_no_realtimekit_bucket(
    resource_type: str,
    props: Mapping[str, Any],
    *,
    include_track_recordings: bool = True,
    allow_dashboard_defaults: bool = False,
) -> list[str]:
    """Warns when recording files also go to RealtimeKit's own bucket.

    That happens unless ``realtimekit_bucket_config.enabled`` is false (enabled is the API
    default), and always for track recordings, which have no storage option at all.
    """
    if resource_type == TRACK_RECORDING:
        if not include_track_recordings:
            return []
        return ["track recordings always upload to RealtimeKit's bucket (no storage option)"]
    found = _recording_options(resource_type, props)
    if found is None:
        return []
    path = f"{found.prefix}{REALTIMEKIT_BUCKET_CONFIG}"
    if found.dashboard_defaults:
        return [] if allow_dashboard_defaults else [f"{_DASHBOARD}; set {path}.{ENABLED} = false"]
    bucket = _get(found.options, REALTIMEKIT_BUCKET_CONFIG)
    if bucket is None:
        return [
            f"{path} is not set, so files also go to RealtimeKit's bucket (enabled by default); "
            f"set {path}.{ENABLED} = false"
        ]
    enabled = _get(bucket, ENABLED)
    if enabled is UNKNOWN or enabled is False:
        return []
    return [f"{path}.{ENABLED} is not false, so files also go to RealtimeKit's bucket"]


def _is_loopback(host: str | None) -> bool:
    """Whether a URL's host is this machine (127.0.0.0/8, ::1 or localhost)."""
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_webhook_https(
    resource_type: str, props: Mapping[str, Any], *, allow_loopback: bool = True
) -> list[str]:
    """A webhook's URL must be https://; with ``allow_loopback``, http:// to this machine too.

    The host is parsed, not prefix-matched, so ``http://127.0.0.1.example.com`` or
    ``http://localhost@example.com`` are not exempt. The URL is never quoted: webhook URLs often
    carry a token.
    """
    if resource_type != WEBHOOK:
        return []
    url = _get(props, URL)
    if not isinstance(url, str):
        return []  # unknown yet, or unset (the provider requires one)
    try:
        parts = urlsplit(url)  # lowercases the scheme and the host
        secure = parts.scheme == "https" or (
            allow_loopback and parts.scheme == "http" and _is_loopback(parts.hostname)
        )
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        secure = False
    if secure:
        return []
    if allow_loopback:
        return [f"{URL} must use https:// (http:// only to 127.0.0.1, localhost or [::1])"]
    return [f"{URL} must use https://"]


# --- The policies -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Setting:
    """One configuration key: its name in ``--policy-pack-config``, the check's keyword argument
    it feeds, and its JSON schema (whose ``default`` the engine also fills in)."""

    key: str
    kwarg: str
    schema: dict[str, Any]


def _dashboard_setting(what: str) -> _Setting:
    return _Setting(
        "allowDashboardDefaults",
        "allow_dashboard_defaults",
        {
            "type": "boolean",
            "default": False,
            "description": (
                f"Accept a Meeting with record_on_start and no recording_config, trusting the "
                f"app's dashboard defaults for {what}."
            ),
        },
    )


@dataclass(frozen=True)
class _Rule:
    name: str
    description: str
    level: EnforcementLevel
    check: Callable[..., list[str]]
    settings: tuple[_Setting, ...]

    def validate(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        """Runs the check with the configured values (defaults when the engine sends none)."""
        config = args.get_config()
        kwargs = {s.kwarg: config.get(s.key, s.schema["default"]) for s in self.settings}
        label = f"{args.resource_type.rpartition('/')[2]} '{args.name}'"
        for message in self.check(args.resource_type, args.props, **kwargs):
            report(f"{label}: {message}", None)

    def policy(self) -> ResourceValidationPolicy:
        return ResourceValidationPolicy(
            name=self.name,
            description=self.description,
            validate=self.validate,
            enforcement_level=self.level,
            config_schema=PolicyConfigSchema({s.key: s.schema for s in self.settings}),
        )


_RULES: Final = (
    _Rule(
        STORAGE_REQUIRED,
        "Recordings upload to the team's own storage: a Recording, and a Meeting's "
        "recording_config, set storage_config.",
        EnforcementLevel.MANDATORY,
        check_storage_required,
        (_dashboard_setting("storage"),),
    ),
    _Rule(
        ALLOWED_STORAGE_TYPES,
        "Recording storage is one of the allowed storage types.",
        EnforcementLevel.MANDATORY,
        check_allowed_storage_types,
        (
            _Setting(
                "allowedTypes",
                "allowed_types",
                {
                    "type": "array",
                    "items": {"type": "string", "enum": list(STORAGE_TYPES)},
                    "minItems": 1,
                    "uniqueItems": True,
                    "default": list(STORAGE_TYPES),
                    "description": "Storage types a recording may upload to.",
                },
            ),
        ),
    ),
    _Rule(
        MAX_RECORDING_SECONDS,
        "Recordings set max_seconds, at most the configured limit (unset, a recording runs "
        "up to 24 h).",
        EnforcementLevel.MANDATORY,
        check_max_recording_seconds,
        (
            _Setting(
                "maxSeconds",
                "max_seconds",
                {
                    "type": "integer",
                    "minimum": MIN_SECONDS,
                    "maximum": API_MAX_SECONDS,
                    "default": DEFAULT_MAX_SECONDS,
                    "description": "Longest recording allowed, in seconds.",
                },
            ),
            _dashboard_setting("max_seconds"),
        ),
    ),
    _Rule(
        NO_REALTIMEKIT_BUCKET,
        "Recording files do not also go to RealtimeKit's own bucket.",
        EnforcementLevel.ADVISORY,
        check_no_realtimekit_bucket,
        (
            _Setting(
                "includeTrackRecordings",
                "include_track_recordings",
                {
                    "type": "boolean",
                    "default": True,
                    "description": "Report track recordings (always in RealtimeKit's bucket).",
                },
            ),
            _dashboard_setting("the RealtimeKit bucket"),
        ),
    ),
    _Rule(
        WEBHOOK_HTTPS,
        "Webhook URLs use https://.",
        EnforcementLevel.MANDATORY,
        check_webhook_https,
        (
            _Setting(
                "allowLoopback",
                "allow_loopback",
                {
                    "type": "boolean",
                    "default": True,
                    "description": (
                        "Allow http:// to 127.0.0.1, localhost or [::1] (local emulator, tests)."
                    ),
                },
            ),
        ),
    ),
)


def policies() -> list[Policy]:
    """The pack's policies, each with its default enforcement level and configuration schema."""
    return [rule.policy() for rule in _RULES]
