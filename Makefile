# gridsentry: `make run` serves the demo city from a private PostgreSQL
# cluster under var/pg; `make test` runs every test against that cluster.
# Both first install what is missing (scripts/install-deps.sh, as root on
# Debian or Ubuntu).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
GOFMT := $(shell $(GO) env GOROOT)/bin/gofmt
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BIN := bin/gridsentry
# The binary reads GRIDSENTRY_DATA_DIR too, so make and gridsentry agree on the cluster.
PGDIR := $(or $(GRIDSENTRY_DATA_DIR),var/pg)

.PHONY: deps web build run test soak lint stop clean clean-data bench bench-city bench-addresses bench-entities bench-flags bench-tiles

deps:
	scripts/install-deps.sh
	$(GO) mod download

# web builds the console (TypeScript, MapLibre) into web/dist, which the
# binary embeds: go build, go vet and go test need it. npm ci runs only when
# the lock changed since the last install.
web:
	@if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then \
		cd web && npm ci --no-audit --no-fund; fi
	cd web && npm run --silent build

build: deps web
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/gridsentry

run: deps build
	@echo "make run: starting gridsentry; the console will be at http://$${GRIDSENTRY_ADDR:-127.0.0.1:8080}/ (Ctrl-C stops it, make stop stops PostgreSQL)"
	$(BIN) dev

# test starts the private cluster unless it is running, and stops it afterwards
# only if it started it, whatever the tests' outcome.
test: deps build
	@started=; \
	if ! $(BIN) cluster status >/dev/null 2>&1; then started=1; fi; \
	trap 'if [ -n "$$started" ]; then $(BIN) cluster stop; fi' EXIT; \
	url=$$($(BIN) cluster start); \
	echo "make test: PostgreSQL at $$url"; \
	GRIDSENTRY_TEST_DATABASE_URL=$$url GRIDSENTRY_REQUIRE_DB=1 $(GO) test -count=1 -timeout 30m ./...; \
	cd web && npm run --silent typecheck && npm test --silent; \
	cd .. && scripts/e2e.sh

# soak runs the long part of the reliability suite: every fuzz target for
# FUZZTIME (default 60s) each, the kill -9 crash tests at full size, and
# the load soak (scripts/soak.sh: SOAK_RATE requests/s, default 500, for
# SOAK_DURATION, default 10m, on a fresh demo city) that fails on any error
# or a growing heap. It takes about 45 minutes.
soak: deps build
	@started=; \
	if ! $(BIN) cluster status >/dev/null 2>&1; then started=1; fi; \
	trap 'if [ -n "$$started" ]; then $(BIN) cluster stop; fi' EXIT; \
	url=$$($(BIN) cluster start); \
	echo "make soak: PostgreSQL at $$url"; \
	GRIDSENTRY_TEST_DATABASE_URL=$$url GRIDSENTRY_REQUIRE_DB=1 scripts/fuzz.sh $${FUZZTIME:-60s}; \
	GRIDSENTRY_TEST_DATABASE_URL=$$url GRIDSENTRY_REQUIRE_DB=1 GRIDSENTRY_SOAK=1 \
		$(GO) test -count=1 -timeout 60m -run 'TestKill|TestGridsentryProcess' ./cmd/gridsentry/; \
	scripts/soak.sh

# bench runs the pure Go benchmarks, times loading the demo-scale city, and
# runs the address benchmarks and accuracy on it, then links its entities and
# measures the flag rules (precision and recall per kind) and the vector tiles (a
# fixed list across z8-z16, cold and warm, sizes, cached throughput); bench-city times loading the
# city scale (1M buildings, 6.7M rooms) and bench-addresses runs the address
# benchmarks at city scale (index build, throughput, HTTP latency, 2M batch).
bench: deps build
	$(BIN) cluster start >/dev/null
	$(GO) test -run '^$$' -bench . -benchtime 3x -benchmem ./demo/
	$(GO) test -run '^$$' -bench . -benchmem ./addressbook/
	$(GO) test -run '^$$' -bench . -benchmem ./tiles/
	$(GO) test -count=1 -v -run TestAccuracy ./addressbook/ | sed -n '/kind/,/existing/p'
	scripts/bench-load.sh demo
	scripts/bench-entities.sh demo
	scripts/bench-flags.sh demo
	scripts/bench-tiles.sh demo

# bench-tiles times the vector tiles over the city scale loaded by bench-city
# and linked by bench-entities.
bench-tiles: deps build
	$(BIN) cluster start >/dev/null
	scripts/bench-tiles.sh city

# bench-flags evaluates the flag rules over the city scale loaded by
# bench-city and linked by bench-entities, and times check-ins.
bench-flags: deps build
	$(BIN) cluster start >/dev/null
	scripts/bench-flags.sh city

bench-addresses: deps build
	scripts/bench-addresses.sh city

bench-city: deps build
	$(BIN) cluster start >/dev/null
	scripts/bench-load.sh city

# bench-entities links, measures and re-imports the 2M entities of the city
# scale loaded by bench-city.
bench-entities: deps build
	$(BIN) cluster start >/dev/null
	scripts/bench-entities.sh city

lint: deps web
	@files=$$(git ls-files -co --exclude-standard '*.go' 2>/dev/null || find . -name '*.go' -not -path './var/*' -not -path './bin/*'); \
	unformatted=$$($(GOFMT) -l $$files); \
	if [ -n "$$unformatted" ]; then echo "gofmt -l: run gofmt -w on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

stop:
	@if [ -x $(BIN) ]; then $(BIN) cluster stop; fi

clean:
	rm -rf bin

# clean-data deletes the private cluster and all its databases.
clean-data: stop
	@if [ -f $(PGDIR)/data/postmaster.pid ]; then echo "PostgreSQL still runs in $(PGDIR): make build stop first"; exit 1; fi
	rm -rf $(PGDIR)
