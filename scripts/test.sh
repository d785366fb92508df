#!/usr/bin/env bash
# The test command (`make test`): venvs, the Pulumi CLI (for the end-to-end tests), then pytest
# at both ends of the Pulumi SDK range pyproject.toml supports:
#
#   1. newest: the whole suite in .venv (constraints/newest.txt: the newest SDK on PyPI)
#   2. floor:  in .venv-floor (constraints/floor.txt: every runtime dependency at its lower
#              bound) the unit, provider and gRPC engine tests, and one example's preview, up,
#              refresh and destroy through the newest CLI (a newest-CLI/oldest-SDK pair); its
#              stack's virtualenv gets the floor versions too (tests/support/install.py)
#
# Usage:  scripts/test.sh                  both
#         scripts/test.sh ARGS...          1 only, with pytest ARGS (e.g. -k engine, tests/e2e)
#         scripts/test.sh --floor [ARGS]   2 only, with ARGS instead of its selection
# pytest collecting no test (its exit 5) is a failure.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

# The floor run: what depends on the SDK, pydantic, requests and urllib3. Left out: what needs
# the dev-only tools (the official Cloudflare SDK, pulumi-policy, cryptography), the emulator's
# own tests, the 60 s fault matrix (tests/emulator/test_faults.py, its 8 gRPC scenarios too: the
# floor's engine tests drive the same gRPC server with their own scenarios) and all but one
# real-CLI test.
floor_tests=(
	tests/unit --ignore=tests/unit/test_policy.py --ignore=tests/unit/test_vocabulary.py
	tests/engine
	tests/emulator/test_provider.py
	tests/emulator/test_meeting_provider.py
	tests/emulator/test_webhook_provider.py
	tests/emulator/test_client.py
	tests/emulator/test_lookups.py
	"tests/e2e/test_examples.py::test_example_lifecycle[quickstart]"
	tests/e2e/test_wheel.py::test_the_user_venv_runs_the_installed_wheel
)

runs=(newest floor)
if [[ "${1:-}" == "--floor" ]]; then
	runs=(floor)
	shift
elif [[ $# -gt 0 ]]; then
	runs=(newest)
fi

for run in "${runs[@]}"; do
	if [[ $run == newest ]]; then bash scripts/venv.sh; else bash scripts/venv.sh floor; fi
done

if bin=$(bash scripts/pulumi-cli.sh | tail -n 1) && [[ -n "$bin" ]]; then
	export PATH="$bin:$PATH"
elif [[ -n "${CI:-}" ]]; then
	echo "test: the Pulumi CLI is required in CI (end-to-end tests never skip there)" >&2
	exit 1
else
	echo "test: no Pulumi CLI; the end-to-end tests will be skipped" >&2
fi

# pytest <venv> <args...>: its exit status, with 5 (no test collected) turned into a failure.
pytest() {
	local venv=$1 status=0
	shift
	"$venv/bin/python" -m pytest "$@" || status=$?
	if [[ $status -eq 5 ]]; then
		echo "test: pytest collected no tests; that is a failure" >&2
		return 1
	fi
	return "$status"
}

sdk() { "$1/bin/python" -c 'from importlib.metadata import version; print(version("pulumi"))'; }

failed=()
for run in "${runs[@]}"; do
	started=$SECONDS
	if [[ $run == newest ]]; then
		echo "test: newest run: the suite in .venv, pulumi SDK $(sdk .venv)" >&2
		pytest .venv "$@" || failed+=(newest)
	else
		args=("$@")
		[[ ${#args[@]} -gt 0 ]] || args=("${floor_tests[@]}")
		echo "test: floor run: .venv-floor, pulumi SDK $(sdk .venv-floor)" >&2
		pytest .venv-floor "${args[@]}" || failed+=(floor)
	fi
	echo "test: $run run took $((SECONDS - started)) s" >&2
done
if [[ ${#failed[@]} -gt 0 ]]; then
	echo "test: failed: ${failed[*]}" >&2
	exit 1
fi
