#!/usr/bin/env bash
# Create or refresh a virtualenv of the repository from its lock (see scripts/lock.sh):
#
#   scripts/venv.sh          .venv        pulumi-rtk[dev] (editable), constraints/newest.txt
#   scripts/venv.sh floor    .venv-floor  pulumi-rtk[test] (editable), constraints/floor.txt:
#                                         every runtime dependency at its declared lower bound
#
# The venv ends up holding exactly the lock: pinned versions installed, anything else removed.
# It is refreshed only when pyproject.toml, the constraints file or this script changed (a stamp
# in the venv), so repeated runs cost a second. pip's cache is used when there is one.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "${1:-}" in
"") venv="$repo/.venv" extra=dev constraints="$repo/constraints/newest.txt" ;;
floor) venv="$repo/.venv-floor" extra=test constraints="$repo/constraints/floor.txt" ;;
*)
	echo "usage: $0 [floor]" >&2
	exit 2
	;;
esac
python="${PYTHON:-python3}"
stamp="$venv/.rtk-installed"
want=$(cat "$repo/pyproject.toml" "$constraints" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
	exit 0
fi
if [[ ! -x "$venv/bin/python" ]]; then
	echo "venv: creating ${venv#"$repo/"}" >&2
	"$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
echo "venv: installing pulumi-rtk[$extra] (editable) from ${constraints#"$repo/"}" >&2
"${pip[@]}" install --quiet -c "$constraints" pip
"${pip[@]}" install --quiet -c "$constraints" -e "${repo}[$extra]"

# Packages a previous lock had and this one has not (names compared as pip normalises them).
names() { sed -n 's/^\([A-Za-z0-9][A-Za-z0-9._-]*\)==.*/\1/p' | tr 'A-Z_.' 'a-z--' | sort -u; }
stale=$(comm -23 <("${pip[@]}" freeze --all --exclude pulumi-rtk | names) <(names <"$constraints"))
if [[ -n "$stale" ]]; then
	echo "venv: removing what the lock no longer has:" "${stale//$'\n'/ }" >&2
	# shellcheck disable=SC2086 # one package name per word
	"${pip[@]}" uninstall --quiet --yes $stale
fi
if ! broken=$("${pip[@]}" check); then
	echo "$broken" >&2
	exit 1
fi
echo "$want" >"$stamp"
