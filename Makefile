# patrol: the two commands are `make demo` and `make test`.
SHELL := /bin/bash
GO ?= go
BIN := bin/patrol
# Assets (model, imagery) are never committed: they come from a local mirror
# when there is one (../shared on the development machines and in CI), else
# from their upstream addresses, always checked against their sha256.
PATROL_ASSET_MIRROR ?= $(shell [ -d ../shared ] && cd ../shared && pwd)
export PATROL_ASSET_MIRROR
GOFLAGS ?= -buildvcs=false
export GOFLAGS

.PHONY: all deps build assets demo test test-quick test-go fuzz services-up services-down cluster-up cluster-down vet lint fmt clean

all: build

## deps: install the Debian packages patrol builds against, when missing
deps:
	@deploy/testenv/deps.sh

## build: build bin/patrol
build: deps
	$(GO) build -o $(BIN) ./cmd/patrol

## assets: fetch and verify the model and the demo imagery
assets: build
	$(BIN) models pull

## demo: set up what is missing and run the demo until Ctrl-C
demo: assets
	$(BIN) demo $(DEMO_ARGS)

## test: set up, start Kafka and MinIO (unless PATROL_TEST_KAFKA/S3 are set), run every test
test: deps
	deploy/testenv/test.sh

## test-quick: the edit loop's tier: vet, gofmt, and every package but the
## end-to-end ones, without -race and with -short (the three-run replays of
## the street clips and the live-against-replay comparison shrink to their
## smallest case); start Kafka and MinIO first with `make services-up` and
## the variables of `deploy/testenv/services.sh env`. `make test` runs all.
test-quick: vet
	$(GO) test -short -count=1 $$($(GO) list ./... | grep -v /testkit/e2e)

## services-up / services-down: the real Kafka and MinIO for tests, on loopback
services-up:
	deploy/testenv/services.sh start
services-down:
	deploy/testenv/services.sh stop

## cluster-up / cluster-down: the three-broker Kafka cluster of the replication tests, on loopback
cluster-up:
	deploy/testenv/cluster.sh start
cluster-down:
	deploy/testenv/cluster.sh stop

## lint: golangci-lint at its pinned version (installed into the cache once; make test runs it too)
lint:
	deploy/testenv/lint.sh

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

clean:
	rm -rf bin
