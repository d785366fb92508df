"""The engine's side of a dynamic provider: ``python -u -m pulumi.dynamic`` driven over gRPC.

A copy of what ``tests/harness.py`` does, trimmed for speed: requests are built once and the
engine's state (the ``properties`` Struct a Create or Read returns) is passed on as is, the way
the engine stores and resends it, so the benchmark process spends no Python time converting
properties that the real (Go) engine would not spend either.
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime._serialization import _serialize
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from bench.common import PROJECT

RECORDING_TYPE = "pulumi-python:dynamic/rtk:Recording"
PROVIDER_KEY = "__provider"


def pickled(provider: ResourceProvider) -> str:
    """The ``__provider`` string ``pulumi.dynamic.Resource`` stores in state (base64 dill)."""
    serialized, _ = _serialize(True, serialize_provider, provider)
    return str(serialized)


def pickled_bytes(provider: ResourceProvider) -> bytes:
    return base64.b64decode(pickled(provider))


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    return asyncio.run(rpc.serialize_properties(dict(props), {}))


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    return dict(rpc.deserialize_properties(struct, keep_unknowns=True))


class EngineProcess:
    """One provider process, started as the engine starts it."""

    def __init__(self, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic", "127.0.0.1:1"],
            cwd=cwd,
            env={**os.environ, "PULUMI_PROJECT": PROJECT, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)

    @property
    def pid(self) -> int:
        return self.process.pid

    @staticmethod
    def urn(name: str) -> str:
        return f"urn:pulumi:bench::{PROJECT}::{RECORDING_TYPE}::{name}"

    def configure(self, config: Mapping[str, str]) -> None:
        self.stub.Configure(provider_pb2.ConfigureRequest(args=to_struct(config)))

    def create_request(self, inputs: Mapping[str, Any], name: str) -> provider_pb2.CreateRequest:
        return provider_pb2.CreateRequest(urn=self.urn(name), properties=to_struct(inputs))

    def create(self, request: provider_pb2.CreateRequest) -> tuple[str, struct_pb2.Struct]:
        response = self.stub.Create(request)
        return str(response.id), response.properties

    def read(self, id_: str, state: struct_pb2.Struct, urn: str) -> struct_pb2.Struct:
        response = self.stub.Read(provider_pb2.ReadRequest(id=id_, urn=urn, properties=state))
        if response.id != id_:
            raise RuntimeError(f"read of {id_} answered id {response.id!r}")
        properties: struct_pb2.Struct = response.properties
        return properties

    def delete(self, id_: str, state: struct_pb2.Struct, urn: str) -> None:
        self.stub.Delete(provider_pb2.DeleteRequest(id=id_, urn=urn, properties=state))

    def close(self) -> None:
        self.channel.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> EngineProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
