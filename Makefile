# kimiscale: make help lists the targets.
SHELL := /usr/bin/env bash
.DEFAULT_GOAL := help

BIN      ?= bin
GO       ?= go
GOBIN    ?= $(shell $(GO) env GOPATH)/bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE     ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS  := -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
# Where the integration tests' servers (etcd, kube-apiserver, ...) are built
# and cached between runs; never committed.
CACHE    ?= $(HOME)/.cache/kimiscale
export KIMISCALE_TESTBINS ?= $(CACHE)/bin

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The plugin is built static, as kubectl and the release archives are
# (hack/dist.sh). With cgo, the plugin package that kustomize (through
# cli-runtime) imports makes the linker export every symbol: 18 MB of dynamic
# symbol tables the loader reads at each start, which took the demo from 64
# to 91 MB RSS (make bench, BenchmarkDemo).
.PHONY: build
build: ## Build bin/kubectl-kimiscale (static, CGO_ENABLED=0)
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/kubectl-kimiscale ./cmd/kubectl-kimiscale
	@printf '#!/bin/sh\nexec kubectl kimiscale __complete "$$@"\n' > $(BIN)/kubectl_complete-kimiscale
	@chmod +x $(BIN)/kubectl_complete-kimiscale

.PHONY: dist
dist: ## Build release archives into bin/dist and render deploy/krew/kimiscale.yaml (VERSION=v1.2.3)
	hack/dist.sh "$(VERSION)" $(BIN)/dist

.PHONY: demo
demo: build ## Open the dashboard on the embedded demo cluster (no Kubernetes needed)
	$(BIN)/kubectl-kimiscale --demo

.PHONY: deps
deps: ## Install what the tests need (Debian packages, cached test servers)
	hack/install-deps.sh
	hack/testbins.sh "$(KIMISCALE_TESTBINS)"

.PHONY: test
test: deps ## Run every test, including integration tests against real servers
	$(GO) vet ./...
	$(GO) test -race -count=1 -tags integration -timeout 40m ./...

.PHONY: test-unit
test-unit: ## Run the unit tests only (quick loop)
	$(GO) test -race ./...

# The integration tag adds the benchmarks on real parts: a poll of a local
# Prometheus (metrics) and the demo's CPU and RSS in tmux (cmd, ~3 minutes).
.PHONY: bench
bench: ## Run the benchmarks (speed and memory targets, the demo's CPU and RSS)
	hack/install-deps.sh
	$(GO) test -tags integration -run '^$$' -bench . -benchmem -timeout 30m ./...

.PHONY: fuzz
fuzz: ## Fuzz the policy loader and DuckDB size parser for a minute each
	$(GO) test -run '^$$' -fuzz FuzzParseSize -fuzztime 60s ./core
	$(GO) test -run '^$$' -fuzz FuzzLoadPolicy -fuzztime 60s ./config

.PHONY: golden
golden: ## Regenerate the UI golden files
	$(GO) test ./ui/... -update

.PHONY: lint
lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

.PHONY: fmt
fmt: ## Format the code
	gofmt -w $$(git ls-files '*.go')

.PHONY: tidy
tidy: ## go mod tidy
	$(GO) mod tidy

.PHONY: install
install: build ## Put kubectl-kimiscale on the PATH (in GOBIN) for kubectl
	install -d $(GOBIN)
	install -m 0755 $(BIN)/kubectl-kimiscale $(BIN)/kubectl_complete-kimiscale $(GOBIN)/
	@echo "installed to $(GOBIN); make sure it is on your PATH, then run: kubectl kimiscale --help"

.PHONY: clean
clean: ## Remove build output (the cached test servers stay in $(CACHE))
	rm -rf $(BIN)

.PHONY: readme
readme: ## Regenerate the README's flag table from the command
	$(GO) test ./cmd/kubectl-kimiscale -run TestREADMEFlags -update
