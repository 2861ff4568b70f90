#!/usr/bin/env bash
# test.sh: run every test against real services. Starts a local Kafka and
# MinIO (deploy/testenv/services.sh) unless PATROL_TEST_KAFKA and
# PATROL_TEST_S3 already point at running ones; stops what it started.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=deploy/testenv
started=0
cleanup() {
  if [ "$started" = 1 ]; then "$here/services.sh" stop || true; fi
}
trap cleanup EXIT

if [ -z "${PATROL_TEST_KAFKA:-}" ] || [ -z "${PATROL_TEST_S3:-}" ]; then
  "$here/services.sh" start
  started=1
  eval "$("$here/services.sh" env | sed 's/^/export /')"
fi
export PATROL_TEST_KAFKA PATROL_TEST_S3

echo "test: go vet" >&2
go vet ./...
bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$bad" ]; then echo "gofmt needed: $bad" >&2; exit 1; fi

echo "test: go test ./... (kafka $PATROL_TEST_KAFKA)" >&2
go test -count=1 -p 1 -timeout 40m ./...

# Fuzz targets run for a bounded time each; a crasher fails the run and is
# kept under the package's testdata/fuzz for regression.
fuzztime=${PATROL_FUZZTIME:-20s}
grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' . |
  sed -E 's|^(.*)/[^/]*_test\.go:[0-9]+:func (Fuzz[A-Za-z0-9_]*)\(.*|\1 \2|' | sort -u |
  while read -r pkg name; do
    echo "test: fuzz $name in $pkg for $fuzztime" >&2
    go test -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" "$pkg"  || exit 1
  done
echo "test: all passed" >&2
