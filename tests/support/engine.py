"""Drive a dynamic provider the way the Pulumi engine does: ``python -m pulumi.dynamic`` over gRPC.

The provider is pickled exactly as ``pulumi.dynamic.Resource`` pickles it, and every call goes
through the SDK's own servicer, so unpickling, ``configure``, result translation and error
reporting are the real ones. Tests use the dict-level calls; benchmarks use the ``*_raw`` ones,
which pass the engine's state on as the ``Struct`` it is, the way the (Go) engine stores and
resends it, so the measuring process spends no time converting properties.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import grpc
from google.protobuf import struct_pb2
from pulumi.dynamic import ReadResult, ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime._serialization import _serialize
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

PROJECT = "rtktest"
PROVIDER_KEY = "__provider"
RECORDING_TYPE = "pulumi-python:dynamic/rtk:Recording"
UNKNOWN = rpc.UNKNOWN
# Whether this SDK's provider server can answer a refresh with inputs (ReadResult(id, outs,
# inputs), pulumi >= 3.216). Older ones send outputs only; the engine then keeps the stored
# inputs, and drift still shows because the providers diff against the outputs.
READ_RETURNS_INPUTS: Final = "inputs" in inspect.signature(ReadResult.__init__).parameters


def read_inputs(result: ReadResult) -> dict[str, Any] | None:
    """The inputs a provider's ``read`` handed back; None too where this SDK has no place for
    them (see ``READ_RETURNS_INPUTS``)."""
    inputs: dict[str, Any] | None = getattr(result, "inputs", None)
    return inputs


def pickled(provider: ResourceProvider) -> str:
    """The ``__provider`` string ``pulumi.dynamic.Resource`` would store in state."""
    serialized, _ = _serialize(True, serialize_provider, provider)
    return str(serialized)


def pickled_bytes(provider: ResourceProvider) -> bytes:
    return base64.b64decode(pickled(provider))


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    return asyncio.run(rpc.serialize_properties(dict(props), {}))


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    return dict(rpc.deserialize_properties(struct, keep_unknowns=True))


class Engine:
    """One provider process, as the engine starts it: ``python -u -m pulumi.dynamic``."""

    def __init__(
        self,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        *,
        keep_stderr: bool = True,
    ) -> None:
        """``keep_stderr=False`` discards the process's stderr (long benchmark runs, where an
        unread pipe could fill up)."""
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic", "127.0.0.1:1"],
            cwd=cwd,
            env={**os.environ, "PULUMI_PROJECT": PROJECT, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if keep_stderr else subprocess.DEVNULL,
        )
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)

    def urn(self, name: str, type_: str = RECORDING_TYPE) -> str:
        return f"urn:pulumi:dev::{PROJECT}::{type_}::{name}"

    def configure(self, config: Mapping[str, str]) -> provider_pb2.ConfigureResponse:
        response: provider_pb2.ConfigureResponse = self.stub.Configure(
            provider_pb2.ConfigureRequest(args=to_struct(config))
        )
        return response

    def check(
        self, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None, name: str = "rec"
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        response = self.stub.Check(
            provider_pb2.CheckRequest(
                urn=self.urn(name), olds=to_struct(olds or {}), news=to_struct(news)
            )
        )
        failures = [(f.property, f.reason) for f in response.failures]
        return from_struct(response.inputs), failures

    def create(self, inputs: Mapping[str, Any], name: str = "rec") -> tuple[str, dict[str, Any]]:
        response = self.stub.Create(
            provider_pb2.CreateRequest(urn=self.urn(name), properties=to_struct(inputs))
        )
        return response.id, from_struct(response.properties)

    def read(
        self, id_: str, state: Mapping[str, Any], name: str = "rec"
    ) -> tuple[str, dict[str, Any]]:
        response = self.stub.Read(
            provider_pb2.ReadRequest(id=id_, urn=self.urn(name), properties=to_struct(state))
        )
        return response.id, from_struct(response.properties)

    def refresh(
        self, id_: str, state: Mapping[str, Any], inputs: Mapping[str, Any], name: str = "rec"
    ) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        """Read as ``pulumi refresh`` sends it (old outputs and inputs); returns the id, the
        outputs and the refreshed inputs the provider handed back (None when it gave none)."""
        response = self.stub.Read(
            provider_pb2.ReadRequest(
                id=id_, urn=self.urn(name), properties=to_struct(state), inputs=to_struct(inputs)
            )
        )
        given = from_struct(response.inputs) if response.HasField("inputs") else None
        return response.id, from_struct(response.properties), given

    def diff(
        self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any], name: str = "rec"
    ) -> provider_pb2.DiffResponse:
        response: provider_pb2.DiffResponse = self.stub.Diff(
            provider_pb2.DiffRequest(
                id=id_, urn=self.urn(name), olds=to_struct(olds), news=to_struct(news)
            )
        )
        return response

    def update(
        self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any], name: str = "rec"
    ) -> dict[str, Any]:
        response = self.stub.Update(
            provider_pb2.UpdateRequest(
                id=id_, urn=self.urn(name), olds=to_struct(olds), news=to_struct(news)
            )
        )
        return from_struct(response.properties)

    def delete(self, id_: str, state: Mapping[str, Any], name: str = "rec") -> None:
        self.stub.Delete(
            provider_pb2.DeleteRequest(id=id_, urn=self.urn(name), properties=to_struct(state))
        )

    # The engine's state as an opaque Struct (benchmarks)

    def create_request(self, inputs: Mapping[str, Any], name: str) -> provider_pb2.CreateRequest:
        return provider_pb2.CreateRequest(urn=self.urn(name), properties=to_struct(inputs))

    def create_raw(self, request: provider_pb2.CreateRequest) -> tuple[str, struct_pb2.Struct]:
        response = self.stub.Create(request)
        return str(response.id), response.properties

    def read_raw(self, id_: str, state: struct_pb2.Struct, urn: str) -> struct_pb2.Struct:
        response = self.stub.Read(provider_pb2.ReadRequest(id=id_, urn=urn, properties=state))
        if response.id != id_:
            raise RuntimeError(f"read of {id_} answered id {response.id!r}")
        properties: struct_pb2.Struct = response.properties
        return properties

    def delete_raw(self, id_: str, state: struct_pb2.Struct, urn: str) -> None:
        self.stub.Delete(provider_pb2.DeleteRequest(id=id_, urn=urn, properties=state))

    @property
    def pid(self) -> int:
        return self.process.pid

    def close(self) -> tuple[str, str]:
        """Stop the provider process; returns its stdout and stderr for leak checks."""
        self.channel.close()
        if self.process.poll() is None:
            self.process.terminate()
        try:
            out, err = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate(timeout=10)
        return out.decode(errors="replace"), (err or b"").decode(errors="replace")

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def grpc_details(error: grpc.RpcError) -> str:
    details = error.details()
    return str(details)
