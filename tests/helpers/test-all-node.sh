#!/usr/bin/env bash
# `make test-all-node`: `make test` once per supported Node.js line (node-lines.sh lists and installs them),
# each with that line's bin dir first on PATH. tap's shebang (`#!/usr/bin/env node`) then picks that node,
# and every test file and every process a test starts (the CLI, the supervisor, its workers) inherits it
# through process.execPath; TEST_NODE_VERSION lets tests/integration/runtime-node-line.test.ts prove it.
# Installing and building happen once, before this runs: node_modules and dist do not depend on the line.
# Prints one result line per Node.js line with its duration, then "N passed, N failed" over all lines last;
# exits 1 if any line failed, ran no test, or `make test` itself failed.
set -uo pipefail
cd "$(dirname "$0")/../.."

lines=$(bash tests/helpers/node-lines.sh) || { echo "test-all-node: cannot install the Node.js lines" >&2; exit 1; }
mapfile -t lines <<<"$lines"

results=()
all_passed=0
all_failed=0
status=0
started=$SECONDS
for entry in "${lines[@]}"; do
  read -r version bin <<<"$entry"
  on_path=$(PATH="$bin:$PATH" node --version)
  if [ "$on_path" != "v$version" ]; then
    echo "test-all-node: node on PATH is $on_path, not v$version" >&2
    results+=("node $version: 0 passed, 1 failed (node on PATH is $on_path)")
    all_failed=$((all_failed + 1))
    status=1
    continue
  fi
  echo "test-all-node: node $version ($bin/node)"
  log=$(mktemp)
  line_started=$SECONDS
  PATH="$bin:$PATH" TEST_NODE_VERSION="v$version" ${MAKE:-make} --no-print-directory test TAP_FLAGS="--reporter=tap" </dev/null 2>&1 | tee "$log"
  make_status=${PIPESTATUS[0]}
  seconds=$((SECONDS - line_started))
  summary=$(grep -E '^# \{ total: [0-9]+' "$log" | tail -n 1)
  rm -f "$log"
  passed=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$summary")
  failed=$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<<"$summary")
  passed=${passed:-0}
  failed=${failed:-0}
  note=""
  if [ "$make_status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
    status=1
    [ "$make_status" -ne 0 ] && note=", make test exited $make_status"
    [ "$passed" -eq 0 ] && note="$note, no test passed"
  fi
  results+=("node $version: $passed passed, $failed failed ($((seconds / 60))m$(printf %02d $((seconds % 60)))s$note)")
  all_passed=$((all_passed + passed))
  all_failed=$((all_failed + failed))
done

total=$((SECONDS - started))
echo "test-all-node: ${#lines[@]} Node.js lines in $((total / 60))m$(printf %02d $((total % 60)))s"
printf '%s\n' "${results[@]}"
echo "${all_passed} passed, ${all_failed} failed"
exit "$status"
