"""The GitOps kit of examples/gitops: its workflow, checked as text, and its scripts, run here.

The workflow's jobs each run one script of ``examples/gitops/scripts/``; the end-to-end test
runs those same scripts, in a copy of the example outside the repository with the virtualenv
``scripts/install.sh`` makes, against the emulator instead of Cloudflare and a file backend
instead of Pulumi Cloud: a pull request's preview under the policy pack and its comment, the
merge's ``up``, the drift check passing and then failing after changes made behind Pulumi's
back, and the approved ``destroy``. ``report.py``, which writes the comment and the drift report,
is also run offline on fixed output.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # (PyYAML comes with pulumi; no stubs installed)

from tests.support.cli import CLI_TIMEOUT, PASSPHRASE, STACK, Cli, Stack
from tests.support.install import PIP_TIMEOUT, pip_cache
from tests.support.processes import EmulatorProcess, run_group
from tests.support.readme import user_env
from tests.support.values import ACCOUNT, APP, REPO, TOKEN

EXAMPLE = REPO / "examples" / "gitops"
WORKFLOW = EXAMPLE / ".github" / "workflows" / "recordings.yml"
SETUP_ACTION = EXAMPLE / ".github" / "actions" / "setup" / "action.yml"
REPORT = EXAMPLE / "scripts" / "report.py"
ACCESS_KEY = "AKIA-LEAKCHECK-GITOPS-18"
SECRET_KEY = "LEAKCHECK-gitops-secret-c4"
SECRETS = (TOKEN, ACCESS_KEY, SECRET_KEY, PASSPHRASE)

# An action from another repository, pinned to a full commit: a tag can be moved.
PINNED = re.compile(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}")
SECRET_REF = re.compile(r"secrets\.(\w+)")


def load(path: Path) -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(path.read_text())
    return loaded


def steps_of(document: dict[Any, Any]) -> Iterator[dict[str, Any]]:
    """Every step of a workflow's jobs, or of a composite action."""
    if "runs" in document:
        yield from document["runs"]["steps"]
    for job in document.get("jobs", {}).values():
        yield from job["steps"]


# The workflow, as text


def test_workflow_runs_each_step_script_with_secrets_only_where_needed() -> None:
    workflow, setup = load(WORKFLOW), load(SETUP_ACTION)
    triggers: dict[str, Any] = workflow["on" if "on" in workflow else True]  # YAML 1.1: on=true
    assert set(triggers) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert triggers["push"] == {"branches": ["main"]}
    assert triggers["pull_request"] == {"branches": ["main"]}
    assert [entry["cron"] for entry in triggers["schedule"]]
    assert triggers["workflow_dispatch"]["inputs"]["confirm"]["required"] is True

    # One job per event, each running its script (the ones the end-to-end test runs).
    jobs = workflow["jobs"]
    scripts = {"preview": "preview.sh", "up": "up.sh", "drift": "drift.sh", "destroy": "destroy.sh"}
    events = {
        "preview": "pull_request",
        "up": "push",
        "drift": "schedule",
        "destroy": "workflow_dispatch",
    }
    assert set(jobs) == set(scripts)
    for name, job in jobs.items():
        assert job["if"].startswith(f"github.event_name == '{events[name]}'"), job["if"]
        runs = [step["run"].strip() for step in job["steps"] if "run" in step]
        assert f"bash scripts/{scripts[name]}" in runs, runs
        assert job["timeout-minutes"] <= 30
        assert job["steps"][1]["uses"] == "./.github/actions/setup"
    assert "refs/heads/main" in jobs["up"]["if"] and "refs/heads/main" in jobs["destroy"]["if"]
    for step in setup["runs"]["steps"]:
        assert step.get("run", "").strip() in {"", "bash scripts/install.sh"}, step
    for script in [*scripts.values(), "install.sh", "report.py"]:
        assert (EXAMPLE / "scripts" / script).is_file(), script

    # Pull requests preview under the policy pack; main applies under it too.
    for script in ("preview.sh", "up.sh"):
        assert '--policy-pack "$policy"' in (EXAMPLE / "scripts" / script).read_text()
    assert "--preview-only --expect-no-changes" in (EXAMPLE / "scripts" / "drift.sh").read_text()

    # Secrets: the state's token everywhere, Cloudflare's only where the API is called (a
    # preview sends no request), none at the workflow's level or in the setup action.
    def secrets(node: object) -> set[str]:
        return set(SECRET_REF.findall(yaml.safe_dump(node)))

    assert secrets({k: v for k, v in workflow.items() if k != "jobs"}) == set()
    assert secrets(setup) == set()
    assert secrets(jobs["preview"]) == {"PULUMI_ACCESS_TOKEN"}
    for name in ("up", "drift", "destroy"):
        assert secrets(jobs[name]) == {"PULUMI_ACCESS_TOKEN", "CLOUDFLARE_API_TOKEN"}, name
        assert jobs[name]["env"]["CLOUDFLARE_API_TOKEN"] == "${{ secrets.CLOUDFLARE_API_TOKEN }}"
    # The workflow's own GitHub token: only in the two steps that write to GitHub, with the
    # one permission each needs.
    with_token = {
        (name, step["name"])
        for name, job in jobs.items()
        for step in job["steps"]
        if "github.token" in yaml.safe_dump(step)
    }
    assert with_token == {
        ("preview", "Comment on the pull request"),
        ("drift", "Open or update the drift issue"),
    }
    assert workflow["permissions"] == {"contents": "read"}
    assert jobs["preview"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert jobs["drift"]["permissions"] == {"contents": "read", "issues": "write"}
    assert "permissions" not in jobs["up"] and "permissions" not in jobs["destroy"]

    # Destroy waits for the reviewers of a protected environment, and repeats the stack's name.
    assert jobs["destroy"]["environment"] == "recordings-destroy"
    assert [name for name, job in jobs.items() if "environment" in job] == ["destroy"]
    (destroy_step,) = [s for s in jobs["destroy"]["steps"] if "run" in s]
    assert destroy_step["env"]["CONFIRM_STACK"] == "${{ inputs.confirm }}"
    # Jobs that change or read the stack never overlap, and none is cancelled halfway.
    for name in ("up", "drift", "destroy"):
        assert jobs[name]["concurrency"]["cancel-in-progress"] is False
    assert len({jobs[name]["concurrency"]["group"] for name in ("up", "drift", "destroy")}) == 1

    # Actions from elsewhere pinned to a commit; values reach scripts through env only.
    for step in [*steps_of(workflow), *steps_of(setup)]:
        if "uses" in step:
            assert step["uses"].startswith("./") or PINNED.fullmatch(step["uses"]), step
        else:
            assert "${{" not in step["run"], step


def test_the_example_holds_no_path_into_this_repository() -> None:
    """Copied into another repository, every file still works: nothing points back here."""
    assert "virtualenv: venv\n" in (EXAMPLE / "Pulumi.yaml").read_text()
    for path in EXAMPLE.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            text = path.read_text()
            assert "../.." not in text and ".venv" not in text, path


def test_the_example_policy_pack_is_the_repository_pack() -> None:
    """``policy/`` is a copy of the repository's pack; only the venv it runs in differs."""
    copy, original = EXAMPLE / "policy", REPO / "policy"
    for name in ("__main__.py", "rtk_policies.py", "requirements.txt"):
        assert (copy / name).read_text() == (original / name).read_text(), name
    ours, theirs = load(copy / "PulumiPolicy.yaml"), load(original / "PulumiPolicy.yaml")
    assert ours["runtime"]["options"] == {"virtualenv": "../venv"}
    for document in (ours, theirs):
        del document["runtime"]["options"]
    assert ours == theirs
    assert {p.name for p in copy.iterdir() if p.name != "__pycache__"} == {
        "PulumiPolicy.yaml",
        "__main__.py",
        "rtk_policies.py",
        "requirements.txt",
    }


# report.py, offline

PREVIEW_OUTPUT = """\
Previewing update (prod):
  pulumi:pulumi:Stack: (same)
    [urn=urn:pulumi:prod::gitops::pulumi:pulumi:Stack::gitops-prod]
    rtk-policies@v0.1.0 [mandatory]  rtk-webhook-https  (pulumi-python:dynamic/rtk:Webhook: hooks)Webhook URLs use https://.
rtk:Webhook 'hooks': url must use https:// (http:// only to 127.0.0.1, localhost or [::1])
    ~ pulumi-python:dynamic/rtk:Webhook: (update)
        [id=a9b6eb4e-a157-498b-bd8d-9beb95d41214]
        [urn=urn:pulumi:prod::gitops::pulumi-python:dynamic/rtk:Webhook::hooks]
        name   : "hooks"
      ~ url    : "https://hooks.example.com/x" => "http://hooks.example.com/x|y"
    rtk-policies@v0.1.0 [advisory]  rtk-no-realtimekit-bucket  (pulumi-python:dynamic/rtk:Meeting: all-hands)Recording files do not also go to RealtimeKit's own bucket.
rtk:Meeting 'all-hands': recording_config.realtimekit_bucket_config.enabled is not false, so files also go to RealtimeKit's bucket
    ~ pulumi-python:dynamic/rtk:Meeting: (update)
        [id=1158eb23-44c9-49da-a3fe-a72204bcb788]
        [urn=urn:pulumi:prod::gitops::pulumi-python:dynamic/rtk:Meeting::all-hands]
      ~ recording_config: {
          ~ max_seconds: 3600 => 7200
        }
      ~ title           : "All hands" => "All hands (EMEA)"
    + pulumi-python:dynamic/rtk:Webhook: (create)
        [urn=urn:pulumi:prod::gitops::pulumi-python:dynamic/rtk:Webhook::audit]
        url    : "https://audit.example.com/rtk"
Resources:
    + 1 to create
    ~ 2 to update
    1 unchanged

error: preview failed
"""  # noqa: E501 (the CLI's lines, as long as it prints them)

DRIFT_OUTPUT = """\
Previewing refresh (prod):
  pulumi:pulumi:Stack: (same)
    [urn=urn:pulumi:prod::gitops::pulumi:pulumi:Stack::gitops-prod]
    ~ pulumi-python:dynamic/rtk:Meeting: (update)
        [id=1158eb23-44c9-49da-a3fe-a72204bcb788]
        [urn=urn:pulumi:prod::gitops::pulumi-python:dynamic/rtk:Meeting::all-hands]
        status                         : "ACTIVE"
      ~ title                          : "All hands" => "Renamed"
    - pulumi-python:dynamic/rtk:Webhook: (delete)
        [id=a9b6eb4e-a157-498b-bd8d-9beb95d41214]
        [urn=urn:pulumi:prod::gitops::pulumi-python:dynamic/rtk:Webhook::recording-events]
      - enabled   : true
      - url       : "https://hooks.example.com/rtk"
Resources:
    ~ 1 to update
    - 1 to delete
    1 unchanged
error: no changes were expected for refresh but changes were proposed
"""


def report(tmp_path: Path, kind: str, exit_code: int, output: str) -> str:
    """Run report.py as the scripts do, on ``output``; the markdown it wrote."""
    log, out = tmp_path / f"{kind}.log", tmp_path / f"{kind}.md"
    log.write_text(output)
    subprocess.run(
        [
            sys.executable,
            str(REPORT),
            kind,
            "--stack",
            "prod",
            "--exit-code",
            str(exit_code),
            "--log",
            str(log),
            "--out",
            str(out),
        ],
        check=True,
        timeout=60,
    )
    return out.read_text()


def table(markdown: str, header: str) -> list[list[str]]:
    """The rows of the markdown table whose header starts with ``header``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header}"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_report_renders_a_failed_preview_as_a_comment(tmp_path: Path) -> None:
    body = report(tmp_path, "preview", 255, PREVIEW_OUTPUT)
    assert body.splitlines()[0] == "<!-- rtk-gitops:preview:prod -->"
    assert "### ❌ Preview of stack `prod` failed: mandatory policy violations" in body
    assert "**Changes:** + 1 to create, ~ 2 to update, 1 unchanged" in body
    assert table(body, "Level") == [
        [
            "mandatory",
            "`rtk-webhook-https`",
            "`rtk:Webhook 'hooks'`",
            "url must use https:// (http:// only to 127.0.0.1, localhost or [::1])",
        ],
        [
            "advisory",
            "`rtk-no-realtimekit-bucket`",
            "`rtk:Meeting 'all-hands'`",
            "recording_config.realtimekit_bucket_config.enabled is not false, so files also "
            "go to RealtimeKit's bucket",
        ],
    ]
    assert table(body, "Resource") == [
        ["`rtk:Webhook 'hooks'`", "update", "`url`"],
        ["`rtk:Meeting 'all-hands'`", "update", "`recording_config`, `title`"],
        ["`rtk:Webhook 'audit'`", "create", "-"],
    ]
    # The whole output follows, collapsed, as it was (a pipe in it stays a pipe there).
    assert "<details>" in body and PREVIEW_OUTPUT.rstrip("\n") in body


def test_report_renders_drift_no_drift_and_a_check_that_could_not_run(tmp_path: Path) -> None:
    drift = report(tmp_path, "drift", 255, DRIFT_OUTPUT)
    assert drift.splitlines()[0] == "<!-- rtk-gitops:drift:prod -->"
    assert "### ❌ Drift in stack `prod`: 2 resources changed outside Pulumi" in drift
    assert table(drift, "Resource") == [
        ["`rtk:Meeting 'all-hands'`", "update", "`title`"],
        ["`rtk:Webhook 'recording-events'`", "delete", "-"],
    ]
    clean = "Previewing refresh (prod):\nResources:\n    3 unchanged\n"
    assert "### ✅ No drift in stack `prod`" in report(tmp_path, "drift", 0, clean)
    broken = "error: failed to decrypt the stack's secrets\n"
    assert "### ⚠️ The drift check of stack `prod` could not run (exit code 255)" in report(
        tmp_path, "drift", 255, broken
    )
    passed = report(tmp_path, "preview", 0, clean.replace("refresh", "update"))
    assert "### ✅ Preview of stack `prod` passed" in passed
    assert "No resource changes." in passed


def test_report_fits_a_github_comment_whatever_the_output(tmp_path: Path) -> None:
    huge = PREVIEW_OUTPUT + "".join(f'        key{i}: "{"x" * 80}"\n' for i in range(5000))
    body = report(tmp_path, "preview", 255, huge + "```\n")
    assert len(body) < 65536  # GitHub's limit for a comment
    assert "(cut; the job log has it all)" in body
    assert table(body, "Level")[0][1] == "`rtk-webhook-https`"


# The scripts, end to end


@dataclass(frozen=True)
class Script:
    name: str
    returncode: int
    output: str


def run_script(
    project: Path, name: str, env: dict[str, str], *, timeout: float = CLI_TIMEOUT
) -> Script:
    """``bash scripts/<name>`` from the project's root, as the workflow's steps run it."""
    run = run_group(
        ["bash", str(project / "scripts" / name)],
        cwd=project,
        env=env,
        timeout=timeout,
        merge_stderr=True,
    )
    return Script(name, run.returncode, run.stdout)


def test_gitops_scripts_preview_apply_detect_drift_and_destroy(
    cli: Cli,
    emulator: EmulatorProcess,
    wheel: Path,
    pins: Path,
    tmp_path: Path,
) -> None:
    # The repository as a user has it after copying the example: no venv, no stack config.
    stack = Stack(cli, emulator, tmp_path / "gitops", SECRETS)
    project = stack.project
    shutil.copytree(
        EXAMPLE,
        project,
        ignore=shutil.ignore_patterns(
            "__pycache__", "venv", "state", "Pulumi.*.yaml", "preview-comment.md", "drift-report.md"
        ),
    )
    home = tmp_path / "home"
    home.mkdir()
    comment, drift_report = tmp_path / "comment.md", tmp_path / "drift.md"
    env = user_env(
        home,
        cli.bin_dir,
        PULUMI_HOME=str(cli.home),
        PULUMI_BACKEND_URL=stack.backend.as_uri(),
        PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
        PULUMI_STACK=STACK,
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        PYTHONDONTWRITEBYTECODE="1",
        COMMENT_FILE=str(comment),
        DRIFT_REPORT=str(drift_report),
    )
    # Only the jobs that call the API get the token, as in the workflow.
    with_token = {**env, "CLOUDFLARE_API_TOKEN": TOKEN}
    runs: list[Script] = []

    def script(name: str, *, token: bool = False, **extra: str) -> Script:
        run = run_script(project, name, {**(with_token if token else env), **extra})
        runs.append(run)
        return run

    install = run_script(
        project,
        "install.sh",
        {**env, "RTK_PACKAGE": str(wheel), "PIP_CONSTRAINT": str(pins), **pip_cache()},
        timeout=PIP_TIMEOUT,
    )
    assert install.returncode == 0, install.output

    # The stack, set up once (README, "On GitHub"): config and the bucket's credentials in
    # Pulumi.e2e.yaml; the token not in config, the provider reads CLOUDFLARE_API_TOKEN.
    stack.backend.mkdir(parents=True)
    stack.run("stack", "init")
    stack.config("rtk:apiBaseUrl", emulator.base_url)
    stack.config("rtk:accountId", ACCOUNT)
    stack.config("rtk:appId", APP)
    stack.config("rtk:requestTimeoutSeconds", 10)
    stack.config("storageAccessKey", ACCESS_KEY, secret=True)
    stack.config("storageSecret", SECRET_KEY, secret=True)

    # A pull request: the preview under the policy pack (no Cloudflare token), and its comment.
    emulator.admin.clear_requests()
    preview = script("preview.sh")
    assert preview.returncode == 0, preview.output
    assert re.search(r"rtk-policies\|local\|\S*/policy +0\.1\.0", preview.output), preview.output
    body = comment.read_text()
    assert body.startswith(f"<!-- rtk-gitops:preview:{STACK} -->\n")
    assert f"### ✅ Preview of stack `{STACK}` passed" in body
    assert "**Changes:** + 3 to create" in body
    assert "`rtk:Meeting 'all-hands'` | create" in body
    assert "`rtk:Webhook 'recording-events'` | create" in body
    assert emulator.admin.requests() == []

    # A pull request that breaks two policies fails, and its comment says which and where.
    stack.config("maxSeconds", 28800)
    stack.config("webhookUrl", "http://hooks.example.com/rtk")
    failed = script("preview.sh")
    assert failed.returncode != 0
    rows = table(comment.read_text(), "Level")
    assert sorted((row[0], row[1], row[2]) for row in rows) == [
        ("mandatory", "`rtk-max-recording-seconds`", "`rtk:Meeting 'all-hands'`"),
        ("mandatory", "`rtk-webhook-https`", "`rtk:Webhook 'recording-events'`"),
    ], comment.read_text()
    stack.run("config", "rm", "maxSeconds")
    stack.run("config", "rm", "webhookUrl")
    # Settings for the pack reach the scripts: a 1 h limit fails the 90 min default.
    settings = tmp_path / "policy-config.json"
    settings.write_text(json.dumps({"rtk-max-recording-seconds": {"maxSeconds": 3600}}))
    limited = script("preview.sh", POLICY_PACK_CONFIG=str(settings))
    assert limited.returncode != 0
    assert [row[1] for row in table(comment.read_text(), "Level")] == [
        "`rtk-max-recording-seconds`"
    ]
    assert emulator.writes() == []

    # The merge: up creates the meeting and the webhook.
    up = script("up.sh", token=True)
    assert up.returncode == 0, up.output
    meeting_id, hook_id = (
        stack.ids("Meeting")["all-hands"],
        stack.ids("Webhook")["recording-events"],
    )
    meeting = emulator.api("GET", f"meetings/{meeting_id}", TOKEN)["data"]
    assert (meeting["title"], meeting["record_on_start"]) == ("All hands", True)
    assert meeting["recording_config"]["storage_config"]["bucket"] == "acme-recordings"
    assert [h["id"] for h in emulator.api("GET", "webhooks", TOKEN)["data"]] == [hook_id]

    # The schedule: no drift ...
    clean = script("drift.sh", token=True)
    assert clean.returncode == 0, clean.output
    assert f"### ✅ No drift in stack `{STACK}`" in drift_report.read_text()

    # ... until the meeting is renamed and the webhook deleted behind Pulumi's back.
    emulator.api("PATCH", f"meetings/{meeting_id}", TOKEN, {"title": "Renamed in the dashboard"})
    emulator.api("DELETE", f"webhooks/{hook_id}", TOKEN)
    before = stack.export()
    emulator.admin.clear_requests()
    drifted = script("drift.sh", token=True)
    assert drifted.returncode != 0, drifted.output
    text = drift_report.read_text()
    assert f"### ❌ Drift in stack `{STACK}`: 2 resources changed outside Pulumi" in text
    changed = {row[0]: row[1:] for row in table(text, "Resource")}
    assert changed == {
        "`rtk:Meeting 'all-hands'`": ["update", "`title`, `updated_at`"],
        "`rtk:Webhook 'recording-events'`": ["delete", "-"],
    }, text
    assert emulator.writes() == []
    assert stack.export() == before  # a refresh preview leaves the state as it was

    # The next up (--refresh) puts the title back and makes a new webhook.
    emulator.admin.clear_requests()
    assert script("up.sh", token=True).returncode == 0
    assert [(r.method, r.body) for r in emulator.writes() if "/meetings" in r.path] == [
        ("PATCH", {"title": "All hands"})
    ]
    assert [r.method for r in emulator.writes() if "/webhooks" in r.path] == ["POST"]
    assert script("drift.sh", token=True).returncode == 0

    # Destroy: refused without the stack's name repeated, then done with it.
    emulator.admin.clear_requests()
    refused = script("destroy.sh", token=True)
    assert refused.returncode == 2
    assert "CONFIRM_STACK must be 'e2e'" in refused.output
    assert script("destroy.sh", token=True, CONFIRM_STACK="prod").returncode == 2
    assert emulator.admin.requests() == []
    destroyed = script("destroy.sh", token=True, CONFIRM_STACK=STACK)
    assert destroyed.returncode == 0, destroyed.output
    assert emulator.api("GET", f"meetings/{meeting_id}", TOKEN)["data"]["status"] == "INACTIVE"
    assert emulator.api("GET", "webhooks", TOKEN)["data"] == []

    # No secret in any output, comment or report (the state and config hold them encrypted).
    for where, text in [(r.name, r.output) for r in runs] + [
        ("comment", comment.read_text()),
        ("drift report", drift_report.read_text()),
        ("stack export", stack.export()),
    ]:
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} in {where}"
