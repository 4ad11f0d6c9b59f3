# lesim build and test entry points. `make test` is what CI runs.
GO ?= go
PKGS := ./...
# Long property runs: thousands of rapid checks. `make test` runs each
# package's own default: the scenario properties 500 (scenarios/runner/main_test.go,
# sized to the package's budget under -race), others rapid's 100.
LONG_CHECKS ?= 2000

.PHONY: all build test test-long bench fuzz fmt vet lint lint-canary tidy conformance

all: build

build:
	$(GO) build $(PKGS)

fmt:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# vet builds with -race so that it compiles the same package variants as
# `go test -race`: on a cold build cache, make test then compiles client-go
# once instead of twice.
vet:
	$(GO) vet -race $(PKGS)

# lint: staticcheck at the version go.mod pins (a tool directive) and
# lesimvet, the project's own analyzers (cmd/lesimvet: the determinism
# rules of the simulated packages). Either one failing fails the target.
# Both read the compiler's export data of the -race variants, which vet and
# test build anyway, instead of compiling client-go once more; the tools
# themselves are built without -race. staticcheck reads the lesim_mutants
# build, the one in which the conformance suite's report code is reachable;
# the default build differs from it only by the constants in
# elector/mutant_off.go.
LESIMVET := $(CURDIR)/bin/lesimvet
STATICCHECK := $(CURDIR)/bin/staticcheck

lint:
	$(GO) build -o $(STATICCHECK) honnef.co/go/tools/cmd/staticcheck
	GOFLAGS="$$($(GO) env GOFLAGS) -race" $(STATICCHECK) -tags lesim_mutants $(PKGS)
	$(GO) build -o $(LESIMVET) ./cmd/lesimvet
	$(GO) vet -race -vettool=$(LESIMVET) $(PKGS)

# lint-canary shows that lint can fail: the lesimvet step of lint, run on sim/
# with a planted time.Now() (added through a build overlay, so the tree is
# not touched), must report it.
CANARY := $(or $(TMPDIR),/tmp)/lesim-lint-canary
lint-canary:
	$(GO) build -o $(LESIMVET) ./cmd/lesimvet
	@mkdir -p $(CANARY)
	@printf 'package sim\n\nimport "time"\n\nvar planted = time.Now()\n' > $(CANARY)/planted.go
	@printf '{"Replace":{"%s":"%s"}}' '$(CURDIR)/sim/zz_planted.go' '$(CANARY)/planted.go' > $(CANARY)/overlay.json
	@if $(GO) vet -race -overlay=$(CANARY)/overlay.json -vettool=$(LESIMVET) ./sim > $(CANARY)/out 2>&1; then \
		echo "lint-canary: lint passed a planted time.Now() in sim/"; exit 1; fi
	@grep -q 'planted.go:5:.*time.Now reads the wall clock' $(CANARY)/out || \
		{ echo "lint-canary: lint failed, but not on the planted time.Now():"; cat $(CANARY)/out; exit 1; }
	@echo "lint-canary: lint fails on a planted time.Now() in sim/, as it must"

# The conformance suite runs outside -race (the real elector under the race
# detector is several times slower), in a lesim_mutants build: the corpus at
# a small N against the faithful elector and three mutants.
test: fmt vet lint lint-canary
	$(GO) test -race -count=1 -timeout 9m $$($(GO) list $(PKGS) | grep -v '/scenarios/conformance$$')
	$(GO) test -count=1 -timeout 5m -tags lesim_mutants ./scenarios/conformance ./scenarios/worstcase

# The full conformance suite: every corpus scenario CONFORMANCE_N times a
# side against the faithful elector and every mutant; rewrites
# docs/conformance.md.
CONFORMANCE_N ?= 500
conformance:
	$(GO) test -count=1 -timeout 0 -tags lesim_mutants ./scenarios/conformance -run '^TestConformance$$' -v -conformance.n=$(CONFORMANCE_N) -update

# Only packages whose tests use rapid define -rapid.checks; any other test
# binary would reject the flag.
PKG_TEST_IMPORTS = $(GO) list -f '{{.ImportPath}}{{range .TestImports}} {{.}}{{end}}{{range .XTestImports}} {{.}}{{end}}' $(PKGS)

test-long: fmt vet
	$(GO) test -count=1 -timeout 60m $$($(PKG_TEST_IMPORTS) | grep ' pgregory.net/rapid' | cut -d' ' -f1) -args -rapid.checks=$(LONG_CHECKS)
	$(GO) test -count=1 -timeout 60m $$($(PKG_TEST_IMPORTS) | grep -v ' pgregory.net/rapid' | cut -d' ' -f1)
	$(GO) test -count=1 -timeout 30m -tags lesim_mutants ./scenarios/runner -run 'Adversary.*Catches'

bench:
	$(GO) test -p 1 -run '^$$' -bench . -benchmem -benchtime 1s $(PKGS)

# Each fuzz target runs for FUZZTIME; their seed corpora also run in
# `make test` as ordinary tests.
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./scenarios
	$(GO) test -run '^$$' -fuzz '^FuzzClockConversions$$' -fuzztime $(FUZZTIME) ./sim
	$(GO) test -run '^$$' -fuzz '^FuzzAuthenticatedHandler$$' -fuzztime $(FUZZTIME) ./fakeapi/rest
	$(GO) test -run '^$$' -fuzz '^FuzzCommandLine$$' -fuzztime $(FUZZTIME) ./cmd/simulate

tidy:
	$(GO) mod tidy
