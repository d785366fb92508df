"""Render the CLI's output as markdown: a pull request comment, or a drift report.

    python3 report.py preview --stack prod --exit-code 1 --log preview.log --out comment.md
    python3 report.py drift --stack prod --exit-code 7 --log refresh.log --out drift.md

``--log`` holds what ``pulumi preview --diff`` (or ``pulumi refresh --preview-only --diff``)
printed, with ``--color never``. The body starts with a hidden marker naming the report and the
stack, which the workflow looks for to update its earlier comment instead of adding another. It
lists the policy violations and the changed resources in tables, then the full output in a
collapsed block. Everything is read from that text, so this runs anywhere, offline, with the
standard library only. The output shows secrets as ``[secret]``, and so does the body.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# GitHub refuses comments over 65536 characters; the full output is cut to fit under this.
MAX_BODY = 60000

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# A step of a --diff display: "    ~ pulumi-python:dynamic/rtk:Meeting: (update)", then the id
# (for existing resources) and the URN, whose last part is the resource's name.
_STEP = re.compile(r"^(?P<indent> *)(?:[-+~]{1,2} )?(?P<type>[\w:/.-]+): \((?P<kind>[\w-]+)\)$")
_URN = re.compile(r"^\s*\[urn=\S+::(?P<name>[^\]]+)\]$")
# A changed property of a step: "      ~ title : ..." at two more spaces than the step.
_PROPERTY = re.compile(r"^(?P<indent> *)[-+~]{1,2} (?P<key>[\w.\[\]-]+)\s*:")
# A policy violation, as --diff prints it: the pack, the level, the policy, the resource and the
# policy's description on one line, then the message (lines that do not start with a space).
_VIOLATION = re.compile(
    r"^\s*(?P<pack>\S+)@v\S+ \[(?P<level>[a-z]+)\]\s+(?P<policy>\S+)\s+"
    r"\((?P<type>\S+): (?P<name>[^)]+)\)"
)
_SUMMARY_HEADER = "Resources:"
_UNCHANGED = {"same", "read", "refresh"}
_WHOLE = {"create", "delete"}


@dataclass
class Step:
    """A resource the operation would change."""

    kind: str
    type: str
    name: str = ""
    properties: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.type} '{self.name}'"


@dataclass(frozen=True)
class Violation:
    level: str
    policy: str
    resource: str
    message: str


def short_type(token: str) -> str:
    """``pulumi-python:dynamic/rtk:Meeting`` -> ``rtk:Meeting``: what a reader knows it as."""
    return token.removeprefix("pulumi-python:dynamic/")


def steps(lines: Sequence[str]) -> list[Step]:
    """The resources the output shows a change for, with the top-level properties changed."""
    found: list[Step] = []
    current: Step | None = None
    property_indent = -1
    for line in lines:
        step = _STEP.match(line)
        if step:
            current = None
            if step["kind"] not in _UNCHANGED:
                current = Step(step["kind"], short_type(step["type"]))
                found.append(current)
                # The step's properties sit two columns right of its operator.
                property_indent = len(step["indent"]) + 2
            continue
        if current is None:
            continue
        urn = _URN.match(line)
        if urn and not current.name:
            current.name = urn["name"]
            continue
        # A create or delete lists every property: the step says it all.
        if current.kind in _WHOLE:
            continue
        prop = _PROPERTY.match(line)
        if (
            prop
            and len(prop["indent"]) == property_indent
            and prop["key"] not in current.properties
        ):
            current.properties.append(prop["key"])
    return [s for s in found if s.name and not s.type.startswith("pulumi:pulumi:Stack")]


def violations(lines: Sequence[str]) -> list[Violation]:
    found: list[Violation] = []
    for index, line in enumerate(lines):
        match = _VIOLATION.match(line)
        if not match:
            continue
        resource = f"{short_type(match['type'])} '{match['name']}'"
        message: list[str] = []
        for follow in lines[index + 1 :]:
            if not follow or follow[0].isspace():
                break
            message.append(follow.strip())
        text = " ".join(message)
        # The rtk pack starts each message with the resource's label, which has a column here.
        text = text.removeprefix(f"{resource}: ")
        violation = Violation(match["level"], match["policy"], resource, text)
        if violation not in found:
            found.append(violation)
    return found


def summary(lines: Sequence[str]) -> str:
    """The "Resources:" block, on one line: ``~ 1 to update, 2 unchanged``."""
    try:
        start = lines.index(_SUMMARY_HEADER) + 1
    except ValueError:
        return ""
    counts: list[str] = []
    for line in lines[start:]:
        if not line.strip():
            break
        counts.append(line.strip())
    return ", ".join(counts)


def cell(text: str) -> str:
    """Text for a markdown table cell: no pipes or line breaks, no HTML."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("|", "\\|").replace("\n", " ")


def code(text: str) -> str:
    """Inline code that holds any text (a backtick in the text needs a longer fence)."""
    return f"`{text}`" if "`" not in text else f"`` {text} ``"


def violations_table(found: Sequence[Violation]) -> list[str]:
    rows = ["| Level | Policy | Resource | Message |", "|---|---|---|---|"]
    rows += [
        f"| {v.level} | {code(v.policy)} | {code(cell(v.resource))} | {cell(v.message)} |"
        for v in found
    ]
    return rows


def steps_table(found: Sequence[Step]) -> list[str]:
    rows = ["| Resource | Change | Properties |", "|---|---|---|"]
    for step in found:
        props = ", ".join(code(p) for p in step.properties) or "-"
        rows.append(f"| {code(cell(step.label))} | {step.kind} | {props} |")
    return rows


def details(title: str, output: str, room: int) -> list[str]:
    """The full output, collapsed, cut to ``room`` characters (the job log has all of it)."""
    if len(output) > room:
        output = output[: max(room, 0)].rsplit("\n", 1)[0] + "\n... (cut; the job log has it all)"
    fence = "```"
    while fence in output:
        fence += "`"
    return ["<details>", f"<summary>{title}</summary>", "", f"{fence}diff", output, fence, ""]


def marker(kind: str, stack: str) -> str:
    return f"<!-- rtk-gitops:{kind}:{stack} -->"


def render_preview(stack: str, exit_code: int, output: str) -> str:
    lines = output.splitlines()
    found = violations(lines)
    mandatory = [v for v in found if v.level == "mandatory"]
    changes = steps(lines)
    title = f"Preview of stack {code(stack)}"
    if exit_code == 0:
        status = f"✅ {title} passed"
    elif mandatory:
        status = f"❌ {title} failed: mandatory policy violations"
    else:
        status = f"❌ {title} failed (exit code {exit_code})"
    body = [marker("preview", stack), f"### {status}", ""]
    counts = summary(lines)
    if counts:
        body += [f"**Changes:** {counts}", ""]
    if found:
        body += ["**Policy violations** (mandatory ones fail the check and `pulumi up`):", ""]
        body += [*violations_table(found), ""]
    if changes:
        body += ["**Resources to change:**", "", *steps_table(changes), ""]
    elif exit_code == 0:
        body += ["No resource changes.", ""]
    return finish(body, "pulumi preview --diff", output)


def render_drift(stack: str, exit_code: int, output: str) -> str:
    lines = output.splitlines()
    changes = steps(lines)
    if exit_code == 0:
        body = [marker("drift", stack), f"### ✅ No drift in stack {code(stack)}", ""]
        body += ["Every resource is as the last `pulumi up` left it.", ""]
    elif changes:
        count = f"{len(changes)} resource{'s' if len(changes) > 1 else ''}"
        body = [
            marker("drift", stack),
            f"### ❌ Drift in stack {code(stack)}: {count} changed outside Pulumi",
            "",
            *steps_table(changes),
            "",
            "The next `pulumi up --refresh` (a merge to main, or re-running the last `up`) puts "
            "them back as declared; to keep a change instead, make it in the program too.",
            "",
        ]
    else:
        body = [
            marker("drift", stack),
            f"### ⚠️ The drift check of stack {code(stack)} could not run (exit code {exit_code})",
            "",
            "See the output below: the credentials, the backend or the API may be at fault.",
            "",
        ]
    return finish(body, "pulumi refresh --preview-only --diff", output)


def finish(body: list[str], title: str, output: str) -> str:
    head = "\n".join(body)
    room = MAX_BODY - len(head) - 200  # the details block's own lines and fences
    return "\n".join([head, *details(title, output.rstrip("\n"), room)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["preview", "drift"])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--exit-code", type=int, required=True, help="the CLI's exit status")
    parser.add_argument("--log", type=Path, required=True, help="what the CLI printed")
    parser.add_argument("--out", type=Path, required=True, help="where the markdown goes")
    args = parser.parse_args(argv)
    output = _ANSI.sub("", args.log.read_text(errors="replace"))
    render = render_preview if args.kind == "preview" else render_drift
    args.out.write_text(render(args.stack, args.exit_code, output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
