#!/usr/bin/env bash
# Main: apply the stack, under the same policy pack as the pull request's preview.
#
#   PULUMI_STACK        the stack to update (required)
#   POLICY_PACK         the policy pack directory (default: policy/ beside this script's parent)
#   POLICY_PACK_CONFIG  optional JSON file of policy settings (--policy-pack-config)
#
# --refresh reads every resource first, so drift is put back as declared; the provider reads
# the API token from CLOUDFLARE_API_TOKEN (or the stack's rtk:apiToken).
set -euo pipefail
project=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${PULUMI_STACK:?set PULUMI_STACK to the stack to update}"
policy=${POLICY_PACK:-$project/policy}

args=(up --cwd "$project" --stack "$PULUMI_STACK" --yes --refresh --diff --non-interactive
	--color never --policy-pack "$policy")
if [[ -n "${POLICY_PACK_CONFIG:-}" ]]; then
	args+=(--policy-pack-config "$POLICY_PACK_CONFIG")
fi
pulumi "${args[@]}"
