"""State compatibility with the real CLI: ``python -m bench.compat [--ref REF]``.

A stack is created by pulumi_rtk as it is at a git ref (default ``HEAD``, taken with
``git archive``, which changes nothing in the repository), then driven by the working tree's
pulumi_rtk: ``pulumi preview --expect-no-changes``, ``pulumi up --expect-no-changes`` (which
must send no write to the API and leave every resource's inputs and outputs as they were,
secrets compared in plaintext), ``pulumi refresh --expect-no-changes``, ``pulumi up
--expect-no-changes`` again, and ``pulumi destroy`` (which must stop every recording). Both
versions run from the same virtualenv; ``PYTHONPATH`` picks the code, for the program and the
provider process alike.

The stack holds every kind of resource: a Recording with every start option of benchmark 6
(storage credentials included), one with ``allow_multiple_recordings`` and ``paused``, one that
waited for RECORDING, a TrackRecording, a Meeting with a storage config, and a Webhook.
Exits 1 when a step fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import EmulatorProcess, start_body
from bench.deploy import Project, cli_env, configure_rtk
from pulumi_rtk.vocabulary import ACTIVE_STATUSES
from tests.support.cli import locate_cli
from tests.support.values import REPO

PROGRAM = """
    import json

    import pulumi
    import pulumi_rtk
    from pulumi_rtk import AwsStorage, RecordingConfig, VideoConfig, Watermark

    meetings = json.load(open("meetings.json"))
    full = pulumi_rtk.Recording("full", **json.load(open("body.json")))
    pulumi_rtk.Recording(
        "multiple",
        meeting_id=meetings["multiple"],
        allow_multiple_recordings=True,
        paused=True,
        file_name_prefix="side",
        video_config=VideoConfig(codec="VP8", watermark=Watermark(url="https://example.com/w.png")),
    )
    pulumi_rtk.Recording(
        "waited",
        meeting_id=meetings["waited"],
        wait_for_status="RECORDING",
        wait_timeout_seconds=30,
    )
    pulumi_rtk.TrackRecording(
        "tracks",
        meeting_id=meetings["tracks"],
        layers={"default": {"file_name_prefix": "t", "media_kind": "audio"}},
    )
    meeting = pulumi_rtk.Meeting(
        "meeting",
        title="compat",
        persist_chat=True,
        recording_config=RecordingConfig(
            max_seconds=600,
            storage_config=AwsStorage(
                bucket="b", region="us-east-1", access_key="AKIACOMPAT", secret="compat-secret"
            ),
        ),
    )
    hook = pulumi_rtk.Webhook(
        "hook", url="https://example.com/hook", events=["recording.statusUpdate"]
    )
    pulumi.export("status", full.status)
    pulumi.export("created", meeting.created_at)
    pulumi.export("hook_enabled", hook.enabled)
"""


class CompatError(Exception):
    """A step of the check did not go as a compatible version must."""


def _archive(ref: str, into: Path) -> str:
    """The tree at ``ref`` extracted into ``into``; returns the commit it resolved to."""
    commit = subprocess.run(
        ["git", "rev-parse", "--verify", f"{ref}^{{commit}}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    archive = subprocess.run(["git", "archive", commit], cwd=REPO, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return commit


def _resources(export: str) -> dict[str, Any]:
    deployment = json.loads(export)["deployment"]
    return {
        r["urn"]: (r.get("inputs"), r.get("outputs"))
        for r in deployment["resources"]
        if r["type"].startswith("pulumi-python:dynamic")
    }


def check(ref: str) -> list[str]:
    """Run the check; the lines of its report. Raises CompatError on the first failed step."""
    bin_dir, why = locate_cli()
    if bin_dir is None:
        raise CompatError(f"no Pulumi CLI ({why})")
    report: list[str] = []
    with (
        tempfile.TemporaryDirectory(prefix="rtk-compat-") as tmp,
        EmulatorProcess("--invoke-delay", "0") as emu,
    ):
        root = Path(tmp)
        old_tree = root / "old"
        old_tree.mkdir()
        commit = _archive(ref, old_tree)
        (root / "cli").mkdir()
        env = cli_env(bin_dir, root / "cli")
        trees = {"old": old_tree, "new": REPO}
        project = Project(root / "cli", "compat", PROGRAM, env)

        def run(tree: str, *args: str) -> str:
            project.env = {**env, "PYTHONPATH": f"{trees[tree]}:{env['PYTHONPATH']}"}
            proc = subprocess.run(
                ["pulumi", *args, "--non-interactive"],
                cwd=project.dir,
                env=project.env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if proc.returncode != 0:
                tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-30:])
                raise CompatError(f"pulumi {' '.join(args)} ({tree} code) failed:\n{tail}")
            if args[0] != "stack":
                report.append(f"ok: pulumi {' '.join(args)}  ({tree} code)")
            return proc.stdout

        ids = emu.fresh_meetings(4)
        meetings = dict(zip(("full", "multiple", "waited", "tracks"), ids, strict=True))
        emu.admin.join(meetings["tracks"], "speaker")  # a track recording needs a live session
        (project.dir / "meetings.json").write_text(json.dumps(meetings))
        (project.dir / "body.json").write_text(json.dumps(start_body(meetings["full"])))
        project.pulumi("stack", "init", "compat")
        configure_rtk(project, emu)
        report.append(f"stack created by pulumi_rtk at {ref} ({commit[:12]})")
        run("old", "up", "--yes", "--skip-preview")
        before = _resources(run("old", "stack", "export", "--show-secrets"))
        emu.admin.clear_requests()
        run("new", "preview", "--expect-no-changes", "--diff")
        run("new", "up", "--yes", "--skip-preview", "--expect-no-changes")
        writes = [f"{r.method} {r.path}" for r in emu.admin.requests() if r.method != "GET"]
        if writes:
            raise CompatError(f"the working tree's preview and up wrote to the API: {writes}")
        after = _resources(run("new", "stack", "export", "--show-secrets"))
        if after != before:
            changed = sorted(urn.rsplit("::", 1)[1] for urn in before if before[urn] != after[urn])
            raise CompatError(f"the working tree's up changed the state of {changed}")
        report.append(
            f"ok: no write to the API; inputs and outputs of all {len(before)} resources "
            "unchanged (secrets compared in plaintext)"
        )
        run("new", "refresh", "--yes", "--skip-preview", "--expect-no-changes")
        run("new", "up", "--yes", "--skip-preview", "--expect-no-changes")
        run("new", "destroy", "--yes", "--skip-preview")
        running = [r["id"] for r in emu.admin.recordings() if r["status"] in ACTIVE_STATUSES]
        if running:
            raise CompatError(f"recordings still running after destroy: {running}")
        report.append("ok: every recording stopped")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compat", description=__doc__)
    parser.add_argument("--ref", default="HEAD", help="git ref that creates the stack (HEAD)")
    args = parser.parse_args(argv)
    try:
        lines = check(args.ref)
    except CompatError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
