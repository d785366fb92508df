"""A dynamic provider that does nothing, the baseline of benchmark 6.

It lives in an importable module (not a Pulumi program's ``__main__``) so it is pickled by
reference, like ``pulumi_rtk.provider.RecordingProvider``; the provider process imports it
through ``PYTHONPATH``.
"""

from __future__ import annotations

import uuid
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, ResourceProvider


class NoopProvider(ResourceProvider):
    """Create returns the inputs under a fresh id; read returns the state; delete does nothing."""

    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(
            str(uuid.uuid4()), {k: v for k, v in props.items() if k != "__provider"}
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


class Noop(Resource, module="bench", name="Noop"):
    """Takes the same inputs as a ``Recording`` and stores them."""

    def __init__(
        self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(NoopProvider(), name, props, opts)
