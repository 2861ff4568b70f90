#!/usr/bin/env bash
# lint.sh: run golangci-lint, at a pinned version, with the repository's
# .golangci.yml.
#
#   lint.sh            lint ./... (every package, test files included)
#   lint.sh PKG...     lint those packages only, e.g. ./internal/detect/...
#   lint.sh install    install only (when missing), print the binary's path
#
# golangci-lint is built from the Go module proxy with `go install` into
# $PATROL_CACHE/golangci-lint-$version (default ~/.cache/patrol, like the
# MinIO binary of services.sh): about 1.5 minutes on a cold module and
# build cache, once. It is built again when the binary there is missing or
# reports another golangci-lint version or another Go version than the go on
# PATH (a golangci-lint built by an older Go refuses a module whose go line
# is newer). Exits non-zero when there is any finding.
set -euo pipefail
cd "$(dirname "$0")/../.."
cache=${PATROL_CACHE:-$HOME/.cache/patrol}
version=v2.15.0
dir=$cache/golangci-lint-$version
bin=$dir/golangci-lint

log() { printf 'lint: %s\n' "$*" >&2; }

go_version=$(go env GOVERSION)
# "golangci-lint has version 2.15.0 built with go1.26.8 from ..."
installed() {
  [ -x "$bin" ] || return 1
  local v
  v=$("$bin" version 2>/dev/null) || return 1
  case "$v" in
    *"version ${version#v} built with $go_version "*) return 0 ;;
    *) log "found $bin ($v), want ${version#v} built with $go_version"; return 1 ;;
  esac
}

if ! installed; then
  log "installing golangci-lint $version with $go_version (once; about 1.5 minutes on a cold cache)"
  start=$SECONDS
  mkdir -p "$dir"
  rm -f "$bin" # go install will not overwrite a file it did not build
  # go prints a line per module it downloads (about 200): kept for a failure.
  if ! GOBIN=$dir GOFLAGS=-buildvcs=false \
    go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$version" >"$dir/install.log" 2>&1; then
    cat "$dir/install.log" >&2
    log "go install golangci-lint@$version failed"; exit 1
  fi
  installed || { log "golangci-lint $version did not install as expected"; exit 1; }
  log "installed in $((SECONDS - start)) s: $bin"
fi

if [ "${1:-}" = install ]; then
  echo "$bin"
  exit 0
fi

[ "$#" -gt 0 ] || set -- ./...
log "$("$bin" version)"
log "config $(pwd)/.golangci.yml; linters: $("$bin" linters 2>/dev/null | sed -n '/^Enabled by your configuration linters:/,/^$/p' | sed '1d;/^$/d;s/:.*//' | tr '\n' ' ')"
start=$SECONDS
status=0
"$bin" run "$@" || status=$?
if [ "$status" = 0 ]; then
  log "clean: no findings in $* ($((SECONDS - start)) s)"
else
  log "FAILED (exit $status) after $((SECONDS - start)) s: fix the findings above (see .golangci.yml for what each check is for)"
fi
exit "$status"
