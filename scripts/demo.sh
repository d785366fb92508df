#!/usr/bin/env bash
# `make up` / `make down`: a meeting that records itself, against the local emulator; no
# Cloudflare account.
#
#   bash scripts/demo.sh up     venv, Pulumi CLI, emulator on 127.0.0.1:${RTK_DEMO_PORT:-8787},
#                               a webhook receiver (examples/recording-setup/receiver.py), stack
#                               `demo` of the root project (examples/recording-setup: two
#                               meetings with record_on_start, a webhook) in a file backend in
#                               .pulumi/, `pulumi up --yes`; then someone joins the standup
#                               through the emulator's admin API and the recording that started
#                               by itself is shown
#   bash scripts/demo.sh down   `pulumi destroy --yes`, stop the receiver and the emulator, and
#                               drop the emulator's state (the meetings it served are gone)
#
# Both are idempotent and work on a fresh clone. Everything they write stays in two gitignored
# directories:
#   .pulumi/        the Pulumi backend (PULUMI_BACKEND_URL=file://<repo>/.pulumi; your own
#                   `pulumi login` is left alone) and the stack's config file, Pulumi.demo.yaml
#   .rtk-emulator/  the emulator's state (data/state.json), pid files and logs (emulator.log,
#                   receiver.log: one line per webhook delivery)
# The stack's passphrase is PULUMI_CONFIG_PASSPHRASE, `demo` unless you set it: the stack's
# secrets are the emulator's token and made-up bucket credentials.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

port="${RTK_DEMO_PORT:-8787}"
origin="http://127.0.0.1:$port"
token=demo-token
# Any ids do for the emulator; with Cloudflare these are your account id and RealtimeKit app id.
account=0123456789abcdef0123456789abcdef
app=fedcba9876543210fedcba9876543210
stack=demo

emu_dir="$repo/.rtk-emulator"
pid_file="$emu_dir/emulator.pid"
port_file="$emu_dir/emulator.port"
log_file="$emu_dir/emulator.log"
receiver_pid_file="$emu_dir/receiver.pid"
receiver_log="$emu_dir/receiver.log"
config_file="$repo/.pulumi/Pulumi.$stack.yaml"
python="$repo/.venv/bin/python"

export PULUMI_BACKEND_URL="file://$repo/.pulumi"
# The passphrase to show in hints: ours, never one you set yourself (that one you have already).
shown_passphrase=$([[ -n "${PULUMI_CONFIG_PASSPHRASE:-}" ]] || echo demo)
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

# The pid in pid file $1, if that process is alive and its command line has $2 (so a pid reused
# by another program is never taken for ours).
live_pid() {
	local pid
	[[ -f "$1" ]] || return 1
	pid=$(cat "$1")
	[[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
	ps -ww -p "$pid" -o args= 2>/dev/null | grep -q -- "$2" || return 1
	echo "$pid"
}

# SIGTERM the process of pid file $1 (command line has $2), SIGKILL after 10 s; $3 names it.
stop_process() {
	local pid
	if ! pid=$(live_pid "$1" "$2"); then
		log "$3 is not running"
		rm -f "$1"
		return 0
	fi
	log "stopping $3 (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "$3 did not exit within 10 s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$1"
}

healthy() {
	"$python" - "$origin" <<'EOF' >/dev/null 2>&1
import sys
from pulumi_rtk.emulator import AdminClient

sys.exit(0 if AdminClient(sys.argv[1], timeout=1).health() else 1)
EOF
}

stop_emulator() {
	stop_process "$pid_file" pulumi_rtk.emulator "the emulator"
	rm -f "$port_file"
}

start_emulator() {
	local pid
	if pid=$(live_pid "$pid_file" pulumi_rtk.emulator); then
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

# The running receiver's URL (from its "listening on" line); starts one on a free port if
# none runs. It checks each delivery's signature with the key the emulator publishes.
receiver_url() {
	local pid url
	if ! pid=$(live_pid "$receiver_pid_file" receiver.py); then
		log "starting the webhook receiver (log: ${receiver_log#"$repo/"})"
		nohup "$python" examples/recording-setup/receiver.py --port 0 \
			--key-url "$origin/.well-known/webhooks.json" >"$receiver_log" 2>&1 </dev/null &
		pid=$!
		echo "$pid" >"$receiver_pid_file"
	else
		log "webhook receiver already running (pid $pid)"
	fi
	for _ in $(seq 100); do
		if url=$(grep -m1 -o 'http://127\.0\.0\.1:[0-9]*/' "$receiver_log" 2>/dev/null); then
			echo "$url"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 5 "$receiver_log" >&2 || true
	stop_process "$receiver_pid_file" receiver.py "the receiver"
	die "the webhook receiver did not start; see $receiver_log"
}

# How many resources the stack has: -1 when there is no such stack.
stack_resources() {
	pulumi stack ls --json 2>/dev/null | "$python" -c '
import json, sys
stacks = {s["name"]: s for s in json.load(sys.stdin)}
print(stacks[sys.argv[1]].get("resourceCount", 0) if sys.argv[1] in stacks else -1)
' "$stack"
}

# Someone joins meeting $1 unless someone is in it already; then the meeting's newest recording
# (waiting, at most 10 s, for the recorder to come up), and where to look next.
join_and_show() {
	"$python" - "$origin" "$1" "${receiver_log#"$repo/"}" "$(dirname "$(command -v pulumi)")" \
		"$PULUMI_BACKEND_URL" "$shown_passphrase" <<'EOF'
import shlex
import sys
import time

from pulumi_rtk.emulator import AdminClient

origin, meeting, receiver_log, cli_dir, backend, passphrase = sys.argv[1:7]
admin = AdminClient(origin)
present = [
    p
    for s in admin.sessions(meeting)
    if s["status"] == "LIVE"
    for p in s["participants"]
    if p["left_at"] is None
]
if present:
    person = present[0]
    print(f"demo: {person['name']} is in the standup already", file=sys.stderr)
else:
    person = {"name": "Alice", "id": admin.join(meeting, "Alice")}
    print("demo: Alice joined the standup (admin API)", file=sys.stderr)

deadline = time.monotonic() + 10
while True:
    recordings = sorted(admin.recordings(meeting), key=lambda r: str(r["invoked_time"]))
    latest = recordings[-1] if recordings else None
    if latest is None or latest["status"] != "INVOKED" or time.monotonic() > deadline:
        break
    time.sleep(0.2)
if latest is None:
    sys.exit("demo: error: no recording started; is record_on_start set on the standup?")

storage = latest["storage_config"]
status = latest["status"]
if latest["stop_reason"]:
    status += f" (stop reason {latest['stop_reason']['reason']})"
participant = f"{origin}/__emulator/meetings/{meeting}/participants/{person['id']}"
env = f"PATH={shlex.quote(cli_dir)}:$PATH PULUMI_BACKEND_URL={shlex.quote(backend)}"
if passphrase:
    env += f" PULUMI_CONFIG_PASSPHRASE={shlex.quote(passphrase)}"
print(f"""
The standup records itself: when a session starts (someone joins), record_on_start starts a
recording with the meeting's recording_config; no API call, no Pulumi resource. Its latest:
  meeting     {meeting}, session {latest["session_id"]}
  recording   {latest["id"]}
  status      {status}
  started by  {latest["start_reason"]["reason"]}
  storage     {storage["type"]}://{storage["bucket"]}/{storage["path"]}{latest["output_file_name"]}

Where to look next:
  tail -f {receiver_log}
      the webhook's deliveries, one line each, signatures verified
  curl -s -X DELETE {participant}
      {person["name"]} leaves: 60 s later the recording stops (ALL_PEERS_LEFT) and uploads
  curl -s '{origin}/__emulator/recordings?meeting_id={meeting}'
      the recording as the emulator sees it (uploads: {origin}/__emulator/uploads)
  export {env}
      then pulumi <command> --stack demo --config-file .pulumi/Pulumi.demo.yaml (every command)
  examples/recording-setup/README.md
      the same setup step by step, with the clock under your control
  make down
      pulumi destroy, then stop the receiver and the emulator""")
EOF
}

up() {
	setup_tools
	start_emulator
	local hook_url
	hook_url=$(receiver_url)
	if [[ "$(stack_resources)" == -1 ]]; then
		log "creating stack $stack in ${PULUMI_BACKEND_URL}"
		# `stack init` writes Pulumi.demo.yaml (the passphrase salt) next to Pulumi.yaml; keep it
		# in .pulumi/ with the rest of the demo's state, so the working tree stays clean.
		rm -f "$repo/Pulumi.$stack.yaml"
		pulumi stack init "$stack" --non-interactive --secrets-provider passphrase >&2
		mv "$repo/Pulumi.$stack.yaml" "$config_file"
	fi
	local cfg=(--stack "$stack" --config-file "$config_file")
	pulumi config set "${cfg[@]}" rtk:apiBaseUrl "$origin/client/v4"
	pulumi config set "${cfg[@]}" rtk:accountId "$account"
	pulumi config set "${cfg[@]}" rtk:appId "$app"
	pulumi config set "${cfg[@]}" --secret rtk:apiToken "$token"
	# The bucket's credentials: made up, the emulator never contacts the bucket.
	pulumi config set "${cfg[@]}" --secret storageAccessKey demo-access-key
	pulumi config set "${cfg[@]}" --secret storageSecret demo-secret
	pulumi config set "${cfg[@]}" webhookUrl "$hook_url"
	log "pulumi up"
	# --refresh first reads the meetings and the webhook back, so a second `make up` puts back
	# whatever changed behind Pulumi's back (or recreates them if the emulator lost them).
	pulumi up --yes --refresh --non-interactive --skip-preview "${cfg[@]}"
	echo
	pulumi stack output --stack "$stack"
	join_and_show "$(pulumi stack output --stack "$stack" standup_meeting_id)"
}

down() {
	setup_tools
	local count
	count=$(stack_resources)
	if [[ "$count" -gt 0 ]]; then
		# destroy deactivates the meetings and deletes the webhook through the API.
		start_emulator
		log "pulumi destroy"
		pulumi destroy --yes --non-interactive --skip-preview --stack "$stack" \
			--config-file "$config_file"
	else
		log "stack $stack has no resources; nothing to destroy"
	fi
	stop_process "$receiver_pid_file" receiver.py "the receiver"
	stop_emulator
	# Its meetings are deactivated and the stack is empty: start the next `make up` afresh.
	rm -rf "$emu_dir/data"
}

case "${1:-}" in
up) up ;;
down) down ;;
*)
	echo "usage: $0 up|down" >&2
	exit 2
	;;
esac
