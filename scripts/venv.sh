#!/usr/bin/env bash
# Create or refresh the repo's virtualenv (.venv) with the package and its dev tools.
# Reinstalls only when pyproject.toml changed, so repeated runs cost a second.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$repo/.venv"
python="${PYTHON:-python3}"
stamp="$venv/.rtk-installed"
want=$(sha256sum "$repo/pyproject.toml" | cut -d' ' -f1)

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
	exit 0
fi
if [[ ! -x "$venv/bin/python" ]]; then
	echo "venv: creating $venv" >&2
	"$python" -m venv "$venv"
fi
echo "venv: installing pulumi-rtk[dev] (editable)" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$repo[dev]"
echo "$want" >"$stamp"
