# make run   builds the web viewer when node is present (Node 20.19 or later), then serves the
#            embedded sample county; when the build fails (no network to the npm registry, say)
#            it warns and serves without the viewer
# make test  runs every test (the README's test command)
# make web   builds the web viewer (web/ → api/web/dist/, embedded by the Go binary) and the map
#            libraries of the monthly pack's offline page (web/pack → api/packviewer/files/assets/lib)
GO ?= go
ARGS ?=
WEB_SOURCES := web/index.html web/vite.config.js $(wildcard web/src/*)

.PHONY: run test web

run:
	@if command -v npm >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory web || \
			echo "make: warning: building the web viewer failed (is the npm registry reachable?); serving without it (the page at / says how to build it)" >&2; \
	else \
		echo "make: node/npm not found, serving without the web viewer (the page at / says how to build it)"; \
	fi
	$(GO) run ./cmd/mudi serve $(ARGS)

test:
	$(GO) test -race -timeout 30m ./...

web: api/web/dist/index.html api/packviewer/files/assets/lib/maplibre-gl.js

# npm ci rewrites node_modules/.package-lock.json: reinstall only when the lock file changed.
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund

api/web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build

web/pack/node_modules/.package-lock.json: web/pack/package.json web/pack/package-lock.json
	cd web/pack && npm ci --no-audit --no-fund

api/packviewer/files/assets/lib/maplibre-gl.js: web/pack/node_modules/.package-lock.json web/pack/build.mjs
	cd web/pack && npm run build
