# The commands of the README: `make run`, `make test` (the machine's node) and `make test-all-node`
# (every supported Node.js line, what .ci/run runs). Each installs and builds first.
NPM_STAMP := node_modules/.package-lock.json
TAP_FLAGS ?=
# Test files for `make test` (and so for each line of `make test-all-node`); default every one.
TESTS ?= 'dist/tests/**/*.test.js'

.PHONY: install build run test test-all-node test-unit test-integration bench clean tools schemas

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund

install: $(NPM_STAMP)

build: install
	npx tsc -b

run: build
	node dist/supervisor/cli.js start

test: build tools
	npx tap $(TAP_FLAGS) $(TESTS)

# `make test` once per Node.js line: the machine's node and each version pinned in tests/helpers/node-lines.txt,
# fetched into .node-lines/ when missing (docs/runtimes.md). Installed and built once: dist is the same on every line.
test-all-node: build tools
	@bash tests/helpers/test-all-node.sh

test-unit: build
	npx tap $(TAP_FLAGS) 'dist/tests/unit/**/*.test.js'

test-integration: build tools
	npx tap $(TAP_FLAGS) 'dist/tests/integration/**/*.test.js' 'dist/tests/faults/**/*.test.js'

# Outside binaries the tests and benchmarks run (etcd, etcdctl, wrk, ...) come from Debian's packages;
# on CI a missing one fails the run.
tools:
	@bash tests/helpers/install-tools.sh

bench: build tools
	node dist/bench/run-all.js

# The JSON Schemas workers validate IPC with, generated from the zod schemas in contracts/ (contracts/worker-checks.ts).
schemas: build
	node dist/tests/helpers/json-schemas.js
	npx tsc -b

clean:
	rm -rf dist
