#!/usr/bin/env bash
# distlab's one build script. Needs only Go (and, for `test`, Chromium and
# Node, which it installs from Debian's packages when it runs as root).
#
#   ./build.sh [build]   dist/ (served page + single-file offline page), bin/distlab
#   ./build.sh serve     build, then serve dist/ on 127.0.0.1:8080 (PORT=, ADDR=)
#   ./build.sh test      build, then every test; exits non-zero on any failure
#   ./build.sh bench     Go benchmarks of the engine, and the in-page ones
#
# dist/ layout (notes/HELPERS.md, "Page layout contract"): index.html (with a
# Content-Security-Policy), web/** (copied), wasm_exec.js (from the toolchain
# that built the wasm), main.wasm, distlab-offline.html (tools/bundle).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$PWD

say() { printf '%s\n' "$*" >&2; }
die() { say "build.sh: $*"; exit 1; }

# now prints the wall clock in microseconds (bash 5's EPOCHREALTIME);
# elapsed T0 prints the seconds since T0, with one decimal.
now() { printf '%s' "${EPOCHREALTIME/[.,]/}"; }
elapsed() {
	local d=$(($(now) - $1))
	printf '%d.%ds' $((d / 1000000)) $((d / 100000 % 10))
}

need_go() {
	command -v go >/dev/null 2>&1 || die "Go is not on PATH (https://go.dev/dl/; go.mod says which version)"
}

# build writes dist/ into a fresh directory and swaps it in at the end, so a
# server (or a test) reading dist/ never sees it half-written, and a failed
# build leaves the previous dist/ alone.
build() {
	need_go
	[[ -f index.html ]] || die "index.html is missing (the page; see notes/HELPERS.md)"
	[[ -d web ]] || die "web/ is missing (the page's modules and styles)"
	[[ -d wasm ]] || die "wasm/ is missing (the Go package of the bridge)"
	local t0 tmp
	t0=$(now)
	tmp=$(mktemp -d "$ROOT/.dist.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT

	cp -R web "$tmp/web"
	cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$tmp/wasm_exec.js"
	GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o "$tmp/main.wasm" ./wasm
	mkdir -p bin
	go build -trimpath -o bin/distlab ./cmd/distlab
	go build -o bin/bundle ./tools/bundle
	# Writes $tmp/index.html (index.html + CSP) and $tmp/distlab-offline.html.
	bin/bundle -root . -dist "$tmp"

	chmod 755 "$tmp"
	local old=""
	if [[ -e dist ]]; then
		old=$(mktemp -d "$ROOT/.dist.old.XXXXXX")
		mv dist "$old/dist"
	fi
	mv "$tmp" dist
	trap - EXIT
	[[ -n $old ]] && rm -rf "$old"
	say "build: dist/ and bin/distlab in $(elapsed "$t0")"
}

serve() {
	build
	local addr="${ADDR:-127.0.0.1:${PORT:-8080}}"
	say "serve: http://$addr/  (Ctrl-C stops)"
	say "serve: offline page, no server needed: file://$ROOT/dist/distlab-offline.html"
	exec bin/distlab serve --dir dist --addr "$addr"
}

# apt_install PKG installs a Debian package, running apt-get update only if
# the first try fails (the lists may be missing or stale).
apt_install() {
	if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
		say "test: $1 is missing and I cannot install it (not root, or no apt-get)"
		return 1
	fi
	say "test: installing $1 from Debian's packages"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >/dev/null ||
		{ DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >/dev/null; }
}

install_test_deps() {
	if [[ ! -x /usr/bin/chromium ]]; then
		apt_install chromium || say "test: no Chromium: browser tests skip (they fail when CI is set)"
	fi
	if ! command -v node >/dev/null 2>&1; then
		apt_install nodejs || say "test: no Node: the wasm tests cannot run"
	fi
}

# Test stages run one after the other; a failure is recorded and the rest
# still run, so one run shows everything that is wrong.
declare -a RESULTS=()
FAILED=0
stage() {
	local name=$1 t0 rc=0
	shift
	say ""
	say "=== $name: $*"
	t0=$(now)
	# A subshell with errexit on: a function run as `f || ...` would have
	# errexit ignored, and a stage would pass on its last command alone.
	set +e
	(
		set -e
		"$@"
	)
	rc=$?
	set -e
	if [[ $rc -eq 0 ]]; then
		RESULTS+=("ok    $(elapsed "$t0")	$name")
	else
		RESULTS+=("FAIL  $(elapsed "$t0")	$name (exit $rc)")
		FAILED=1
	fi
	say "=== $name: $([[ $rc -eq 0 ]] && echo ok || echo FAILED) ($(elapsed "$t0"))"
}

check_gofmt() {
	local files out
	files=$(find . -name '*.go' -not -path './.git/*' -not -path './dist/*' -not -path './.dist*' \
		-not -path '*/testdata/*' -not -path './artifacts/*')
	[[ -z $files ]] && return 0
	# shellcheck disable=SC2086
	out=$(gofmt -l $files)
	if [[ -n $out ]]; then
		say "gofmt: these files need gofmt -w:"
		say "$out"
		return 1
	fi
}

vet() {
	go vet ./...
	GOOS=js GOARCH=wasm go vet ./wasm/...
}

# The native packages minus those with their own stage: browsertest drives
# Chromium (and compiling cdproto with -race costs minutes for nothing);
# internal/ runs the wasm under Node.
native_pkgs() { go list ./... | grep -v -e '^distlab/browsertest$' -e '^distlab/internal/'; }

race_short() {
	local pkgs
	pkgs=$(native_pkgs)
	# shellcheck disable=SC2086
	go test -race -short $pkgs
}

# The long seed sweeps: every protocol test without -short (and without
# -race, which would make them several times slower).
sweeps() { go test -run . ./protocols/...; }

wasm_tests() {
	if [[ ! -d internal ]] || [[ -z $(go list ./internal/... 2>/dev/null) ]]; then
		say "wasm: no internal/ packages yet; nothing to run"
		return 0
	fi
	# -count=1: these tests build main.wasm from wasm/ and web/ in a
	# subprocess, which the test cache cannot see.
	go test -count=1 ./internal/...
}

browser_tests() {
	if [[ ! -d browsertest ]]; then
		say "browser: no browsertest/ yet"
		return 1
	fi
	# -count=1: the result depends on dist/ and on Chromium, which the test
	# cache does not see.
	go test -count=1 -timeout 15m ./browsertest/...
}

test_all() {
	local t0
	t0=$(now)
	need_go
	install_test_deps
	stage build build
	stage gofmt check_gofmt
	stage vet vet
	stage "native tests (-race -short)" race_short
	stage "seed sweeps (protocols, long)" sweeps
	stage "wasm tests (Node)" wasm_tests
	if [[ -f dist/distlab-offline.html ]]; then
		stage "browser tests (Chromium)" browser_tests
	else
		RESULTS+=("FAIL  -	browser tests (no dist/: the build failed)")
		FAILED=1
	fi
	say ""
	say "=== summary ($(elapsed "$t0") in all)"
	local r
	for r in "${RESULTS[@]}"; do say "  $r"; done
	if [[ $FAILED -ne 0 ]]; then
		say "FAIL"
		exit 1
	fi
	say "PASS"
}

bench() {
	need_go
	say "=== engine (native): go test -bench ./core/..."
	go test -run '^$' -bench . -benchmem ./core/...
	# The wasm figures: internal/wasmtest prints the storm natively and
	# under Node side by side, and the bridge's costs.
	if grep -qs 'func TestBenchSideBySide' internal/wasmtest/*_test.go; then
		say "=== engine in wasm under Node: internal/wasmtest TestBenchSideBySide"
		go test -count=1 -run '^TestBenchSideBySide$' -v ./internal/wasmtest/ | grep -v -e '^=== RUN' -e '^--- PASS'
	fi
	if [[ -d internal ]] && grep -rqs --include='*_test.go' '^func Benchmark' internal; then
		go test -run '^$' -bench . -benchmem ./internal/...
	fi
	# In the browser: page load (a fresh Chromium per iteration) and
	# DistLab.bench() inside the page.
	if grep -rqs --include='*_test.go' '^func Benchmark' browsertest; then
		[[ -f dist/distlab-offline.html ]] || build
		say "=== in Chromium: browsertest benchmarks"
		go test -run '^$' -bench . -benchtime 5x ./browsertest/...
	fi
}

case "${1:-build}" in
build) build ;;
serve) serve ;;
test) test_all ;;
bench) bench ;;
-h | --help | help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' ;;
*) die "unknown mode '$1' (build, serve, test, bench)" ;;
esac
