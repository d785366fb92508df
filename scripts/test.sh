#!/usr/bin/env bash
# The test command: venv, Pulumi CLI (for the end-to-end tests), then pytest.
# Extra arguments go to pytest, e.g. `scripts/test.sh -k engine`.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
bash scripts/venv.sh

if bin=$(bash scripts/pulumi-cli.sh | tail -n 1) && [[ -n "$bin" ]]; then
	export PATH="$bin:$PATH"
elif [[ -n "${CI:-}" ]]; then
	echo "test: the Pulumi CLI is required in CI (end-to-end tests never skip there)" >&2
	exit 1
else
	echo "test: no Pulumi CLI; the end-to-end tests will be skipped" >&2
fi

status=0
.venv/bin/python -m pytest "$@" || status=$?
if [[ $status -eq 5 ]]; then
	echo "test: pytest collected no tests; that is a failure" >&2
	exit 1
fi
exit $status
