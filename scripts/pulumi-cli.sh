#!/usr/bin/env bash
# Provide the Pulumi CLI, at exactly the version of the `pulumi==X` pin in pyproject.toml, on a
# machine whose only network is the package registries (see docs in tools/pulumi-cli/go.mod).
#
# Usage:  bin=$(scripts/pulumi-cli.sh | tail -n 1) && export PATH="$bin:$PATH"
#
# The LAST line of stdout is the directory to put on PATH; progress goes to stderr. It holds
#   pulumi                         built from github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
#   pulumi-language-python         our own minimal language host (tools/pulumi-cli/languagehost)
#   pulumi-language-python-exec    script from the github.com/pulumi/pulumi/sdk/v3 module
#   pulumi-resource-pulumi-python  script from the same module (the dynamic provider plugin)
#
# Order of preference:
#   1. a `pulumi` of that exact version on PATH with `pulumi-language-python` next to it;
#   2. the cache ${RTK_PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-rtk}/pulumi-cli/v<ver>/bin,
#      when complete and stamped for the current tools/pulumi-cli sources;
#   3. a build there with `go build` (module and build caches stay at Go's defaults), done in a
#      temporary directory and renamed into place, so an interrupted build is never reused.
#
# RTK_PULUMI_VERSION overrides the pin (only to try another version; leave it unset normally).
set -euo pipefail

log() { printf 'pulumi-cli: %s\n' "$*" >&2; }
die() {
	printf 'pulumi-cli: error: %s\n' "$*" >&2
	exit 1
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$repo/tools/pulumi-cli"

pin=$(sed -n 's/^[[:space:]]*"pulumi==\([0-9][0-9A-Za-z.+-]*\)".*$/\1/p' "$repo/pyproject.toml" | head -n 1)
[[ -n "$pin" ]] || die "no \"pulumi==X\" pin found in $repo/pyproject.toml"
version="${RTK_PULUMI_VERSION:-$pin}"
version="${version#v}"
want="v$version"

executables=(pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python)

cli_version() { PULUMI_SKIP_UPDATE_CHECK=true "$1" version 2>/dev/null | tail -n 1 || true; }

# 1. A matching CLI already on PATH.
if existing=$(command -v pulumi 2>/dev/null); then
	dir=$(cd "$(dirname "$existing")" && pwd)
	if [[ -x "$dir/pulumi-language-python" && "$(cli_version "$existing")" == "$want" ]]; then
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

# The stamp names the version and a digest of the tools module, so editing the language host
# or go.mod/go.sum rebuilds.
sources_digest() {
	(cd "$tools" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 |
		LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}
[[ -f "$tools/go.mod" ]] || die "missing $tools/go.mod"
expected_stamp="pulumi $want sources $(sources_digest)"

cache_ok() {
	local exe
	[[ -f "$stamp" && "$(cat "$stamp")" == "$expected_stamp" ]] || return 1
	for exe in "${executables[@]}"; do
		[[ -x "$bin/$exe" ]] || return 1
	done
}

if cache_ok; then
	log "using cached pulumi $want in $bin"
	echo "$bin"
	exit 0
fi

# 3. Build.
command -v go >/dev/null 2>&1 ||
	die "pulumi $want is not on PATH (with pulumi-language-python beside it), nothing usable is cached in $bin, and there is no Go toolchain to build it: install Go >= 1.25 (https://go.dev/dl or your package manager) or put Pulumi CLI $want on PATH"

mkdir -p "$cache_root"
# Serialise concurrent builds of the same cache.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache_root/.lock"
	flock 9
	if cache_ok; then
		log "using pulumi $want in $bin (built by a concurrent run)"
		echo "$bin"
		exit 0
	fi
	# Holding the lock, any leftover build directory is from an interrupted run.
	rm -rf "$cache_root"/.build-*
fi

work=$(mktemp -d "$cache_root/.build-$want.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$SECONDS
log "building pulumi $want into $bin (a cold build downloads ~1.4 GB of modules and takes minutes)"

src="$work/src"
mkdir -p "$src" "$work/$want/bin"
cp "$tools/go.mod" "$tools/go.sum" "$src/"
cp -R "$tools/languagehost" "$src/languagehost"

export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod"

# go mod download -json prints {"Path":..., "Dir":..., "GoMod":..., "Error":...}.
json_field() { sed -n "s/^[[:space:]]*\"$1\": \"\\(.*\\)\",\\{0,1\\}\$/\\1/p" | head -n 1; }
download() {
	local out err
	out=$(cd "$src" && go mod download -json "$1" 2>/dev/null) || true
	err=$(json_field Error <<<"$out")
	if [[ -n "$err" ]]; then
		die "cannot download Go module $1: $(printf "%b" "$err" | tr -s "\n\t" "  ")
(the Go module proxy does not serve every version; the pin in pyproject.toml must be a version whose pkg/v3 and sdk/v3 modules it serves)"
	fi
	[[ -n "$out" ]] || die "go mod download $1 printed nothing"
	printf '%s\n' "$out"
}

pkg_info=$(download "github.com/pulumi/pulumi/pkg/v3@$want")
sdk_info=$(download "github.com/pulumi/pulumi/sdk/v3@$want")
pkg_gomod=$(json_field GoMod <<<"$pkg_info")
sdk_dir=$(json_field Dir <<<"$sdk_info")
[[ -f "$pkg_gomod" && -d "$sdk_dir" ]] || die "unexpected go mod download output for $want"

# Require pkg/v3 and sdk/v3 at the pinned version, and repeat pkg/v3's non-local replace
# directives (its local ones point into the pulumi repository and do not apply here).
edits=(-require="github.com/pulumi/pulumi/pkg/v3@$want" -require="github.com/pulumi/pulumi/sdk/v3@$want")
while read -r old new; do
	[[ -n "$old" ]] && edits+=(-replace="$old=$new")
done < <(awk '
	/^replace[ \t]*\($/ { block = 1; next }
	block && /^\)/ { block = 0; next }
	/^replace[ \t]/ { sub(/^replace[ \t]+/, ""); print_entry($0); next }
	block { print_entry($0) }
	function print_entry(s,   parts, lhs, rhs, n, m, l, r) {
		sub(/\/\/.*/, "", s)
		if (split(s, parts, "=>") != 2) return
		n = split(parts[1], l, " "); m = split(parts[2], r, " ")
		if (n < 1 || m < 1) return
		if (r[1] ~ /^(\.|\/)/) return
		lhs = l[1]; if (n > 1) lhs = lhs "@" l[2]
		rhs = r[1]; if (m > 1) rhs = rhs "@" r[2]
		print lhs, rhs
	}' "$pkg_gomod")
(cd "$src" && go mod edit "${edits[@]}")

ldver="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$want"
log "go build pulumi ($want)"
(cd "$src" && go build -trimpath -ldflags "-s -w $ldver" -o "$work/$want/bin/pulumi" \
	github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
log "go build pulumi-language-python"
(cd "$src" && go build -trimpath -ldflags "-s -w -X main.version=$version" \
	-o "$work/$want/bin/pulumi-language-python" ./languagehost)
for script in python/cmd/pulumi-language-python-exec python/dist/pulumi-resource-pulumi-python; do
	[[ -f "$sdk_dir/$script" ]] || die "$script not found in $sdk_dir"
	cp "$sdk_dir/$script" "$work/$want/bin/"
done
chmod 0755 "$work/$want/bin/"*

got=$(cli_version "$work/$want/bin/pulumi")
[[ "$got" == "$want" ]] || die "built pulumi reports version '$got', expected '$want'"

echo "$expected_stamp" >"$work/$want/stamp"
# Swap the finished tree into place; a stale or partial one goes away first.
if [[ -e "$vdir" ]]; then
	mv "$vdir" "$work/old"
fi
mv "$work/$want" "$vdir"
log "built pulumi $want in $((SECONDS - started))s"
echo "$bin"
