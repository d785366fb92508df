"""What counts as a secret, and how to keep secrets out of text shown to people.

Kept free of heavy imports: the program side (inputs), the wire models, the HTTP client and the
providers all need to know which values are credentials.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from pulumi_rtk.vocabulary import STORAGE_SECRET_FIELDS

__all__ = ["REDACTED", "scrub", "secret_values"]

REDACTED: Final = "[secret]"


def secret_values(body: object) -> list[str]:
    """Collect credential values from a nested body, so text can be scrubbed of them."""
    found: list[str] = []
    if isinstance(body, Mapping):
        for key, value in body.items():
            if key in STORAGE_SECRET_FIELDS and isinstance(value, str) and value:
                found.append(value)
            else:
                found.extend(secret_values(value))
    elif isinstance(body, list):
        for item in body:
            found.extend(secret_values(item))
    return found


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each secret (an API may echo input in its messages)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text
