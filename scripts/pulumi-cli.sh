#!/usr/bin/env bash
# Provide the Pulumi CLI pinned in tools/pulumi-cli/go.mod, on a machine whose only network is
# the package registries: it is built from Go modules (the Go module proxy serves them).
#
# Usage:  bin=$(scripts/pulumi-cli.sh | tail -n 1) && export PATH="$bin:$PATH"
#         scripts/pulumi-cli.sh --pin X.Y.Z    # move the pin: rewrites go.mod and go.sum
#
# The version is the one go.mod requires of github.com/pulumi/pulumi/pkg/v3 (and sdk/v3). It is
# deliberately independent of the pip `pulumi` SDK: the CLI and the SDK only talk gRPC, and users
# mix versions. The build uses go.mod and go.sum as committed (-mod=readonly), so every machine
# builds the same modules.
#
# The LAST line of stdout is the directory to put on PATH; progress goes to stderr. It holds
#   pulumi                         built from github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
#   pulumi-language-python         our own minimal language host (tools/pulumi-cli/languagehost)
#   pulumi-language-python-exec    script from the github.com/pulumi/pulumi/sdk/v3 module
#   pulumi-resource-pulumi-python  script from the same module (the dynamic provider plugin)
#
# Order of preference:
#   1. a `pulumi` of that version on PATH whose `pulumi-language-python` is this script's build of
#      the current tools/pulumi-cli sources (other hosts may lack what we need, e.g. RunPlugin);
#   2. the cache ${RTK_PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-rtk}/pulumi-cli/v<ver>/bin,
#      when complete and stamped for the current tools/pulumi-cli sources;
#   3. a build there with `go build` (module and build caches stay at Go's defaults), done in a
#      temporary directory and renamed into place, so an interrupted build is never reused.
#      Builds of one version are serialised by the lock file pulumi-cli/v<ver>.lock beside it.
#
# RTK_PULUMI_VERSION=X.Y.Z builds another version, only to try it: from a copy of go.mod retargeted
# the way --pin does it. Leave it unset normally; adopt a version with --pin.
set -euo pipefail

# Everything is in main, which bash reads whole before it runs it (and `; exit` on its line): a
# build takes minutes, and bash would otherwise go on reading an edited script (git pull,
# checkout) from its old offset.
main() {
	log() { printf 'pulumi-cli: %s\n' "$*" >&2; }
	die() {
		printf 'pulumi-cli: error: %s\n' "$*" >&2
		exit 1
	}

	repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	tools="$repo/tools/pulumi-cli"
	[[ -f "$tools/go.mod" ]] || die "missing $tools/go.mod"

	pkg_module=github.com/pulumi/pulumi/pkg/v3
	sdk_module=github.com/pulumi/pulumi/sdk/v3
	executables=(pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python)

	# required <module> <go.mod>: the version a go.mod requires of a module.
	required() {
		awk -v m="$1" '
			/^require[ \t]*\($/ { block = 1; next }
			block && /^\)/ { block = 0; next }
			/^require[ \t]/ { sub(/^require[ \t]+/, ""); if ($1 == m) { print $2; exit } }
			block && $1 == m { print $2; exit }' "$2"
	}

	# replaces <go.mod>: its non-local replace directives as "old[@v] new[@v]" lines (local ones
	# point into the repository that go.mod comes from and do not apply elsewhere).
	replaces() {
		awk '
			/^replace[ \t]*\($/ { block = 1; next }
			block && /^\)/ { block = 0; next }
			/^replace[ \t]/ { sub(/^replace[ \t]+/, ""); entry($0); next }
			block { entry($0) }
			function entry(s,   parts, l, r, n, m, lhs, rhs) {
				sub(/\/\/.*/, "", s)
				if (split(s, parts, "=>") != 2) return
				n = split(parts[1], l, " "); m = split(parts[2], r, " ")
				if (n < 1 || m < 1 || r[1] ~ /^(\.|\/)/) return
				lhs = l[1]; if (n > 1) lhs = lhs "@" l[2]
				rhs = r[1]; if (m > 1) rhs = rhs "@" r[2]
				print lhs, rhs
			}' "$1"
	}

	need_go() {
		command -v go >/dev/null 2>&1 ||
			die "$1, and there is no Go toolchain to build it: install Go >= $(awk '$1 == "go" { print $2; exit }' "$tools/go.mod") (https://go.dev/dl or your package manager)"
	}

	# go mod download -json prints {"Path":..., "GoMod":..., "Error":...}.
	json_field() { sed -n "s/^[[:space:]]*\"$1\": \"\\(.*\\)\",\\{0,1\\}\$/\\1/p" | head -n 1; }

	# retarget <module dir> <vX.Y.Z>: make that copy of the tools module require pkg/v3 and sdk/v3
	# at the version, with pkg/v3's own non-local replace directives (a dependency's replaces are
	# ignored by Go, but pulumi's releases are built with them), and a go.sum to match.
	retarget() {
		local dir=$1 v=$2 out err gomod old new
		out=$(cd "$dir" && go mod download -json "$pkg_module@$v" 2>/dev/null) || true
		err=$(json_field Error <<<"$out")
		[[ -z "$err" ]] || die "cannot download Go module $pkg_module@$v: $(printf "%b" "$err" | tr -s "\n\t" "  ")" \
			"(the Go module proxy does not serve every version: \`go list -m -versions $pkg_module\` lists candidates)"
		gomod=$(json_field GoMod <<<"$out")
		[[ -f "$gomod" ]] || die "go mod download $pkg_module@$v printed no go.mod"
		local edits=(-require="$pkg_module@$v" -require="$sdk_module@$v")
		while read -r old _; do
			[[ -n "$old" ]] && edits+=(-dropreplace="$old")
		done < <(replaces "$dir/go.mod")
		while read -r old new; do
			[[ -n "$old" ]] && edits+=(-replace="$old=$new")
		done < <(replaces "$gomod")
		(cd "$dir" && go mod edit "${edits[@]}" && go mod tidy)
	}

	# Nothing here may pick up a go.work from around the cache or the repository.
	export GOWORK=off CGO_ENABLED=0

	if [[ "${1:-}" == "--pin" ]]; then
		[[ $# -eq 2 ]] || die "usage: $0 --pin X.Y.Z"
		need_go "cannot move the pin"
		retarget "$tools" "v${2#v}"
		log "tools/pulumi-cli now pins pulumi v${2#v}; commit its go.mod and go.sum"
		exit 0
	fi
	[[ $# -eq 0 ]] || die "usage: $0 [--pin X.Y.Z]"

	pin=$(required "$pkg_module" "$tools/go.mod")
	[[ -n "$pin" ]] || die "$tools/go.mod requires no $pkg_module"
	[[ "$(required "$sdk_module" "$tools/go.mod")" == "$pin" ]] ||
		die "$tools/go.mod must require $sdk_module at $pin, the version of $pkg_module (use --pin)"
	version="${RTK_PULUMI_VERSION:-$pin}"
	want="v${version#v}"

	# The stamp names the version and a digest of the tools module, so editing the language host
	# or go.mod/go.sum rebuilds.
	sources_digest() {
		(cd "$1" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 |
			LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
	}
	expected_stamp="pulumi $want sources $(sources_digest "$tools")"

	cli_version() { PULUMI_SKIP_UPDATE_CHECK=true "$1" version 2>/dev/null | tail -n 1 || true; }

	complete() {
		local exe
		for exe in "${executables[@]}"; do
			[[ -x "$1/$exe" ]] || return 1
		done
	}

	# Our host answers -pulumi-rtk-build with its stamp; anything else fails or, like builds older
	# than the flag, starts serving, hence the timeout.
	host_build() {
		command -v timeout >/dev/null 2>&1 || return 0
		timeout 5 "$1/pulumi-language-python" -pulumi-rtk-build </dev/null 2>/dev/null || true
	}

	# 1. A matching CLI already on PATH.
	if existing=$(command -v pulumi 2>/dev/null); then
		dir=$(cd "$(dirname "$existing")" && pwd)
		if complete "$dir" && [[ "$(host_build "$dir")" == "$expected_stamp" &&
			"$(cli_version "$dir/pulumi")" == "$want" ]]; then
			log "using pulumi $want already on PATH in $dir"
			echo "$dir"
			exit 0
		fi
	fi

	# 2. The cache.
	cache_root="${RTK_PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-rtk}/pulumi-cli"
	vdir="$cache_root/$want"
	bin="$vdir/bin"
	stamp="$vdir/stamp"

	cache_ok() { [[ -f "$stamp" && "$(cat "$stamp")" == "$expected_stamp" ]] && complete "$bin"; }

	if cache_ok; then
		log "using cached pulumi $want in $bin"
		echo "$bin"
		exit 0
	fi

	# 3. Build.
	need_go "pulumi $want is neither on PATH (with our pulumi-language-python beside it) nor cached in $bin"

	mkdir -p "$cache_root"
	if command -v flock >/dev/null 2>&1; then
		lock="$cache_root/$want.lock"
		exec 9>"$lock"
		if ! flock -n 9; then
			log "waiting for another build of pulumi $want in $vdir (lock $lock) ..."
			waited=$SECONDS
			until flock -w 15 9; do
				log "still waiting for the other build of pulumi $want ($((SECONDS - waited))s, lock $lock)"
			done
		fi
		if cache_ok; then
			log "using pulumi $want in $bin (built by a concurrent run)"
			echo "$bin"
			exit 0
		fi
		# Holding the lock, any leftover build directory is from an interrupted run.
		rm -rf "$cache_root/.build-$want".*
	fi

	work=$(mktemp -d "$cache_root/.build-$want.XXXXXX")
	child=
	cleanup() {
		[[ -z "$child" ]] || kill "$child" 2>/dev/null || true
		rm -rf "$work"
	}
	trap cleanup EXIT
	trap 'exit 130' INT TERM

	started=$SECONDS

	# run <phase> <command...>: a cold build spends minutes in single commands, so report that the
	# command still runs every 15 s and CI logs never sit silent. Its stdout goes to stderr, which
	# keeps this script's stdout to the one line of its contract.
	run() {
		local phase=$1 since=$SECONDS next=$((SECONDS + 15)) status=0
		shift
		log "$phase ..."
		"$@" >&2 &
		child=$!
		while kill -0 "$child" 2>/dev/null; do
			sleep 1
			if ((SECONDS >= next)); then
				log "$phase ... $((SECONDS - since))s ($((SECONDS - started))s since the build started)"
				next=$((SECONDS + 15))
			fi
		done
		wait "$child" || status=$?
		child=
		return "$status"
	}

	log "building pulumi $want into $bin (cold, this fills Go's module cache with ~1.4 GB and takes minutes)"

	src="$work/src"
	mkdir -p "$src" "$work/$want/bin"
	cp "$tools/go.mod" "$tools/go.sum" "$src/"
	cp -R "$tools/languagehost" "$src/languagehost"
	# Stamp what is built: the copy, even if the sources change meanwhile.
	build_stamp="pulumi $want sources $(sources_digest "$src")"
	if [[ "$want" != "$pin" ]]; then
		run "retargeting go.mod from $pin to $want (RTK_PULUMI_VERSION)" retarget "$src" "$want"
	fi

	run "downloading modules" go -C "$src" list -mod=readonly -deps -f '{{with .Error}}{{.}}{{end}}' \
		"$pkg_module/cmd/pulumi" ./languagehost ||
		die "could not get the modules pulumi $want needs (see above): the Go module proxy must serve them"
	run "building pulumi" go -C "$src" build -mod=readonly -trimpath \
		-ldflags "-s -w -X $sdk_module/go/common/version.Version=$want" \
		-o "$work/$want/bin/pulumi" "$pkg_module/cmd/pulumi" ||
		die "go build of pulumi $want failed (see above)"
	run "building the language host" go -C "$src" build -mod=readonly -trimpath \
		-ldflags "-s -w -X main.version=${want#v} -X 'main.build=$build_stamp'" \
		-o "$work/$want/bin/pulumi-language-python" ./languagehost ||
		die "go build of the language host failed (see above)"

	sdk_dir=$(go -C "$src" list -mod=readonly -m -f '{{.Dir}}' "$sdk_module")
	for script in python/cmd/pulumi-language-python-exec python/dist/pulumi-resource-pulumi-python; do
		[[ -f "$sdk_dir/$script" ]] || die "$script not found in $sdk_dir"
		cp "$sdk_dir/$script" "$work/$want/bin/"
	done
	chmod 0755 "$work/$want/bin/"*

	got=$(cli_version "$work/$want/bin/pulumi")
	[[ "$got" == "$want" ]] || die "built pulumi reports version '$got', expected '$want'"

	echo "$build_stamp" >"$work/$want/stamp"
	# Swap the finished tree into place; a stale or partial one goes away first.
	if [[ -e "$vdir" ]]; then
		mv "$vdir" "$work/old"
	fi
	mv "$work/$want" "$vdir"
	log "built pulumi $want in $((SECONDS - started))s"
	echo "$bin"
}

main "$@"; exit
