#!/usr/bin/env bash
# test.sh: run every test against real services. Starts a local Kafka and
# MinIO (deploy/testenv/services.sh) unless PATROL_TEST_KAFKA and
# PATROL_TEST_S3 already point at running ones, and, at the same time, a
# three-broker Kafka cluster for the replication tests
# (deploy/testenv/cluster.sh; internal/publisher/broker/cluster_test.go kills and
# restarts one of its brokers) unless PATROL_TEST_KAFKA_CLUSTER already
# points at one; stops what it started. Builds the container image with
# podman (deploy/testenv/image.sh), in the background while the services
# start, unless PATROL_TEST_IMAGE already names one; TestImage
# (deploy/image_test.go) runs it.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=deploy/testenv
started=0
cluster_started=0
cluster_pid=
image_pid=
image_log=
cleanup() {
  if [ -n "$image_pid" ]; then wait "$image_pid" 2>/dev/null || true; fi
  if [ -n "$image_log" ]; then rm -f "$image_log"; fi
  if [ -n "$cluster_pid" ]; then wait "$cluster_pid" 2>/dev/null || true; fi
  if [ "$cluster_started" = 1 ]; then "$here/cluster.sh" stop || true; fi
  if [ "$started" = 1 ]; then "$here/services.sh" stop || true; fi
}
trap cleanup EXIT

# What only the tests need (chromium for the console's browser test;
# podman, runc and debootstrap for the image).
"$here/deps.sh" test
"$here/deps.sh" image

# The image: base images from the Debian archive, then deploy/Dockerfile
# (about 7 minutes on a fresh machine, seconds when nothing changed).
# Mostly downloads and dpkg, so it runs beside the services' setup; it is
# waited for before the first test.
if [ -z "${PATROL_TEST_IMAGE:-}" ]; then
  image_log=$(mktemp)
  echo "test: building the image in the background (deploy/testenv/image.sh)" >&2
  "$here/image.sh" build >"$image_log" 2>&1 &
  image_pid=$!
fi

need_services=0
if [ -z "${PATROL_TEST_KAFKA:-}" ] || [ -z "${PATROL_TEST_S3:-}" ]; then need_services=1; fi
if [ "$need_services" = 1 ] || [ -z "${PATROL_TEST_KAFKA_CLUSTER:-}" ]; then
  # Once, before both start: they share the cached Kafka jars.
  "$here/services.sh" setup
fi
if [ -z "${PATROL_TEST_KAFKA_CLUSTER:-}" ]; then
  cluster_started=1
  "$here/cluster.sh" start &
  cluster_pid=$!
fi
if [ "$need_services" = 1 ]; then
  "$here/services.sh" start
  started=1
  eval "$("$here/services.sh" env | sed 's/^/export /')"
fi
if [ -n "$cluster_pid" ]; then
  wait "$cluster_pid"
  cluster_pid=
  eval "$("$here/cluster.sh" env | sed 's/^/export /')"
fi
export PATROL_TEST_KAFKA PATROL_TEST_S3 PATROL_TEST_KAFKA_CLUSTER

echo "test: go vet" >&2
go vet ./...
bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$bad" ]; then echo "gofmt needed: $bad" >&2; exit 1; fi

# golangci-lint at its pinned version (.golangci.yml: errorlint, dupl,
# tparallel and the standard set); installed into the cache once.
echo "test: golangci-lint" >&2
"$here/lint.sh"

# Packages without cgo must stay that way: configuration, cases, outbox,
# Kafka and the other pure parts build with CGO_ENABLED=0 (docs/architecture.md).
pure=(./cases/... ./models/... ./internal/config/... ./internal/safepath ./internal/runonce ./internal/tlsfiles ./internal/backoff/... ./internal/detect ./internal/detect/motion
  ./internal/detect/static ./internal/media ./internal/kafka/... ./internal/publisher/broker ./internal/publisher/clip
  ./internal/publisher/evidence ./internal/publisher/outbox ./internal/publisher/health
  ./internal/worker/depcheck ./internal/worker/cluster ./internal/console/... ./internal/recheck)
echo "test: CGO_ENABLED=0 go build ${pure[*]}" >&2
CGO_ENABLED=0 go build "${pure[@]}"

if [ -n "$image_pid" ]; then
  echo "test: waiting for the image build" >&2
  rc=0
  wait "$image_pid" || rc=$?
  image_pid=
  cat "$image_log" >&2
  if [ "$rc" != 0 ]; then echo "test: the image build failed" >&2; exit "$rc"; fi
  eval "$("$here/image.sh" env | sed 's/^/export /')"
fi

# Every package runs under the race detector: the suite is dominated by
# real-time streams and by C code (libavcodec, OpenCV), which -race does not
# slow down, so one -race run costs little more than a plain one.
# The three-broker cluster serves only the replication tests: they run
# first, then a cluster this script started is stopped, so that its three
# JVMs do not take CPU and memory from the rest of the suite (where those
# tests then skip).
cluster_tests='^(TestTopicsReplicatedOnThreeBrokers|TestBrokerKilledDuringBurst)$'
echo "test: go test -race -run '$cluster_tests' ./internal/publisher/broker (cluster $PATROL_TEST_KAFKA_CLUSTER)" >&2
clog=$(mktemp)
rc=0
go test -race -count=1 -run "$cluster_tests" -v ./internal/publisher/broker >"$clog" 2>&1 || rc=$?
grep -E '^(--- |ok|FAIL)|cluster_test' "$clog" >&2 || true
if [ "$rc" != 0 ]; then cat "$clog" >&2; exit "$rc"; fi
rm -f "$clog"
if [ "$cluster_started" = 1 ]; then
  "$here/cluster.sh" stop || true
  cluster_started=0
  unset PATROL_TEST_KAFKA_CLUSTER
fi

echo "test: go test -race ./... (kafka $PATROL_TEST_KAFKA)" >&2
tlog=$(mktemp)
rc=0
go test -race -count=1 -p 1 -timeout 60m ./... 2>&1 | tee "$tlog" || rc=$?
# The slowest packages, for the README's figures.
echo "test: slowest packages:" >&2
grep -E '^(ok|FAIL)[[:space:]]' "$tlog" | awk '{print $3, $2}' | sort -rn | head -8 | sed 's/^/test:   /' >&2 || true
rm -f "$tlog"
if [ "$rc" != 0 ]; then exit "$rc"; fi

# Fuzz targets run for a bounded time each; a crasher fails the run and is
# kept under the package's testdata/fuzz for regression. Minimizing a new
# interesting input is capped at 100 executions: with Go's default (60 s)
# a target with large seeds spends its whole budget minimizing and reports
# a handful of executions. Each target's execution count is printed, and a
# target that executes fewer than $PATROL_FUZZ_MIN_EXECS inputs fails.
# 10 s each by default: every target runs 100k+ inputs in that time here.
fuzztime=${PATROL_FUZZTIME:-10s}
minexecs=${PATROL_FUZZ_MIN_EXECS:-1000}
summary=()
while read -r pkg name; do
  echo "test: fuzz $name in $pkg for $fuzztime" >&2
  log=$(mktemp)
  ok=0
  for attempt in 1 2; do
    if go test -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" -fuzzminimizetime 100x "$pkg" >"$log" 2>&1; then
      ok=1; break
    fi
    # Go's fuzzing engine can end a run with a bare "context deadline
    # exceeded" when the time is up mid-minimization (no input at fault):
    # that, and only that, is retried once.
    if grep -q 'Failing input written' "$log" || ! grep -q 'context deadline exceeded' "$log"; then break; fi
    echo "test: fuzz $name: engine deadline flake, retrying" >&2
  done
  if [ "$ok" != 1 ]; then cat "$log" >&2; rm -f "$log"; exit 1; fi
  execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -1 | awk '{print $2}')
  interesting=$(grep -oE 'new interesting: [0-9]+' "$log" | tail -1 | awk '{print $3}')
  rm -f "$log"
  summary+=("$name ($pkg): ${execs:-0} execs in $fuzztime, ${interesting:-0} new interesting")
  if [ "${execs:-0}" -lt "$minexecs" ]; then
    echo "test: fuzz $name executed only ${execs:-0} inputs in $fuzztime (want >= $minexecs)" >&2; exit 1
  fi
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' . |
  sed -E 's|^(.*)/[^/]*_test\.go:[0-9]+:func (Fuzz[A-Za-z0-9_]*)\(.*|\1 \2|' | sort -u)
printf 'test: fuzz %s\n' "${summary[@]}" >&2
echo "test: all passed" >&2
