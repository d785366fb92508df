#!/usr/bin/env bash
# Resolve the two environments CI tests in, into constraints/ (commit the result):
#
#   constraints/newest.txt  pulumi-rtk[dev] with the newest releases PyPI serves within the
#                           ranges of pyproject.toml: the whole test suite runs against it (.venv)
#   constraints/floor.txt   pulumi-rtk[test] with every runtime dependency at exactly the lower
#                           bound pyproject.toml declares: the floor run tests against it
#                           (.venv-floor), so a lower bound is only ever a tested one
#
# Both are `pip freeze --all` of a fresh venv, so pip itself and every transitive dependency are
# pinned too; scripts/venv.sh installs them with `pip install -c`. Run this after changing a
# dependency in pyproject.toml, or to move CI to newer releases. The files are for the Python
# that runs this script (CI's: 3.11); tests/unit/test_constraints.py checks them against
# pyproject.toml.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python="${PYTHON:-python3}"
out="$repo/constraints"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

log() { printf 'lock: %s\n' "$*" >&2; }

# name==lower bound, one line per runtime dependency; a dependency without one is an error.
"$python" - "$repo/pyproject.toml" >"$work/floor-pins.txt" <<'EOF'
import re
import sys
import tomllib

with open(sys.argv[1], "rb") as f:
    dependencies = tomllib.load(f)["project"]["dependencies"]
for dependency in dependencies:
    found = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*>=\s*([^,;\s]+)", dependency)
    if found is None:
        sys.exit(f"lock: {dependency!r} in pyproject.toml has no lower bound (>=) to test")
    print(f"{found.group(1)}=={found.group(2)}")
EOF

# resolve <name> <extra> <what> [constraints]: a fresh venv with pulumi-rtk[<extra>], frozen.
resolve() {
	local name=$1 extra=$2 what=$3 venv="$work/$1"
	local constraint=()
	[[ $# -lt 4 ]] || constraint=(-c "$4")
	log "resolving constraints/$name.txt: pulumi-rtk[$extra], $what"
	"$python" -m venv "$venv"
	"$venv/bin/python" -m pip install --quiet --upgrade pip
	"$venv/bin/python" -m pip install --quiet "${constraint[@]}" "${repo}[$extra]"
	"$venv/bin/python" -m pip check >&2
	{
		echo "# pulumi-rtk[$extra], $what."
		echo "# Made by scripts/lock.sh with Python $("$venv/bin/python" -c 'import platform; print(platform.python_version())'); do not edit."
		"$venv/bin/python" -m pip freeze --all --exclude pulumi-rtk
	} >"$work/$name.txt"
}

resolve newest dev "the newest releases within the ranges of pyproject.toml"
resolve floor test "every runtime dependency at its lower bound in pyproject.toml" \
	"$work/floor-pins.txt"
# The floor venv must really hold the lower bounds (not something a constraint let drift).
while IFS= read -r pin; do
	grep -qixF "$pin" "$work/floor.txt" || {
		log "error: $pin is not what the floor resolved to"
		exit 1
	}
done <"$work/floor-pins.txt"

mkdir -p "$out"
cp "$work/newest.txt" "$work/floor.txt" "$out/"
log "wrote constraints/newest.txt and constraints/floor.txt"
