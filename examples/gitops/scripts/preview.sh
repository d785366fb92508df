#!/usr/bin/env bash
# Pull request: preview the stack under the policy pack and write the diff as a comment body.
#
#   PULUMI_STACK        the stack to preview (required)
#   COMMENT_FILE        where the comment body goes (default: preview-comment.md)
#   POLICY_PACK         the policy pack directory (default: policy/ beside this script's parent)
#   POLICY_PACK_CONFIG  optional JSON file of policy settings (--policy-pack-config)
#
# Exits with the preview's status: a mandatory policy violation or a bad input fails the check,
# and the comment says why. Needs the state backend's credentials and the stack's passphrase,
# no Cloudflare token: a preview sends no request to the API.
set -euo pipefail
project=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${PULUMI_STACK:?set PULUMI_STACK to the stack to preview}"
comment=${COMMENT_FILE:-preview-comment.md}
policy=${POLICY_PACK:-$project/policy}

args=(preview --cwd "$project" --stack "$PULUMI_STACK" --diff --non-interactive --color never
	--policy-pack "$policy")
if [[ -n "${POLICY_PACK_CONFIG:-}" ]]; then
	args+=(--policy-pack-config "$POLICY_PACK_CONFIG")
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
pulumi "${args[@]}" 2>&1 | tee "$log" || status=$?
python3 "$project/scripts/report.py" preview --stack "$PULUMI_STACK" --exit-code "$status" \
	--log "$log" --out "$comment"
echo "preview: comment body in $comment" >&2
exit "$status"
