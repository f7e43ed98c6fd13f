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

.PHONY: deps web build run test soak lint stop clean clean-data bench bench-quick bench-readme bench-go bench-addresses bench-entities bench-flags bench-tiles

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

# bench is the benchmark suite at city scale (gridsentry bench -scale city,
# 2M entities): it reuses the database gridsentry_bench_city when that holds
# the whole city, applying pending migrations and linking what is unlinked,
# and builds it otherwise (load, link, bulk import, first flag evaluation:
# about 25 minutes on 2 cores); then it prints one table (load, import and
# link times, the address index, validation in process and over HTTP, tiles
# cold and warm by zoom, the flag recompute, the statistics queries, an
# export of every entity, memory) with the machine and the commit, and
# writes it to var/bench/city-<time>.md. A reuse takes 7 to 15 minutes,
# by how busy the cores are.
# BENCH_FLAGS passes flags: -rebuild measures the build again, -strict
# fails on a missed target. bench-quick is the same at demo scale (a few
# minutes); bench-readme puts the newest tables of both into the README.
bench: deps build
	$(BIN) bench -scale city $(BENCH_FLAGS)

bench-quick: deps build
	$(BIN) bench -scale demo $(BENCH_FLAGS)

bench-readme: build
	$(BIN) bench readme -scale city
	$(BIN) bench readme -scale demo

# bench-go runs the Go micro-benchmarks of the pure packages (the
# generator, parsing and matching, the tile cache and encoder, scope
# routing, coverage cells) and prints the matcher's accuracy on the demo
# city's typed addresses; no database.
bench-go: deps web
	$(GO) test -run '^$$' -bench . -benchtime 3x -benchmem ./demo/
	$(GO) test -run '^$$' -bench . -benchmem ./addressbook/ ./tiles/ ./supervision/
	$(GO) test -count=1 -v -run TestAccuracy ./addressbook/ | sed -n '/kind/,/existing/p'

# The detailed benchmarks behind rows of the table, on the database of
# `make bench` (SCALE=demo: of `make bench-quick`):
# bench-addresses: the index build and its heap, accuracy by kind of typed
# address, HTTP validation with vegeta, a batch of 2M lines; bench-entities:
# link accuracy against the generator's ground truth and the tasks pushed by
# department; bench-flags: precision and recall per flag kind and check-in
# latency; bench-tiles: every layer set and zoom of the tile list with first
# builds and sizes, and a sweep of the city for the largest tile.
SCALE ?= city

bench-addresses: deps build
	scripts/bench-addresses.sh $(SCALE)

bench-entities: deps build
	$(BIN) cluster start >/dev/null
	scripts/bench-entities.sh $(SCALE)

bench-flags: deps build
	$(BIN) cluster start >/dev/null
	scripts/bench-flags.sh $(SCALE)

bench-tiles: deps build
	$(BIN) cluster start >/dev/null
	scripts/bench-tiles.sh $(SCALE)

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
