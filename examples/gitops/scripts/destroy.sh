#!/usr/bin/env bash
# Manual: destroy the stack's resources (meetings deactivated, webhooks deleted).
#
#   PULUMI_STACK    the stack to destroy (required)
#   CONFIRM_STACK   must repeat the stack's name: a typo or a wrong default destroys nothing
#
# The workflow runs this only in a protected environment whose reviewers approve each run.
# The stack itself stays (with its history); `pulumi stack rm` removes it.
set -euo pipefail
project=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${PULUMI_STACK:?set PULUMI_STACK to the stack to destroy}"
if [[ "${CONFIRM_STACK:-}" != "$PULUMI_STACK" ]]; then
	echo "destroy: CONFIRM_STACK must be '$PULUMI_STACK' to destroy it; nothing was changed" >&2
	exit 2
fi
pulumi destroy --cwd "$project" --stack "$PULUMI_STACK" --yes --non-interactive --color never
