# The two commands of the README: `make run` and `make test`. Both install and build first.
NPM_STAMP := node_modules/.package-lock.json
TAP_FLAGS ?=

.PHONY: install build run test test-unit test-integration bench clean etcd

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund

install: $(NPM_STAMP)

build: install
	npx tsc -b

run: build
	node dist/supervisor/cli.js start

test: build etcd
	npx tap $(TAP_FLAGS) 'dist/tests/**/*.test.js'

test-unit: build
	npx tap $(TAP_FLAGS) 'dist/tests/unit/**/*.test.js'

test-integration: build etcd
	npx tap $(TAP_FLAGS) 'dist/tests/integration/**/*.test.js' 'dist/tests/faults/**/*.test.js'

# The etcd membership tests need Debian's etcd-server; on CI a missing etcd fails the run.
etcd:
	@bash tests/helpers/ensure-etcd.sh

bench: build
	node dist/bench/run-all.js

clean:
	rm -rf dist
