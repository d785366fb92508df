"""What a Pulumi program registers: type tokens, props, secrets and options, seen by mocks.

``set_mocks`` replaces the SDK's global settings, so every test here installs fresh mocks and
nothing else in the suite uses them.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import inspect
import threading
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import dill
import pulumi
import pytest
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

from pulumi_rtk import (
    AudioConfig,
    AwsStorage,
    InteractiveConfig,
    Meeting,
    RealtimekitBucketConfig,
    Recording,
    RtmpOutConfig,
    SftpStorage,
    TrackLayer,
    TrackRecording,
    VideoConfig,
    Watermark,
    WatermarkSize,
    Webhook,
)
from pulumi_rtk.provider import RecordingProvider, TrackRecordingProvider
from pulumi_rtk.vocabulary import START_OPTIONS
from pulumi_rtk.vocabulary import STORAGE_SECRET_FIELDS as SECRET_FIELDS
from tests.support.values import (
    ACCOUNT,
    APP,
    AWS_ACCESS_KEY,
    AWS_SECRET,
    SFTP_PASSWORD,
    SFTP_PRIVATE_KEY,
    aws_storage,
)

RECORDING = "pulumi-python:dynamic/rtk:Recording"
TRACK = "pulumi-python:dynamic/rtk:TrackRecording"
MEETING = "c0fcfc9e-811d-4e19-b84f-13f95e278bd9"

# Every start option, as a program writes it with the typed classes...
TYPED: dict[str, Any] = {
    "allow_multiple_recordings": True,
    "audio_config": AudioConfig(codec="AAC", channel="stereo", export_file=True),
    "file_name_prefix": "standup",
    "interactive_config": InteractiveConfig(type="ID3"),
    "max_seconds": 3600,
    "realtimekit_bucket_config": RealtimekitBucketConfig(enabled=True),
    "rtmp_out_config": RtmpOutConfig(rtmp_url="rtmp://live.example.com/app/key"),
    "storage_config": SftpStorage(
        host="sftp.example.com",
        port=2222,
        username="recorder",
        auth_method="KEY",
        private_key=SFTP_PRIVATE_KEY,
        password=SFTP_PASSWORD,
        path="meetings/",
    ),
    "url": "https://example.com/board",
    "video_config": VideoConfig(
        codec="H264",
        width=1280,
        height=720,
        export_file=False,
        watermark=Watermark(
            url="https://example.com/logo.png",
            position="left top",
            size=WatermarkSize(width=120, height=40),
        ),
    ),
}
# ...and as plain dicts with the API's snake_case keys: both must register the same props.
PLAIN: dict[str, Any] = {
    "allow_multiple_recordings": True,
    "audio_config": {"codec": "AAC", "channel": "stereo", "export_file": True},
    "file_name_prefix": "standup",
    "interactive_config": {"type": "ID3"},
    "max_seconds": 3600,
    "realtimekit_bucket_config": {"enabled": True},
    "rtmp_out_config": {"rtmp_url": "rtmp://live.example.com/app/key"},
    "storage_config": {
        "type": "sftp",
        "host": "sftp.example.com",
        "port": 2222,
        "username": "recorder",
        "auth_method": "KEY",
        "private_key": SFTP_PRIVATE_KEY,
        "password": SFTP_PASSWORD,
        "path": "meetings/",
    },
    "url": "https://example.com/board",
    "video_config": {
        "codec": "H264",
        "width": 1280,
        "height": 720,
        "export_file": False,
        "watermark": {
            "url": "https://example.com/logo.png",
            "position": "left top",
            "size": {"width": 120, "height": 40},
        },
    },
}


class Registration(NamedTuple):
    """One resource the program registered, as the engine would receive it."""

    kind: str  # "register" or "read"
    type: str
    name: str
    id: str
    inputs: dict[str, Any]
    secret_outputs: list[str]


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = {**args.inputs, "status": "RECORDING"}
        return (args.resource_id or f"{args.name}-id", state)

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, keeping each request's inputs and resource options."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registered: list[Registration] = []
        self._lock = threading.Lock()

    def _keep(self, kind: str, request: Any, id_: str, struct: Any) -> None:
        inputs = dict(rpc.deserialize_properties(struct))
        entry = Registration(
            kind, request.type, request.name, id_, inputs, list(request.additionalSecretOutputs)
        )
        with self._lock:
            self.registered.append(entry)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (the gRPC method name)
        if request.type != "pulumi:pulumi:Stack":
            self._keep("register", request, request.importId, request.object)
        register: Callable[[Any], Any] = super().RegisterResource
        return register(request)

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 (the gRPC method name)
        self._keep("read", request, request.id, request.properties)
        read: Callable[[Any], Any] = super().ReadResource
        return read(request)

    def one(self, name: str) -> Registration:
        (found,) = [entry for entry in self.registered if entry.name == name]
        return found


@pytest.fixture
def monitor() -> Iterator[RecordingMonitor]:
    """Fresh mocks on a fresh event loop (``asyncio.run`` elsewhere leaves none current)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks = Mocks()
    instance = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="rtktest", stack="dev", preview=False, monitor=instance)
    try:
        yield instance
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def run(program: Callable[[], pulumi.Output[Any]]) -> None:
    """Run a program under the mocks until the Output it returns has resolved."""
    runner: Callable[[Callable[[], pulumi.Output[Any]]], Callable[[], None]] = pulumi.runtime.test
    runner(program)()


def unwrapped(value: Any) -> Any:
    """Props with every secret marker removed."""
    if rpc.is_rpc_secret(value):
        return unwrapped(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {key: unwrapped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrapped(item) for item in value]
    return value


def secret_paths(value: Any, path: str = "") -> set[str]:
    """Dotted paths of the values the engine received as secrets."""
    if rpc.is_rpc_secret(value):
        return {path}
    if isinstance(value, dict):
        found: set[str] = set()
        for key, item in value.items():
            found |= secret_paths(item, f"{path}.{key}" if path else key)
        return found
    return set()


def none_paths(value: Any, path: str = "") -> set[str]:
    if value is None:
        return {path}
    if isinstance(value, dict):
        found: set[str] = set()
        for key, item in value.items():
            found |= none_paths(item, f"{path}.{key}" if path else key)
        return found
    return set()


def unpickled(inputs: dict[str, Any]) -> object:
    return dill.loads(base64.b64decode(unwrapped(inputs["__provider"])))


def covered_by_secret(path: str, secrets: set[str]) -> bool:
    return any(path == s or path.startswith(s + ".") for s in secrets)


def test_recording_registers_every_start_option_under_api_keys(monitor: RecordingMonitor) -> None:
    def program() -> pulumi.Output[Any]:
        typed = Recording("typed", meeting_id=MEETING, **TYPED)
        plain = Recording("plain", meeting_id=MEETING, **PLAIN)
        return pulumi.Output.all(typed.id, plain.id)

    run(program)
    typed, plain = monitor.one("typed"), monitor.one("plain")
    assert typed.kind == plain.kind == "register"
    assert typed.type == plain.type == RECORDING
    assert set(typed.inputs) == {"__provider", "meeting_id", *START_OPTIONS}
    expected = {"meeting_id": MEETING, **PLAIN}
    assert {k: v for k, v in unwrapped(typed.inputs).items() if k != "__provider"} == expected
    assert {k: v for k, v in unwrapped(plain.inputs).items() if k != "__provider"} == expected


def test_unset_options_are_not_registered_at_all(monitor: RecordingMonitor) -> None:
    def program() -> pulumi.Output[Any]:
        bare = Recording("bare", meeting_id=MEETING)
        sparse = Recording(
            "sparse",
            meeting_id=MEETING,
            video_config=VideoConfig(codec="VP8", watermark=Watermark(url=None)),
            audio_config={"channel": "mono", "codec": None},
            storage_config=AwsStorage(
                bucket="b", region="r", access_key=AWS_ACCESS_KEY, secret=AWS_SECRET
            ),
        )
        return pulumi.Output.all(bare.id, sparse.id)

    run(program)
    bare, sparse = monitor.one("bare"), monitor.one("sparse")
    assert set(bare.inputs) == {"__provider", "meeting_id"}
    assert unwrapped(sparse.inputs)["video_config"] == {"codec": "VP8", "watermark": {}}
    assert unwrapped(sparse.inputs)["audio_config"] == {"channel": "mono"}
    assert "path" not in unwrapped(sparse.inputs)["storage_config"]
    assert none_paths(unwrapped(sparse.inputs)) == set()


def test_provider_only_switches_and_ids_are_registered(monitor: RecordingMonitor) -> None:
    switches: dict[str, Any] = {
        "paused": True,
        "wait_for_status": "RECORDING",
        "wait_timeout_seconds": 120,
        "adopt_recording_id": "0f0f0f0f-0000-4000-8000-000000000000",
        "account_id": ACCOUNT,
        "app_id": APP,
    }

    def program() -> pulumi.Output[Any]:
        return Recording("switches", meeting_id=MEETING, **switches).id

    run(program)
    inputs = unwrapped(monitor.one("switches").inputs)
    assert {k: v for k, v in inputs.items() if k != "__provider"} == {
        "meeting_id": MEETING,
        **switches,
    }


def test_the_pickled_provider_is_the_recording_provider_with_no_state(
    monitor: RecordingMonitor,
) -> None:
    def program() -> pulumi.Output[Any]:
        return Recording("r", meeting_id=MEETING, storage_config=aws_storage()).id

    run(program)
    provider = unpickled(monitor.one("r").inputs)
    assert type(provider) is RecordingProvider
    assert provider._settings is None
    blob = base64.b64decode(unwrapped(monitor.one("r").inputs["__provider"]))
    for secret in (AWS_ACCESS_KEY.encode(), AWS_SECRET.encode()):
        assert secret not in blob


@pytest.mark.parametrize(
    "storage",
    [
        pytest.param(
            AwsStorage(bucket="b", region="r", access_key=AWS_ACCESS_KEY, secret=AWS_SECRET),
            id="typed-aws",
        ),
        pytest.param(aws_storage(), id="dict-aws"),
        pytest.param(PLAIN["storage_config"], id="dict-sftp"),
        pytest.param(TYPED["storage_config"], id="typed-sftp"),
    ],
)
def test_storage_credentials_reach_the_engine_as_secrets(
    monitor: RecordingMonitor, storage: Any
) -> None:
    def program() -> pulumi.Output[Any]:
        video = VideoConfig(codec="H264")
        return Recording("r", meeting_id=MEETING, storage_config=storage, video_config=video).id

    run(program)
    entry = monitor.one("r")
    secrets = secret_paths(entry.inputs)
    storage_props = unwrapped(entry.inputs)["storage_config"]
    credentials = [f"storage_config.{key}" for key in storage_props if key in SECRET_FIELDS]
    assert credentials, "the storage config has credentials"
    for path in credentials:
        assert covered_by_secret(path, secrets), f"{path} is not secret"
    assert not covered_by_secret("video_config", secrets)
    assert not covered_by_secret("meeting_id", secrets)
    assert "storage_config" in entry.secret_outputs


def test_a_storage_config_from_another_output_is_secret(monitor: RecordingMonitor) -> None:
    def program() -> pulumi.Output[Any]:
        storage = pulumi.Output.from_input(aws_storage())
        return Recording("r", meeting_id=MEETING, storage_config=storage).id

    run(program)
    entry = monitor.one("r")
    assert "storage_config" in secret_paths(entry.inputs)
    assert unwrapped(entry.inputs)["storage_config"] == aws_storage()


def test_every_recording_marks_storage_config_as_an_additional_secret_output(
    monitor: RecordingMonitor,
) -> None:
    def program() -> pulumi.Output[Any]:
        opts = pulumi.ResourceOptions(additional_secret_outputs=["download_url"])
        return Recording("r", meeting_id=MEETING, opts=opts).id

    run(program)
    assert set(monitor.one("r").secret_outputs) == {"storage_config", "download_url"}


def test_output_attributes_exist_and_resolve(monitor: RecordingMonitor) -> None:
    seen: dict[str, Any] = {}

    def program() -> pulumi.Output[Any]:
        recording = Recording("r", meeting_id=MEETING)
        assert isinstance(recording.download_url, pulumi.Output)
        assert isinstance(recording.stop_reason, pulumi.Output)
        return pulumi.Output.all(recording.id, recording.status, recording.meeting_id).apply(
            lambda values: seen.update(values=values)
        )

    run(program)
    assert seen["values"] == ["r-id", "RECORDING", MEETING]


def test_unset_inputs_are_attributes_that_resolve_to_none(monitor: RecordingMonitor) -> None:
    """Unset inputs are not registered (each would cost the SDK an Output to track), yet their
    attributes exist as before: None once the recording exists, dependent on it."""
    seen: dict[str, Any] = {}

    def program() -> pulumi.Output[Any]:
        recording = Recording("r", meeting_id=MEETING)
        # Untyped (inputs are not outputs of a Recording), but there at run time, as before.
        url, video = getattr(recording, "url"), getattr(recording, "video_config")  # noqa: B009
        assert isinstance(url, pulumi.Output)
        assert getattr(recording, "url") is url  # noqa: B009
        with pytest.raises(AttributeError):
            getattr(recording, "no_such_attribute")  # noqa: B009
        return pulumi.Output.all(recording.paused, url, video).apply(
            lambda values: seen.update(values=values)
        )

    run(program)
    assert seen["values"] == [None, None, None]


def test_recording_get_reads_the_existing_recording_by_id(monitor: RecordingMonitor) -> None:
    rid = "0f0f0f0f-0000-4000-8000-000000000000"
    seen: dict[str, Any] = {}

    def program() -> pulumi.Output[Any]:
        found = Recording.get("found", rid, account_id=ACCOUNT)
        assert isinstance(found, Recording)
        return found.id.apply(lambda value: seen.update(id=value))

    run(program)
    entry = monitor.one("found")
    assert (entry.kind, entry.type, entry.id) == ("read", RECORDING, rid)
    assert {k: v for k, v in unwrapped(entry.inputs).items() if k != "__provider"} == {
        "account_id": ACCOUNT
    }
    assert type(unpickled(entry.inputs)) is RecordingProvider
    assert "storage_config" in entry.secret_outputs
    assert seen["id"] == rid
    assert [e.kind for e in monitor.registered] == ["read"]


@pytest.mark.parametrize("cls", [Meeting, Webhook, TrackRecording])
def test_every_resource_has_a_read_only_get(
    monitor: RecordingMonitor, cls: type[Meeting | Webhook | TrackRecording]
) -> None:
    object_id = "497f6eca-6276-4993-bfeb-53cbbbba6f08"

    def program() -> pulumi.Output[Any]:
        found = cls.get("found", object_id, app_id=APP)
        assert isinstance(found, cls)
        return found.id

    run(program)
    entry = monitor.one("found")
    assert (entry.kind, entry.type, entry.id) == (
        "read",
        f"pulumi-python:dynamic/rtk:{cls.__name__}",
        object_id,
    )
    assert {k: v for k, v in unwrapped(entry.inputs).items() if k != "__provider"} == {
        "app_id": APP
    }
    assert type(unpickled(entry.inputs)) is cls._provider_class


def test_track_recording_registers_its_type_and_props(monitor: RecordingMonitor) -> None:
    def program() -> pulumi.Output[Any]:
        typed = TrackRecording(
            "typed",
            meeting_id=MEETING,
            layers={"default": TrackLayer(file_name_prefix="tracks", media_kind="audio")},
            user_ids=["u1", "u2"],
            app_id=APP,
        )
        plain = TrackRecording(
            "plain",
            meeting_id=MEETING,
            layers={"default": {"file_name_prefix": "tracks", "media_kind": "audio"}},
            user_ids=("u1", "u2"),
            app_id=APP,
        )
        bare = TrackRecording("bare", meeting_id=MEETING)
        return pulumi.Output.all(typed.id, plain.id, bare.id)

    run(program)
    expected = {
        "meeting_id": MEETING,
        "layers": {"default": {"file_name_prefix": "tracks", "media_kind": "audio"}},
        "user_ids": ["u1", "u2"],
        "app_id": APP,
    }
    for name in ("typed", "plain"):
        entry = monitor.one(name)
        assert entry.type == TRACK
        assert {k: v for k, v in unwrapped(entry.inputs).items() if k != "__provider"} == expected
        assert type(unpickled(entry.inputs)) is TrackRecordingProvider
    assert set(monitor.one("bare").inputs) == {"__provider", "meeting_id"}


@pytest.mark.parametrize("cls", [Recording, TrackRecording, Meeting, Webhook])
def test_type_checkers_know_every_attribute_a_resource_has(cls: type[Any]) -> None:
    """Each input and each reported key is an ``Output`` attribute at run time; a program's
    type checker knows only what the class declares under ``TYPE_CHECKING``, so a name missing
    there makes correct user code fail ``mypy --strict``."""
    module = ast.parse(inspect.getsource(inspect.getmodule(cls)))  # type: ignore[arg-type]
    [node] = [n for n in module.body if isinstance(n, ast.ClassDef) and n.name == cls.__name__]
    declared = {
        statement.target.id
        for block in node.body
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for statement in block.body
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
    }
    assert declared == cls._input_names | set(cls._reports)
