"""Drive a RealtimeKit recording setup from Python with Pulumi's Automation API.

The stack's program is a function in this file (an *inline program*): a meeting that records
itself into the team's bucket, a webhook that announces every recording, and, with
``--record``, a recording of that meeting started right away. There is no ``Pulumi.yaml`` and no
``__main__.py`` to keep in step: this script creates the workspace, writes the stack's config
and secrets, runs the operation and reads the outputs back.

    python driver.py up          # create or update; prints the outputs
    python driver.py preview     # what `up` would do
    python driver.py refresh     # read every resource back from the API into the state
    python driver.py destroy     # deactivate the meeting, delete the webhook
    python driver.py outputs     # the stack outputs, as JSON

Settings come from the environment (see ``Settings.from_env``) and the options (``--help``).
``--state-dir`` keeps the project's settings and the stack's config (secrets encrypted with
``PULUMI_CONFIG_PASSPHRASE``), and the state too (a local file backend) unless
``PULUMI_BACKEND_URL`` names another backend.
A failure exits non-zero with one line per failing resource, e.g.
``error: rtk:Meeting 'standup': recording_config.max_seconds: must be at least 60``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi import automation as auto
from pulumi.automation import events

import pulumi_rtk as rtk

PROJECT = "rtk-automation"
STACK_TYPE = "pulumi:pulumi:Stack"
EVENTS = ["recording.statusUpdate", "meeting.ended"]

# Exit codes: an operation the engine reported as failed, and a driver that cannot even start.
FAILED = 1
USAGE = 2


class SetupError(Exception):
    """Something to fix before any Pulumi operation can run (a missing setting, say)."""


@dataclass(frozen=True)
class Settings:
    """What the stack's config is written from: the API endpoint, account, app, secrets."""

    account_id: str
    app_id: str
    api_token: str
    storage_access_key: str
    storage_secret: str
    api_base_url: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """The provider's own variable names (``CLOUDFLARE_API_TOKEN``, ...), plus the bucket's
        credentials; every missing one is named at once."""
        names = {
            "account_id": "CLOUDFLARE_ACCOUNT_ID",
            "app_id": "RTK_APP_ID",
            "api_token": "CLOUDFLARE_API_TOKEN",
            "storage_access_key": "RTK_STORAGE_ACCESS_KEY",
            "storage_secret": "RTK_STORAGE_SECRET",
        }
        missing = [var for var in names.values() if not env.get(var)]
        if missing:
            raise SetupError(f"set {', '.join(missing)} in the environment")
        values = {field: env[var] for field, var in names.items()}
        return cls(**values, api_base_url=env.get("RTK_API_BASE_URL") or None)


def program() -> None:
    """The inline program: what the stack declares, read from the stack's config.

    It runs inside this process (the Automation API serves it to the engine over gRPC), while
    each resource's provider runs in a separate Python process started by the engine; see
    ``workspace_options`` for what that process needs.
    """
    config = pulumi.Config()
    storage = rtk.AwsStorage(
        bucket=config.require("bucket"),
        region=config.require("region"),
        access_key=config.require_secret("storageAccessKey"),
        secret=config.require_secret("storageSecret"),
        path="standup/",
    )
    max_seconds = config.require_int("maxSeconds")
    # Files go to the team's bucket only, not also to RealtimeKit's.
    own_bucket_only = rtk.RealtimekitBucketConfig(enabled=False)
    meeting = rtk.Meeting(
        "standup",
        title=config.require("title"),
        record_on_start=True,
        recording_config=rtk.RecordingConfig(
            storage_config=storage,
            file_name_prefix="standup",
            max_seconds=max_seconds,
            realtimekit_bucket_config=own_bucket_only,
        ),
    )
    webhook = rtk.Webhook("uploads", url=config.require("webhookUrl"), events=EVENTS)
    pulumi.export("meeting_id", meeting.id)
    pulumi.export("meeting_status", meeting.status)
    pulumi.export("webhook_id", webhook.id)
    if config.get_bool("recordNow"):
        recording = rtk.Recording(
            "standup-now",
            meeting_id=meeting.id,
            storage_config=storage,
            max_seconds=max_seconds,
            realtimekit_bucket_config=own_bucket_only,
            wait_for_status="RECORDING",
        )
        pulumi.export("recording_id", recording.id)
        pulumi.export("recording_status", recording.status)


def stack_config(settings: Settings, args: argparse.Namespace) -> dict[str, auto.ConfigValue]:
    """The stack's config, written from code on every run: secrets are encrypted with the
    stack's passphrase in ``Pulumi.<stack>.yaml`` and shown as ``[secret]`` in every output."""
    config = {
        "rtk:accountId": auto.ConfigValue(settings.account_id),
        "rtk:appId": auto.ConfigValue(settings.app_id),
        "rtk:apiToken": auto.ConfigValue(settings.api_token, secret=True),
        "storageAccessKey": auto.ConfigValue(settings.storage_access_key, secret=True),
        "storageSecret": auto.ConfigValue(settings.storage_secret, secret=True),
        "bucket": auto.ConfigValue(args.bucket),
        "region": auto.ConfigValue(args.region),
        "title": auto.ConfigValue(args.title),
        "maxSeconds": auto.ConfigValue(str(args.max_seconds)),
        "webhookUrl": auto.ConfigValue(args.webhook_url),
        "recordNow": auto.ConfigValue("true" if args.record else "false"),
    }
    if settings.api_base_url:
        config["rtk:apiBaseUrl"] = auto.ConfigValue(settings.api_base_url)
    return config


def workspace_options(state_dir: Path, env: Mapping[str, str]) -> auto.LocalWorkspaceOptions:
    """A workspace whose dynamic providers run with this very interpreter.

    pulumi/pulumi#7960: with an inline program, the engine still starts each dynamic resource's
    provider as a separate process, ``pulumi-resource-pulumi-python``, which unpickles the
    provider (``pulumi_rtk.provider.MeetingProvider``, ...) and so must import ``pulumi_rtk``.
    That process runs ``$PULUMI_RUNTIME_VIRTUALENV/bin/python`` if set, else
    ``$PULUMI_PYTHON_CMD``, else the first ``python3`` on PATH, which is seldom this driver's
    venv (``venv/bin/python driver.py`` does not put ``venv/bin`` on PATH). A ``virtualenv``
    runtime option in the project settings does not help here: for an inline program the CLI
    swaps the project's runtime for the address of this process's language server
    (``--client``), and the options that would become ``PULUMI_RUNTIME_VIRTUALENV`` go with it.
    So ``PULUMI_PYTHON_CMD`` names this interpreter, which has ``pulumi_rtk`` installed.
    """
    env_vars = {"PULUMI_PYTHON_CMD": sys.executable, "PULUMI_SKIP_UPDATE_CHECK": "true"}
    if not env.get("PULUMI_BACKEND_URL"):
        backend = state_dir / "backend"
        backend.mkdir(parents=True, exist_ok=True)
        env_vars["PULUMI_BACKEND_URL"] = backend.resolve().as_uri()
    # Pulumi.yaml and Pulumi.<stack>.yaml (config, and the salt of the passphrase's key) are
    # kept here, not in a new temporary directory each run.
    work_dir = state_dir / "project"
    work_dir.mkdir(parents=True, exist_ok=True)
    return auto.LocalWorkspaceOptions(
        work_dir=str(work_dir.resolve()),
        env_vars=env_vars,
        secrets_provider="passphrase",
        project_settings=auto.ProjectSettings(
            name=PROJECT,
            runtime=auto.ProjectRuntimeInfo(name="python"),
            description="RealtimeKit meeting and webhook, driven by examples/automation",
        ),
    )


class Failures:
    """Collects the engine's error diagnostics by resource, to name what failed and why.

    The CLI's own output (streamed as it comes) repeats a failure in several places, and a
    ``CommandError`` carries all of it; these events say which resource each error is about.
    """

    def __init__(self) -> None:
        self.by_resource: dict[str, list[str]] = {}
        self.general: list[str] = []

    def on_event(self, event: events.EngineEvent) -> None:
        diagnostic = event.diagnostic_event
        if diagnostic is None or diagnostic.severity != "error":
            return
        # urn:pulumi:<stack>::<project>::<type>::<name>
        head, _, name = (diagnostic.urn or "").rpartition("::")
        resource_type = head.rpartition("::")[2]
        if not head or resource_type == STACK_TYPE:
            self._add(self.general, diagnostic.message.strip())
            return
        label = f"{resource_type.removeprefix('pulumi-python:dynamic/')} '{name}'"
        message = _essence(diagnostic.message, f"{resource_type} resource '{name}'")
        self._add(self.by_resource.setdefault(label, []), message)

    @staticmethod
    def _add(messages: list[str], message: str) -> None:
        if message and message not in messages:
            messages.append(message)

    def lines(self) -> list[str]:
        """One line per resource error; stack-level ones only when no resource had any (they
        say no more than "update failed" then)."""
        lines = [
            f"error: {label}: {message}"
            for label, messages in self.by_resource.items()
            for message in messages
        ]
        return lines or [f"error: {message}" for message in self.general]


def _essence(message: str, subject: str) -> str:
    """What a resource's error says, without what the ``error:`` line already names.

    A provider's exception arrives as its whole traceback: only the exception itself is kept,
    without its module (``AuthenticationError: POST ... failed: HTTP 401 ...``). An input the
    provider's check refused arrives as ``<type> resource '<name>' has a problem: <why>``.
    """
    text = message.strip()
    if text.startswith("Traceback (most recent call last):"):
        lines = text.splitlines()
        # Frames and their source lines are indented; the exception follows the last of them.
        last_frame = max((i for i, line in enumerate(lines) if line.startswith("  ")), default=0)
        text = " ".join(line.strip() for line in lines[last_frame + 1 :])
        text = re.sub(r"^(?:\w+\.)+(?=\w+: )", "", text)
    text = text.removeprefix(subject).lstrip(": ")
    return text.removeprefix("has a problem: ")


def print_outputs(stack: auto.Stack) -> None:
    """The stack outputs as JSON; secret ones masked, as the CLI shows them."""
    shown = {
        key: "[secret]" if value.secret else value.value for key, value in stack.outputs().items()
    }
    print(json.dumps(shown, indent=2, sort_keys=True))


def changes(result: object) -> dict[str, int]:
    """Resources by what happened to them (``{"create": 2, "same": 1}``): a preview's planned
    changes, or an update's, refresh's or destroy's summary."""
    if isinstance(result, auto.PreviewResult):
        counts = result.change_summary
    else:
        assert isinstance(result, (auto.UpResult, auto.RefreshResult, auto.DestroyResult))
        counts = result.summary.resource_changes or {}
    # A preview's keys are OpType members (a str Enum), the others plain strings.
    return {op.value if isinstance(op, events.OpType) else op: n for op, n in counts.items()}


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    if not env.get("PULUMI_CONFIG_PASSPHRASE"):
        raise SetupError(
            "set PULUMI_CONFIG_PASSPHRASE: it encrypts the stack's secrets (the API token and "
            "the bucket's credentials)"
        )
    settings = Settings.from_env(env)
    stack = auto.create_or_select_stack(
        stack_name=args.stack,
        project_name=PROJECT,
        program=program,
        opts=workspace_options(Path(args.state_dir), env),
    )
    if args.command == "outputs":
        print_outputs(stack)
        return 0
    stack.set_all_config(stack_config(settings, args))
    failures = Failures()
    # The CLI's output line by line as it comes (flushed: a CI log shows it live too), and the
    # engine's events, which say which resource an error belongs to.
    stream: dict[str, Any] = {
        "on_output": functools.partial(print, flush=True),
        "on_event": failures.on_event,
        "color": "never",
    }
    operations: dict[str, Callable[[], object]] = {
        "preview": lambda: stack.preview(diff=True, **stream),
        "up": lambda: stack.up(diff=True, **stream),
        "refresh": lambda: stack.refresh(**stream),
        "destroy": lambda: stack.destroy(**stream),
    }
    try:
        result = operations[args.command]()
    except auto.CommandError as exc:
        # Stack-level errors only say "update failed"; without any, the CLI's last words.
        lines = failures.lines() or [f"error: {str(exc).strip().splitlines()[-1]}"]
        print(f"\n{args.command} of stack {args.stack!r} failed:", file=sys.stderr)
        for line in lines:
            print(line, file=sys.stderr)
        return FAILED
    print(f"{args.command}: {json.dumps(changes(result), sort_keys=True)}")
    if args.command in {"up", "refresh"}:
        print_outputs(stack)
    return 0


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["preview", "up", "refresh", "destroy", "outputs"])
    parser.add_argument("--stack", default="dev", help="stack name (default: dev)")
    parser.add_argument(
        "--state-dir",
        default=".rtk-automation",
        help="where the project settings and, without PULUMI_BACKEND_URL, the state live",
    )
    parser.add_argument("--title", default="Daily standup", help="the meeting's title")
    parser.add_argument("--bucket", default="acme-recordings", help="S3 bucket of the files")
    parser.add_argument("--region", default="eu-west-1", help="the bucket's region")
    parser.add_argument(
        "--max-seconds", type=int, default=3600, help="recordings stop after this long"
    )
    parser.add_argument(
        "--webhook-url",
        default="https://hooks.example.com/rtk",
        help="where RealtimeKit posts recording and meeting events",
    )
    parser.add_argument(
        "--record", action="store_true", help="also start a recording of the meeting now"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return run(args, os.environ)
    except SetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE


if __name__ == "__main__":
    sys.exit(main())
