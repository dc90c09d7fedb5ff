# Makefile: the two commands of the README and the pieces they are made of.
#   make demo   starts the server with the demo users on http://127.0.0.1:8080
#   make test   runs every test: Go (with -race), end to end in Node, browser, brief fuzzing
# Each target does its own set-up, so both work on a fresh machine.

SHELL      := /bin/bash
GO         ?= go
ADDR       ?= 127.0.0.1:8080
FUZZTIME   ?= 5s
NODE_DEPS  := test/node_modules/.package-lock.json
CLIENT_JS  := public/lib/socket.io.min.js
ADMIN_UI   := public/adminui/index.html

.PHONY: demo test setup setup-go setup-node setup-apt check unit e2e fuzz load faults build clean

# demo builds bin/server and runs it in the foreground (exec: make's child is the
# server itself), so Ctrl-C, or SIGTERM to make, stops it.
demo: build
	DEMO=1 ADDR=$(ADDR) exec ./bin/server

# step prints a step's name as it starts and its duration as it ends (also
# when it fails), so a long `make test` is never silent about where it is.
step = @echo "==> $(1) ($$(date +%T))"; t0=$$(date +%s); trap 'echo "<== $(1): $$(( $$(date +%s) - t0 )) s"' EXIT;

test: setup check unit e2e fuzz
	@echo "make test: all suites passed"

setup: setup-apt setup-go setup-node

# setup-apt installs the system packages the suites drive (redis-server, chromium,
# PostgreSQL, nginx) when missing. Debian keeps the PostgreSQL binaries off PATH.
setup-apt:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v nginx >/dev/null || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
	  echo "==> installing:$$missing (apt-get, log in /tmp/rtserver-apt.log)"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; } \
	    >/tmp/rtserver-apt.log 2>&1 || { tail -30 /tmp/rtserver-apt.log; exit 1; }; \
	fi

setup-go:
	$(GO) mod download

# setup-node installs the pinned npm packages (socket.io-client for the demo page and the
# end-to-end suites, the Node reference server, playwright-core) and copies the browser
# build of socket.io-client and the Socket.IO Admin UI (without source maps) where the
# server embeds them. The UI links its icon font (@mdi/font) from a CDN; its css and
# woff2/woff fonts (the formats every supported browser takes) are copied to
# public/adminui/mdi/ and the link rewritten to them.
setup-node: $(NODE_DEPS) $(CLIENT_JS) $(ADMIN_UI)

$(NODE_DEPS): test/package.json test/package-lock.json
	cd test && npm ci --no-audit --no-fund --loglevel=error

$(CLIENT_JS): $(NODE_DEPS)
	cp test/node_modules/socket.io-client/dist/socket.io.min.js $(CLIENT_JS)

$(ADMIN_UI): $(NODE_DEPS)
	find public/adminui -mindepth 1 ! -name README.md -delete
	cd test/node_modules/@socket.io/admin-ui/ui/dist && find . -type f ! -name '*.map' -exec cp --parents {} $(CURDIR)/public/adminui/ \;
	mkdir -p public/adminui/mdi/css public/adminui/mdi/fonts
	cp test/node_modules/@mdi/font/LICENSE public/adminui/mdi/
	cp test/node_modules/@mdi/font/css/materialdesignicons.min.css public/adminui/mdi/css/
	cp test/node_modules/@mdi/font/fonts/materialdesignicons-webfont.woff2 \
	   test/node_modules/@mdi/font/fonts/materialdesignicons-webfont.woff public/adminui/mdi/fonts/
	sed -i 's|https://cdn.jsdelivr.net/npm/@mdi/font@latest/css/materialdesignicons.min.css|mdi/css/materialdesignicons.min.css|' public/adminui/index.html
	grep -q 'href="\?mdi/css/materialdesignicons.min.css' public/adminui/index.html

# check vets the engine for Windows and macOS too: it is a library, and Linux-only
# system calls (the inline write, the idle poller) must stay behind build tags.
check: setup-node
	$(call step,check (gofmt; go mod tidy -diff; go vet; tsc)) \
	out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './test/node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi; \
	$(GO) mod tidy -diff && $(GO) vet ./... && $(GO) vet -tags e2e ./... && \
	GOOS=windows $(GO) vet ./socketio/... && GOOS=darwin $(GO) vet ./socketio/... && \
	test/node_modules/.bin/tsc -p test/types

# TESTED lists the packages that have tests (with the build tags in $(1)), so
# that no "[no test files]" line hides the ones that ran.
TESTED = $$($(GO) list $(1) -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' $(2))

# unit runs every package with tests outside the e2e tag; make e2e runs the
# suites under test/ that carry it.
unit:
	$(call step,unit (go test -race; a cold build takes minutes before the first line)) \
	$(GO) test -race -count=1 $(call TESTED,,./...)

e2e: setup-node
	$(call step,e2e (every suite under test/)) \
	$(GO) test -race -count=1 -tags e2e -timeout 15m $(call TESTED,-tags e2e,./test/...)

# fuzz runs every fuzz target briefly (FUZZTIME each); run longer by hand with FUZZTIME=10m.
# Each target prints one line: its package, its name, ok or FAIL, and how many
# inputs it ran. A run that ends in "context deadline exceeded" without writing a
# failing input (the fuzzer's workers outliving FUZZTIME on a loaded machine, no
# bug found) is run once more; any failing input fails at once.
fuzz:
	$(call step,fuzz (every target for $(FUZZTIME))) \
	set -e; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	    out=$$($(GO) test -run='^$$' -fuzz="^$$f\$$" -fuzztime=$(FUZZTIME) $$pkg 2>&1) || \
	    if ! echo "$$out" | grep -q 'Failing input written' && echo "$$out" | grep -q 'context deadline exceeded'; then \
	      echo "fuzz $$pkg $$f: the fuzzer timed out at the end of FUZZTIME with no failing input; once more"; \
	      out=$$($(GO) test -run='^$$' -fuzz="^$$f\$$" -fuzztime=$(FUZZTIME) $$pkg 2>&1) || { echo "fuzz $$pkg $$f: FAIL"; echo "$$out" | tail -40; exit 1; }; \
	    else echo "fuzz $$pkg $$f: FAIL"; echo "$$out" | tail -40; exit 1; fi; \
	    execs=$$(echo "$$out" | grep -o 'execs: [0-9]*' | tail -1 | cut -d' ' -f2); \
	    echo "fuzz $$pkg $$f: ok, $${execs:-0} inputs in $(FUZZTIME)"; \
	  done; \
	done

# load runs the engine side by side with the Node reference server, and the product (cmd/server)
# side by side with the Node reference product (test/load/nodeproduct.mjs), and prints ratios.
load: setup-node
	bash test/load/run.sh

# faults runs the fault suite at full size (2,000-5,000 clients) and prints its figures;
# make e2e runs it at CI size (FAULTS_SCALE=ci).
faults:
	ulimit -n 20000; FAULTS_SCALE=full $(GO) test -tags e2e -run Faults -v -count=1 -timeout 30m ./test/faults/ | grep -E 'FIGURE|^(---|ok|FAIL|PASS)'

# build needs the client bundle: the server embeds it for the demo page.
build: setup-go setup-node
	$(GO) build -o bin/server ./cmd/server
	$(GO) build -o bin/conformance ./cmd/conformance

clean:
	rm -rf bin
