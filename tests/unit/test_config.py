"""Settings resolution: stack config beats environment, resource ids beat both, errors guide."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from pulumi_rtk.config import DEFAULT_API_BASE_URL, ProviderSettings, resolve_settings
from pulumi_rtk.errors import ConfigError
from tests.support.values import TOKEN

ENV = {
    "CLOUDFLARE_ACCOUNT_ID": "env-account",
    "RTK_APP_ID": "env-app",
    "CLOUDFLARE_API_TOKEN": "env-token",
    "RTK_API_BASE_URL": "http://env.example/client/v4",
    "RTK_REQUEST_TIMEOUT_SECONDS": "7.5",
    "RTK_MAX_RETRIES": "5",
    "RTK_DEBUG": "true",
}
CONFIG = {
    "rtk:accountId": "cfg-account",
    "rtk:appId": "cfg-app",
    "rtk:apiToken": "cfg-token",
    "rtk:apiBaseUrl": "https://cfg.example/client/v4/",
    "rtk:requestTimeoutSeconds": "12",
    "rtk:maxRetries": "1",
    "rtk:debug": "false",
}


def config(values: Mapping[str, str]) -> Callable[[str], object | None]:
    return values.get


def test_defaults_with_nothing_set() -> None:
    settings = resolve_settings(config({}), {})
    assert settings == ProviderSettings()
    assert settings.api_base_url == "https://api.cloudflare.com/client/v4" == DEFAULT_API_BASE_URL
    assert (settings.request_timeout, settings.max_retries, settings.debug) == (30.0, 3, False)
    assert (settings.account_id, settings.app_id, settings.api_token) == (None, None, None)


def test_every_setting_falls_back_to_its_environment_variable() -> None:
    settings = resolve_settings(config({}), ENV)
    assert settings == ProviderSettings(
        account_id="env-account",
        app_id="env-app",
        api_token="env-token",
        api_base_url="http://env.example/client/v4",
        request_timeout=7.5,
        max_retries=5,
        debug=True,
    )


def test_stack_config_wins_over_the_environment() -> None:
    settings = resolve_settings(config(CONFIG), ENV)
    assert settings == ProviderSettings(
        account_id="cfg-account",
        app_id="cfg-app",
        api_token="cfg-token",
        api_base_url="https://cfg.example/client/v4",  # trailing slash dropped
        request_timeout=12.0,
        max_retries=1,
        debug=False,
    )


def test_an_empty_config_value_falls_back_to_the_environment() -> None:
    settings = resolve_settings(config({"rtk:apiToken": ""}), {"CLOUDFLARE_API_TOKEN": "e"})
    assert settings.api_token == "e"
    assert resolve_settings(config({}), {"CLOUDFLARE_API_TOKEN": ""}).api_token is None


def test_resource_ids_win_over_config_and_environment() -> None:
    settings = resolve_settings(config(CONFIG), ENV)
    assert settings.resolve_target_ids("res-account", "res-app") == ("res-account", "res-app")
    assert settings.resolve_target_ids(None, "res-app") == ("cfg-account", "res-app")
    assert settings.resolve_target_ids("res-account", None) == ("res-account", "cfg-app")


@pytest.mark.parametrize(
    ("ids", "key", "env"),
    [
        ((None, "app"), "rtk:accountId", "CLOUDFLARE_ACCOUNT_ID"),
        (("acc", None), "rtk:appId", "RTK_APP_ID"),
    ],
)
def test_missing_ids_name_the_resource_input_config_key_and_env_var(
    ids: tuple[str | None, str | None], key: str, env: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        ProviderSettings().resolve_target_ids(*ids)
    message = str(caught.value)
    assert key in message
    assert env in message
    assert "_id to the resource" in message


def test_missing_token_names_the_secret_config_key_and_env_var() -> None:
    with pytest.raises(ConfigError) as caught:
        ProviderSettings().require_token()
    message = str(caught.value)
    assert "pulumi config set --secret rtk:apiToken" in message
    assert "CLOUDFLARE_API_TOKEN" in message
    assert ProviderSettings(api_token=TOKEN).require_token() == TOKEN


@pytest.mark.parametrize(
    ("env", "value", "expected"),
    [
        ("RTK_REQUEST_TIMEOUT_SECONDS", "abc", "rtk:requestTimeoutSeconds"),
        ("RTK_REQUEST_TIMEOUT_SECONDS", "0", "rtk:requestTimeoutSeconds"),
        ("RTK_REQUEST_TIMEOUT_SECONDS", "-3", "rtk:requestTimeoutSeconds"),
        ("RTK_REQUEST_TIMEOUT_SECONDS", "nan", "rtk:requestTimeoutSeconds"),
        ("RTK_REQUEST_TIMEOUT_SECONDS", "inf", "rtk:requestTimeoutSeconds"),
        ("RTK_REQUEST_TIMEOUT_SECONDS", "1e400", "rtk:requestTimeoutSeconds"),
        ("RTK_MAX_RETRIES", "2.5", "rtk:maxRetries"),
        ("RTK_MAX_RETRIES", "-1", "rtk:maxRetries"),
        ("RTK_MAX_RETRIES", "many", "rtk:maxRetries"),
        ("RTK_MAX_RETRIES", "inf", "rtk:maxRetries"),
        ("RTK_DEBUG", "maybe", "rtk:debug"),
        ("RTK_API_BASE_URL", "ftp://api.example", "rtk:apiBaseUrl"),
        ("RTK_API_BASE_URL", "api.cloudflare.com/client/v4", "rtk:apiBaseUrl"),
        ("RTK_API_BASE_URL", "http://127.0.0.1:99999/client/v4", "valid port"),
        ("RTK_API_BASE_URL", "http://127.0.0.1:port/client/v4", "valid port"),
        ("RTK_API_BASE_URL", "https:///client/v4", "with a host"),
    ],
)
def test_malformed_values_fail_naming_config_key_and_env_var(
    env: str, value: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_settings(config({}), {env: value})
    assert expected in str(caught.value)
    assert env in str(caught.value)


def test_malformed_stack_config_fails_too() -> None:
    with pytest.raises(ConfigError, match="rtk:maxRetries"):
        resolve_settings(config({"rtk:maxRetries": "x"}), {"RTK_MAX_RETRIES": "2"})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("TRUE", True), ("yes", True), (" on ", True), ("0", False), ("off", False)],
)
def test_debug_accepts_common_spellings(raw: str, expected: bool) -> None:
    assert resolve_settings(config({"rtk:debug": raw}), {}).debug is expected


def test_whole_number_strings_parse_as_retries() -> None:
    assert resolve_settings(config({"rtk:maxRetries": "4.0"}), {}).max_retries == 4
    assert resolve_settings(config({"rtk:maxRetries": "0"}), {}).max_retries == 0


def test_token_never_appears_in_repr_or_str() -> None:
    settings = resolve_settings(config({"rtk:apiToken": TOKEN}), {})
    assert settings.api_token == TOKEN
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)
    assert "api_token" not in repr(settings)
