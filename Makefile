# make run   builds the web viewer when node is present, then serves the embedded sample county
# make test  runs every test (the README's test command)
# make web   builds the web viewer (web/ → api/web/dist/, embedded by the Go binary)
GO ?= go
ARGS ?=
WEB_SOURCES := web/index.html web/vite.config.js $(wildcard web/src/*)

.PHONY: run test web

run:
	@if command -v npm >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory web; \
	else \
		echo "make: node/npm not found, serving without the web viewer (the page at / says how to build it)"; \
	fi
	$(GO) run ./cmd/mudi serve $(ARGS)

test:
	$(GO) test -race ./...

web: api/web/dist/index.html

# npm ci rewrites node_modules/.package-lock.json: reinstall only when the lock file changed.
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund

api/web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build
