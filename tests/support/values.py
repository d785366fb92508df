"""Constants and request shapes shared by tests and benchmarks.

The secret values are distinctive on purpose: leak checks search every text a scenario produced
(state, outputs, logs, errors, pickles) for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

__all__ = [
    "ACCOUNT",
    "APP",
    "AWS_ACCESS_KEY",
    "AWS_SECRET",
    "REPO",
    "SECRET_VALUES",
    "SFTP_PASSWORD",
    "SFTP_PRIVATE_KEY",
    "TOKEN",
    "aws_storage",
    "provider_config",
]

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "0123456789abcdef0123456789abcdef"
APP = "fedcba9876543210fedcba9876543210"
TOKEN = "tok-LEAKCHECK-4f1e9a7c2b"
AWS_ACCESS_KEY = "AKIA-LEAKCHECK-ACCESS-77"
AWS_SECRET = "LEAKCHECK-aws-secret-9b2d"
SFTP_PASSWORD = "LEAKCHECK-sftp-password-31"
SFTP_PRIVATE_KEY = "-----BEGIN KEY----- LEAKCHECK-private-key-5c -----END KEY-----"
SECRET_VALUES = (TOKEN, AWS_ACCESS_KEY, AWS_SECRET, SFTP_PASSWORD, SFTP_PRIVATE_KEY)


class HasBaseUrl(Protocol):
    @property
    def base_url(self) -> str: ...


def provider_config(api: str | HasBaseUrl, **extra: str) -> dict[str, str]:
    """Stack config as the engine sends it to a dynamic provider (full keys, plain strings);
    ``api`` is the API base URL or an emulator."""
    return {
        "rtk:apiBaseUrl": api if isinstance(api, str) else api.base_url,
        "rtk:accountId": ACCOUNT,
        "rtk:appId": APP,
        "rtk:apiToken": TOKEN,
        "rtk:requestTimeoutSeconds": "2",
        "rtk:maxRetries": "2",
        **extra,
    }


def aws_storage() -> dict[str, object]:
    return {
        "type": "aws",
        "bucket": "recordings",
        "region": "us-east-1",
        "access_key": AWS_ACCESS_KEY,
        "secret": AWS_SECRET,
        "path": "standups/",
    }


def failure_at(prop: str, reason: str) -> tuple[str, str]:
    """A check failure as (field path, reason). Failures the engine cannot show a value for
    (nested paths, inputs holding credentials) carry no property and start their reason with
    the path; see ``pulumi_rtk.providers.base.check_failure``."""
    if prop:
        return prop, reason
    path, sep, rest = reason.partition(": ")
    return (path, rest) if sep else ("", reason)
