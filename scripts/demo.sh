#!/usr/bin/env bash
# `make up` / `make down`: the quickstart stack against the local emulator; no Cloudflare account.
#
#   bash scripts/demo.sh up     venv, Pulumi CLI, emulator on 127.0.0.1:${RTK_DEMO_PORT:-8787},
#                               stack `demo` of the root project (examples/quickstart) in a file
#                               backend in .pulumi/, then `pulumi up --yes` and the stack outputs
#   bash scripts/demo.sh down   `pulumi destroy --yes`, then stop the emulator
#
# Both are idempotent and work on a fresh clone. Everything they write stays in two gitignored
# directories:
#   .pulumi/        the Pulumi backend (PULUMI_BACKEND_URL=file://<repo>/.pulumi; your own
#                   `pulumi login` is left alone) and the stack's config file, Pulumi.demo.yaml
#   .rtk-emulator/  the emulator's data (data/state.json), pid file and log
# The stack's passphrase is PULUMI_CONFIG_PASSPHRASE, `demo` unless you set it: the only secret
# in this stack is the emulator's token, `demo-token`.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

port="${RTK_DEMO_PORT:-8787}"
origin="http://127.0.0.1:$port"
base_url="$origin/client/v4"
token=demo-token
# Any ids do for the emulator; with Cloudflare these are your account id and RealtimeKit app id.
account=0123456789abcdef0123456789abcdef
app=fedcba9876543210fedcba9876543210
stack=demo

emu_dir="$repo/.rtk-emulator"
pid_file="$emu_dir/emulator.pid"
port_file="$emu_dir/emulator.port"
log_file="$emu_dir/emulator.log"
config_file="$repo/.pulumi/Pulumi.$stack.yaml"
python="$repo/.venv/bin/python"

export PULUMI_BACKEND_URL="file://$repo/.pulumi"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-demo}"
export PULUMI_SKIP_UPDATE_CHECK=true

log() { printf 'demo: %s\n' "$*" >&2; }
die() {
	printf 'demo: error: %s\n' "$*" >&2
	exit 1
}

setup_tools() {
	bash scripts/venv.sh
	local bin
	bin=$(bash scripts/pulumi-cli.sh | tail -n 1)
	[[ -n "$bin" && -x "$bin/pulumi" ]] || die "scripts/pulumi-cli.sh gave no usable Pulumi CLI"
	export PATH="$bin:$PATH"
	mkdir -p "$repo/.pulumi" "$emu_dir"
}

# The pid in the pid file, if that process is alive and is our emulator (not a reused pid).
emulator_pid() {
	local pid
	[[ -f "$pid_file" ]] || return 1
	pid=$(cat "$pid_file")
	[[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
	ps -p "$pid" -o args= 2>/dev/null | grep -q 'pulumi_rtk.emulator' || return 1
	echo "$pid"
}

healthy() {
	"$python" - "$origin" <<'EOF' >/dev/null 2>&1
import sys
from pulumi_rtk.emulator import AdminClient

sys.exit(0 if AdminClient(sys.argv[1], timeout=1).health() else 1)
EOF
}

stop_emulator() {
	local pid
	if ! pid=$(emulator_pid); then
		log "emulator is not running"
		rm -f "$pid_file" "$port_file"
		return 0
	fi
	log "stopping the emulator (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "the emulator did not exit within 10 s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$pid_file" "$port_file"
}

start_emulator() {
	local pid
	if pid=$(emulator_pid); then
		if [[ "$(cat "$port_file" 2>/dev/null)" == "$port" ]] && healthy; then
			log "emulator already running on $origin (pid $pid)"
			return 0
		fi
		stop_emulator
	fi
	if healthy; then
		die "something else already answers on $origin; stop it, or pick another port with RTK_DEMO_PORT"
	fi
	log "starting the emulator on $origin (log: ${log_file#"$repo/"})"
	nohup "$python" -m pulumi_rtk.emulator --host 127.0.0.1 --port "$port" --token "$token" \
		--data-dir "$emu_dir/data" >>"$log_file" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$pid_file"
	echo "$port" >"$port_file"
	for _ in $(seq 100); do
		if healthy; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			rm -f "$pid_file" "$port_file"
			tail -n 5 "$log_file" >&2 || true
			die "the emulator exited at startup (is port $port taken? set RTK_DEMO_PORT)"
		fi
		sleep 0.1
	done
	stop_emulator
	die "the emulator did not answer on $origin within 10 s; see $log_file"
}

# How many resources the stack has: -1 when there is no such stack.
stack_resources() {
	pulumi stack ls --json 2>/dev/null | "$python" -c '
import json, sys
stacks = {s["name"]: s for s in json.load(sys.stdin)}
print(stacks[sys.argv[1]].get("resourceCount", 0) if sys.argv[1] in stacks else -1)
' "$stack"
}

# The meeting id in the stack config if the emulator knows it, else a new meeting's id.
meeting_for_stack() {
	local current
	current=$(pulumi config get meetingId --stack "$stack" --config-file "$config_file" 2>/dev/null || true)
	"$python" - "$origin" "$token" "$account" "$app" "$current" <<'EOF'
import sys
import urllib.error
import urllib.request

from pulumi_rtk.emulator import AdminClient

origin, token, account, app, current = sys.argv[1:6]
if current:
    url = f"{origin}/client/v4/accounts/{account}/realtime/kit/{app}/meetings/{current}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5):  # noqa: S310 (loopback emulator)
            print(current)
            sys.exit(0)
    except urllib.error.HTTPError as exc:
        if exc.code != 404:
            raise
print(AdminClient(origin).create_meeting(account, app, title="pulumi-rtk demo"))
EOF
}

up() {
	setup_tools
	start_emulator
	if [[ "$(stack_resources)" == -1 ]]; then
		log "creating stack $stack in ${PULUMI_BACKEND_URL}"
		# `stack init` writes Pulumi.demo.yaml (the passphrase salt) next to Pulumi.yaml; keep it
		# in .pulumi/ with the rest of the demo's state, so the working tree stays clean.
		rm -f "$repo/Pulumi.$stack.yaml"
		pulumi stack init "$stack" --non-interactive --secrets-provider passphrase >&2
		mv "$repo/Pulumi.$stack.yaml" "$config_file"
	fi
	local meeting
	meeting=$(meeting_for_stack)
	local cfg=(--stack "$stack" --config-file "$config_file")
	pulumi config set "${cfg[@]}" rtk:apiBaseUrl "$base_url"
	pulumi config set "${cfg[@]}" rtk:accountId "$account"
	pulumi config set "${cfg[@]}" rtk:appId "$app"
	pulumi config set "${cfg[@]}" --secret rtk:apiToken "$token"
	pulumi config set "${cfg[@]}" meetingId "$meeting"
	log "pulumi up (meeting $meeting)"
	# --refresh first reads the recording back, so a second `make up` sees what happened since.
	pulumi up --yes --refresh --non-interactive --skip-preview "${cfg[@]}"
	echo
	pulumi stack output --stack "$stack"
	cat <<EOF

The recording runs in the emulator on $origin. To drive the stack yourself:
  export PATH="$(dirname "$(command -v pulumi)"):\$PATH" PULUMI_BACKEND_URL="$PULUMI_BACKEND_URL" PULUMI_CONFIG_PASSPHRASE=$PULUMI_CONFIG_PASSPHRASE
  pulumi config set --stack $stack --config-file .pulumi/Pulumi.$stack.yaml paused true   # then: make up
  make down    # pulumi destroy, then stop the emulator
EOF
}

down() {
	setup_tools
	local count
	count=$(stack_resources)
	if [[ "$count" -gt 0 ]]; then
		# destroy stops the recording through the API, so the emulator must be up for it.
		start_emulator
		log "pulumi destroy"
		pulumi destroy --yes --non-interactive --skip-preview --stack "$stack" \
			--config-file "$config_file"
	else
		log "stack $stack has no resources; nothing to destroy"
	fi
	stop_emulator
}

case "${1:-}" in
up) up ;;
down) down ;;
*)
	echo "usage: $0 up|down" >&2
	exit 2
	;;
esac
