#!/usr/bin/env bash
# Schedule: does the stack still match what the API has? A refresh preview changes no state.
#
#   PULUMI_STACK   the stack to check (required)
#   DRIFT_REPORT   where the report goes, markdown (default: drift-report.md)
#
# Exits 0 when nothing changed outside Pulumi; non-zero when something did (the report lists
# each resource and property) or when the check could not run (the report says so). Reads
# every resource from the API, so it needs CLOUDFLARE_API_TOKEN (or the stack's rtk:apiToken).
set -euo pipefail
project=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${PULUMI_STACK:?set PULUMI_STACK to the stack to check}"
report=${DRIFT_REPORT:-drift-report.md}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
pulumi refresh --cwd "$project" --stack "$PULUMI_STACK" --preview-only --expect-no-changes \
	--diff --non-interactive --color never 2>&1 | tee "$log" || status=$?
python3 "$project/scripts/report.py" drift --stack "$PULUMI_STACK" --exit-code "$status" \
	--log "$log" --out "$report"
echo "drift: report in $report" >&2
exit "$status"
