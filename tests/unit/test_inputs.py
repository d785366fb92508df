"""Typed inputs: the same props as their dict twins, and credentials always wrapped as secrets."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import pulumi
import pytest

from pulumi_rtk.inputs import (
    AudioConfig,
    AwsStorage,
    AzureStorage,
    DigitalOceanStorage,
    GcsStorage,
    InteractiveConfig,
    RealtimekitBucketConfig,
    RtmpOutConfig,
    SftpStorage,
    TrackLayer,
    VideoConfig,
    Watermark,
    WatermarkSize,
    storage_props,
    to_props,
)
from pulumi_rtk.vocabulary import STORAGE_SECRET_FIELDS as SECRET_FIELDS
from tests.support.values import AWS_ACCESS_KEY, AWS_SECRET, SFTP_PASSWORD, SFTP_PRIVATE_KEY

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Outputs need an event loop; each test gets a fresh one."""
    return asyncio.run(coro)


async def resolved(props: Any) -> Any:
    """Props with every Output replaced by ``("secret" | "plain", value)``."""
    if isinstance(props, pulumi.Output):
        kind = "secret" if await props.is_secret() else "plain"
        return (kind, await props.future())
    if isinstance(props, dict):
        return {key: await resolved(value) for key, value in props.items()}
    return props


@pytest.mark.parametrize(
    ("typed", "twin"),
    [
        (
            AudioConfig(codec="AAC", channel="stereo", export_file=True),
            {"codec": "AAC", "channel": "stereo", "export_file": True},
        ),
        (AudioConfig(channel="mono"), {"channel": "mono"}),
        (
            VideoConfig(codec="H264", width=1280, height=720, export_file=False),
            {"codec": "H264", "width": 1280, "height": 720, "export_file": False},
        ),
        (InteractiveConfig(type="ID3"), {"type": "ID3"}),
        (RealtimekitBucketConfig(enabled=False), {"enabled": False}),
        (
            RtmpOutConfig(rtmp_url="rtmp://live.example.com/app"),
            {"rtmp_url": "rtmp://live.example.com/app"},
        ),
        (
            TrackLayer(file_name_prefix="t", media_kind="audio"),
            {"file_name_prefix": "t", "media_kind": "audio"},
        ),
        (WatermarkSize(width=120), {"width": 120}),
    ],
)
def test_typed_class_and_dict_twin_give_the_same_props(typed: Any, twin: dict[str, Any]) -> None:
    assert to_props(typed) == twin
    assert to_props(twin) == twin


def test_nested_classes_become_nested_props() -> None:
    typed = VideoConfig(
        codec="VP8",
        watermark=Watermark(
            url="https://example.com/logo.png",
            position="left top",
            size=WatermarkSize(width=120, height=40),
        ),
    )
    twin: dict[str, Any] = {
        "codec": "VP8",
        "watermark": {
            "url": "https://example.com/logo.png",
            "position": "left top",
            "size": {"width": 120, "height": 40},
        },
    }
    assert to_props(typed) == twin
    # Typed classes inside dicts and dicts inside typed classes mix freely.
    assert to_props({"codec": "VP8", "watermark": typed.watermark}) == twin
    mixed = VideoConfig(
        codec="VP8", watermark={**twin["watermark"], "size": WatermarkSize(width=120, height=40)}
    )
    assert to_props(mixed) == twin


def test_unset_fields_and_none_values_are_left_out() -> None:
    assert to_props(VideoConfig()) == {}
    assert to_props(Watermark(size=WatermarkSize())) == {"size": {}}
    assert to_props({"codec": None, "watermark": {"url": None, "position": "left top"}}) == {
        "watermark": {"position": "left top"}
    }
    assert to_props(None) is None


def test_interactive_config_defaults_to_id3() -> None:
    """The only documented type, so the bare class means ID3 timed metadata."""
    assert to_props(InteractiveConfig()) == {"type": "ID3"}


def test_outputs_pass_through_untouched() -> None:
    async def check() -> None:
        width = pulumi.Output.from_input(640)
        props = to_props(VideoConfig(width=width))
        assert props["width"] is width

    run(check())


@pytest.mark.parametrize(
    ("cls", "kind"),
    [(AwsStorage, "aws"), (AzureStorage, "azure"), (DigitalOceanStorage, "digitalocean")],
)
def test_keyed_storage_wraps_access_key_and_secret_as_secrets(
    cls: type[AwsStorage], kind: str
) -> None:
    async def check() -> None:
        typed = cls(bucket="b", region="r", access_key=AWS_ACCESS_KEY, secret=AWS_SECRET, path="p/")
        twin = {
            "type": kind,
            "bucket": "b",
            "region": "r",
            "access_key": AWS_ACCESS_KEY,
            "secret": AWS_SECRET,
            "path": "p/",
        }
        expected = {
            **twin,
            "access_key": ("secret", AWS_ACCESS_KEY),
            "secret": ("secret", AWS_SECRET),
        }
        assert await resolved(storage_props(typed)) == expected
        assert await resolved(storage_props(twin)) == expected

    run(check())


def test_sftp_storage_wraps_password_and_private_key_and_keeps_the_rest_plain() -> None:
    async def check() -> None:
        typed = SftpStorage(
            host="sftp.example.com",
            username="recorder",
            auth_method="KEY",
            private_key=SFTP_PRIVATE_KEY,
            password=SFTP_PASSWORD,
            port=2222,
        )
        twin = {
            "type": "sftp",
            "host": "sftp.example.com",
            "username": "recorder",
            "auth_method": "KEY",
            "private_key": SFTP_PRIVATE_KEY,
            "password": SFTP_PASSWORD,
            "port": 2222,
        }
        expected = {
            **twin,
            "private_key": ("secret", SFTP_PRIVATE_KEY),
            "password": ("secret", SFTP_PASSWORD),
        }
        props = storage_props(typed)
        assert await resolved(props) == expected
        assert await resolved(storage_props(twin)) == expected
        plain = {key for key, value in props.items() if not isinstance(value, pulumi.Output)}
        assert plain == {"type", "host", "username", "auth_method", "port"}
        assert not plain & SECRET_FIELDS

    run(check())


def test_gcs_storage_leaves_unset_credentials_out() -> None:
    async def check() -> None:
        assert storage_props(GcsStorage(bucket="b")) == {"type": "gcs", "bucket": "b"}
        with_key = storage_props(GcsStorage(bucket="b", access_key=AWS_ACCESS_KEY))
        assert await resolved(with_key) == {
            "type": "gcs",
            "bucket": "b",
            "access_key": ("secret", AWS_ACCESS_KEY),
        }
        assert storage_props({"type": "gcs", "bucket": "b", "secret": None}) == {
            "type": "gcs",
            "bucket": "b",
        }

    run(check())


def test_a_credential_from_another_output_becomes_secret() -> None:
    async def check() -> None:
        from_stack = pulumi.Output.from_input(SFTP_PASSWORD)
        assert not await from_stack.is_secret()
        props = storage_props({"type": "sftp", "password": from_stack})
        assert await resolved(props) == {"type": "sftp", "password": ("secret", SFTP_PASSWORD)}

    run(check())


def test_a_whole_storage_output_becomes_secret() -> None:
    async def check() -> None:
        whole = pulumi.Output.from_input({"type": "aws", "secret": AWS_SECRET})
        props = storage_props(whole)
        assert isinstance(props, pulumi.Output)
        assert await resolved(props) == ("secret", {"type": "aws", "secret": AWS_SECRET})

    run(check())


def test_no_storage_is_none() -> None:
    assert storage_props(None) is None


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        (42, "int"),
        ("aws", "str"),
        ([{"type": "aws"}], "list"),
        (AudioConfig(codec="AAC"), "AudioConfig"),
    ],
)
def test_storage_props_rejects_wrong_types_with_a_clear_message(
    value: object, type_name: str
) -> None:
    with pytest.raises(TypeError) as caught:
        storage_props(value)
    message = str(caught.value)
    assert message.startswith("storage_config must be AwsStorage")
    assert "SftpStorage" in message
    assert message.endswith(f"not {type_name}")


def test_typed_inputs_are_frozen_and_keyword_only() -> None:
    size = WatermarkSize(width=1)
    with pytest.raises(AttributeError):
        size.width = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        WatermarkSize(1)  # type: ignore[call-arg]
