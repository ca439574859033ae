#!/usr/bin/env bash
# Find or build the Temporal CLI v1.5.1 (dev server + embedded Web UI) and print its absolute path on stdout.
# Everything else goes to stderr, so callers can do: TEMPORAL_CLI="$(bash scripts/temporal.sh)".
#
# Lookup order:
#   1. $TEMPORAL_CLI, if set and executable (trusted as is; a version mismatch is only reported)
#   2. `temporal` on PATH, if its `--version` reports Server 1.29.1 (i.e. CLI v1.5.1)
#   3. the cache: ${ISSUE_SYNC_CACHE:-$HOME/.cache/issue-sync}/temporal-v1.5.1/temporal
#   4. build it into the cache with `go install` (Go >= 1.25; nothing else is downloaded but Go modules)
#
# Usage: bash scripts/temporal.sh [--no-build]
# Exit codes: 0 found/built · 1 build failed · 2 bad usage · 3 not found and --no-build · 4 no usable Go
#
# Why v1.5.1 and Go: no npm or Debian package ships the Temporal server, the SDK's own download needs the
# internet, and v1.5.1 is the last CLI tag whose go.mod `go install pkg@version` accepts (see ARCHITECTURE.md).
set -euo pipefail

readonly CLI_VERSION='1.5.1'
readonly SERVER_VERSION='1.29.1'
readonly MODULE="github.com/temporalio/cli/cmd/temporal@v${CLI_VERSION}"
readonly EXPECTED_BUILD_MINUTES='4-5' # measured: 220 s cold on 2 cores (Go 1.26, empty module cache)
readonly CACHE_ROOT="${ISSUE_SYNC_CACHE:-${HOME}/.cache/issue-sync}"
readonly CACHE_DIR="${CACHE_ROOT}/temporal-v${CLI_VERSION}"
readonly CACHED_BIN="${CACHE_DIR}/temporal"

log() { printf 'temporal.sh: %s\n' "$*" >&2; }

usage() {
  cat >&2 <<EOF
Usage: bash scripts/temporal.sh [--no-build]
Prints the absolute path of a Temporal CLI v${CLI_VERSION} (Server ${SERVER_VERSION}) on stdout.
  --no-build   only look (TEMPORAL_CLI, PATH, ${CACHED_BIN}); exit 3 if not found
Environment: TEMPORAL_CLI (explicit binary), ISSUE_SYNC_CACHE (cache root, default ~/.cache/issue-sync)
EOF
}

build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    -h | --help) usage; exit 0 ;;
    *) log "unknown argument: $arg"; usage; exit 2 ;;
  esac
done

# True when the binary reports the server version that CLI v1.5.1 embeds. A `go install` build prints
# "temporal version 0.0.0-DEV (Server 1.29.1, UI 2.42.1)", a release build "temporal version 1.5.1 (...)".
is_expected_version() {
  local version
  version="$("$1" --version 2>/dev/null)" || return 1
  [[ "$version" == *"Server ${SERVER_VERSION}"* ]]
}

# Prints the absolute path of $1 on stdout and exits successfully.
found() {
  local abs
  abs="$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")"
  log "using $abs"
  printf '%s\n' "$abs"
  exit 0
}

# Prints the size of a file in MB with one decimal.
size_mb() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f MB (%d bytes)", b / 1048576, b }'; }

find_existing() {
  if [[ -n "${TEMPORAL_CLI:-}" ]]; then
    if [[ -f "$TEMPORAL_CLI" && -x "$TEMPORAL_CLI" ]]; then
      is_expected_version "$TEMPORAL_CLI" ||
        log "warning: TEMPORAL_CLI=$TEMPORAL_CLI does not report Server ${SERVER_VERSION}; using it anyway"
      found "$TEMPORAL_CLI"
    fi
    log "warning: TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file; ignoring it"
  fi
  local on_path
  if on_path="$(command -v temporal 2>/dev/null)"; then
    if is_expected_version "$on_path"; then
      found "$on_path"
    fi
    log "ignoring $on_path on PATH: it does not report Server ${SERVER_VERSION} (want CLI v${CLI_VERSION})"
  fi
  if [[ -x "$CACHED_BIN" ]]; then
    if is_expected_version "$CACHED_BIN"; then
      found "$CACHED_BIN"
    fi
    log "ignoring $CACHED_BIN: it does not report Server ${SERVER_VERSION}"
  fi
}

not_found_no_build() {
  cat >&2 <<EOF
temporal.sh: Temporal CLI v${CLI_VERSION} not found (looked at \$TEMPORAL_CLI, 'temporal' on PATH, ${CACHED_BIN}).
  Get it with one of:
    bash scripts/temporal.sh                  # builds it into ${CACHE_DIR} in ~${EXPECTED_BUILD_MINUTES} minutes (needs Go >= 1.25)
    export TEMPORAL_CLI=/path/to/temporal     # an existing Temporal CLI v${CLI_VERSION} binary
EOF
  exit 3
}

# Sets GO to a usable go binary (PATH or /usr/local/go/bin) or exits 4 with a message.
find_go() {
  GO="$(command -v go 2>/dev/null || true)"
  if [[ -z "$GO" && -x /usr/local/go/bin/go ]]; then GO=/usr/local/go/bin/go; fi
  if [[ -z "$GO" ]]; then
    log "error: Go is not installed (not on PATH, not in /usr/local/go/bin), so Temporal CLI v${CLI_VERSION} cannot be built."
    log "  Install Go >= 1.25 from https://go.dev/dl/ (or your OS packages), or set TEMPORAL_CLI to an existing binary."
    exit 4
  fi
  local goversion major minor
  goversion="$("$GO" env GOVERSION 2>/dev/null || true)" # e.g. go1.26.8
  if [[ ! "$goversion" =~ ^go([0-9]+)\.([0-9]+) ]]; then
    log "error: could not read the Go version from '$GO env GOVERSION' (got '$goversion'); need Go >= 1.25."
    exit 4
  fi
  major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}"
  if ((major == 1 && minor < 21)); then
    log "error: $GO is $goversion; building Temporal CLI v${CLI_VERSION} needs Go >= 1.25. Upgrade Go or set TEMPORAL_CLI."
    exit 4
  fi
  if ((major == 1 && minor < 25)); then
    log "note: $GO is $goversion; the go command will fetch a go1.25+ toolchain from the module proxy (GOTOOLCHAIN=auto)."
  fi
  log "using $GO ($goversion)"
}

heartbeat_pid=''
staging=''
cleanup() {
  if [[ -n "$heartbeat_pid" ]]; then kill "$heartbeat_pid" 2>/dev/null || true; fi
  if [[ -n "$staging" ]]; then rm -rf "$staging"; fi
}
trap cleanup EXIT

build_cli() {
  find_go
  mkdir -p "$CACHE_DIR"
  # One builder at a time: a concurrent caller waits here, then finds the finished binary below.
  local lock="${CACHE_ROOT}/temporal-v${CLI_VERSION}.lock"
  exec 9>"$lock"
  if ! flock -n 9; then
    log "another process is building Temporal CLI v${CLI_VERSION} (lock $lock); waiting for it..."
    flock 9
    if [[ -x "$CACHED_BIN" ]] && is_expected_version "$CACHED_BIN"; then
      found "$CACHED_BIN"
    fi
    log "the other build did not leave a usable binary; building it here"
  fi
  # Build into a staging dir and rename, so nobody ever sees a half-written binary.
  staging="$(mktemp -d "${CACHE_DIR}/.build.XXXXXX")"
  log "building Temporal CLI v${CLI_VERSION} (Server ${SERVER_VERSION}) with 'go install ${MODULE}'"
  log "  this takes ~${EXPECTED_BUILD_MINUTES} minutes on 2 cores with a cold module cache; the result is cached in ${CACHE_DIR}"
  local start=$SECONDS
  (while sleep 30; do log "  ... still building ($((SECONDS - start)) s)"; done) &
  heartbeat_pid=$!
  if ! CGO_ENABLED=0 GOBIN="$staging" GOFLAGS=-trimpath "$GO" install "$MODULE" >&2; then
    log "error: 'go install ${MODULE}' failed after $((SECONDS - start)) s (see the go output above)."
    log "  If the module proxy is unreachable, check GOPROXY ($("$GO" env GOPROXY)); or set TEMPORAL_CLI to an existing binary."
    exit 1
  fi
  kill "$heartbeat_pid" 2>/dev/null || true
  heartbeat_pid=''
  if ! is_expected_version "$staging/temporal"; then
    log "error: the freshly built $staging/temporal does not report Server ${SERVER_VERSION}:"
    "$staging/temporal" --version >&2 || true
    exit 1
  fi
  mv -f "$staging/temporal" "$CACHED_BIN"
  log "built in $((SECONDS - start)) s; binary size $(size_mb "$CACHED_BIN"); $("$CACHED_BIN" --version)"
  found "$CACHED_BIN"
}

find_existing
((build)) || not_found_no_build
build_cli
