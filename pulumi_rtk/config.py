"""Provider settings from stack config with environment fallbacks.

The engine hands a dynamic provider the whole stack config (secrets decrypted) in ``configure``;
a Pulumi program reads the same keys through ``pulumi.Config("rtk")``. Both go through
:func:`resolve_settings`, so the precedence rules live in one place.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pulumi_rtk.errors import ConfigError

__all__ = [
    "DEFAULT_API_BASE_URL",
    "SETTINGS",
    "ProviderSettings",
    "Setting",
    "resolve_settings",
]

DEFAULT_API_BASE_URL = "https://api.cloudflare.com/client/v4"
NAMESPACE = "rtk"


@dataclass(frozen=True)
class Setting:
    """One documented knob: its stack-config key and its environment fallback."""

    key: str
    env: str

    @property
    def config_key(self) -> str:
        return f"{NAMESPACE}:{self.key}"

    def how_to_set(self) -> str:
        secret = " --secret" if self.key == "apiToken" else ""
        return f"run `pulumi config set{secret} {self.config_key} <value>` or set {self.env}"


SETTINGS: dict[str, Setting] = {
    "account_id": Setting("accountId", "CLOUDFLARE_ACCOUNT_ID"),
    "app_id": Setting("appId", "RTK_APP_ID"),
    "api_token": Setting("apiToken", "CLOUDFLARE_API_TOKEN"),
    "api_base_url": Setting("apiBaseUrl", "RTK_API_BASE_URL"),
    "request_timeout": Setting("requestTimeoutSeconds", "RTK_REQUEST_TIMEOUT_SECONDS"),
    "max_retries": Setting("maxRetries", "RTK_MAX_RETRIES"),
    "debug": Setting("debug", "RTK_DEBUG"),
}


@dataclass(frozen=True)
class ProviderSettings:
    """Resolved settings; the token is kept out of ``repr`` so it never reaches a log line."""

    account_id: str | None = None
    app_id: str | None = None
    api_token: str | None = field(default=None, repr=False)
    api_base_url: str = DEFAULT_API_BASE_URL
    request_timeout: float = 30.0
    connect_timeout: float = 5.0
    max_retries: int = 3
    debug: bool = False

    def require_token(self) -> str:
        if not self.api_token:
            raise ConfigError(f"no API token: {SETTINGS['api_token'].how_to_set()}")
        return self.api_token

    def resolve_target_ids(self, account_id: str | None, app_id: str | None) -> tuple[str, str]:
        """A resource's own ids win over config and environment."""
        account = account_id or self.account_id
        app = app_id or self.app_id
        if not account:
            raise ConfigError(
                "no account id: pass account_id to the resource, or "
                + SETTINGS["account_id"].how_to_set()
            )
        if not app:
            raise ConfigError(
                "no app id: pass app_id to the resource, or " + SETTINGS["app_id"].how_to_set()
            )
        return account, app


def _base_url(raw: str) -> str:
    """An http(s) URL with a host and a valid port, or a ConfigError naming the setting: a
    malformed one would otherwise fail later, outside the package's errors."""
    base_url = raw.strip().rstrip("/")
    try:
        parts = urlsplit(base_url)
        valid = parts.scheme in {"http", "https"} and bool(parts.hostname)
        parts.port  # noqa: B018 (raises ValueError when out of range or not a number)
    except ValueError:
        valid = False
    if not valid:
        setting = SETTINGS["api_base_url"]
        raise ConfigError(
            f"{setting.config_key} ({setting.env}) must be an http(s) URL with a host and a "
            f"valid port, such as {DEFAULT_API_BASE_URL}"
        )
    return base_url


def _parse_bool(setting: Setting, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{setting.config_key} ({setting.env}) must be true or false")


def _parse_number(setting: Setting, raw: str, *, minimum: float, integer: bool) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    # NaN and infinity are not timeouts or retry budgets (float() accepts "inf" and "1e400").
    if not math.isfinite(value) or value < minimum or (integer and not value.is_integer()):
        kind = "a whole number" if integer else "a number"
        raise ConfigError(f"{setting.config_key} ({setting.env}) must be {kind} >= {minimum:g}")
    return value


def resolve_settings(
    config_get: Callable[[str], object | None],
    environ: Mapping[str, str] | None = None,
) -> ProviderSettings:
    """Read every setting: stack config first (``rtk:<key>``), then the environment."""
    env = os.environ if environ is None else environ

    def lookup(name: str) -> str | None:
        setting = SETTINGS[name]
        value = config_get(setting.config_key)
        if value is None or value == "":
            value = env.get(setting.env) or None
        return None if value is None else str(value)

    timeout_raw = lookup("request_timeout")
    retries_raw = lookup("max_retries")
    debug_raw = lookup("debug")
    base_url = _base_url(lookup("api_base_url") or DEFAULT_API_BASE_URL)
    defaults = ProviderSettings()
    return ProviderSettings(
        account_id=lookup("account_id"),
        app_id=lookup("app_id"),
        api_token=lookup("api_token"),
        api_base_url=base_url,
        request_timeout=(
            _parse_number(SETTINGS["request_timeout"], timeout_raw, minimum=0.01, integer=False)
            if timeout_raw is not None
            else defaults.request_timeout
        ),
        max_retries=(
            int(_parse_number(SETTINGS["max_retries"], retries_raw, minimum=0, integer=True))
            if retries_raw is not None
            else defaults.max_retries
        ),
        debug=_parse_bool(SETTINGS["debug"], debug_raw) if debug_raw is not None else False,
    )
