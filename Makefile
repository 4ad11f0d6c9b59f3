# lesim build and test entry points. `make test` is what CI runs.
GO ?= go
PKGS := ./...
# Long property runs: thousands of rapid checks instead of the default few.
LONG_CHECKS ?= 2000

.PHONY: all build test test-long bench fuzz fmt vet lint tidy

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

test: fmt vet
	$(GO) test -race -count=1 -timeout 9m $(PKGS)

# Only packages whose tests use rapid define -rapid.checks; any other test
# binary would reject the flag.
PKG_TEST_IMPORTS = $(GO) list -f '{{.ImportPath}}{{range .TestImports}} {{.}}{{end}}{{range .XTestImports}} {{.}}{{end}}' $(PKGS)

test-long: fmt vet
	$(GO) test -count=1 -timeout 60m -tags long $$($(PKG_TEST_IMPORTS) | grep ' pgregory.net/rapid' | cut -d' ' -f1) -args -rapid.checks=$(LONG_CHECKS)
	$(GO) test -count=1 -timeout 60m -tags long $$($(PKG_TEST_IMPORTS) | grep -v ' pgregory.net/rapid' | cut -d' ' -f1)

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
