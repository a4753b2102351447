#!/usr/bin/env bash
# Installs Debian's etcd-server for the membership tests when it is missing.
# As root it uses apt-get; on CI (CI=true) a missing etcd is an error, elsewhere a loud warning.
set -u
if command -v etcd >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-etcd: installing etcd-server with apt-get" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null) || true
fi
if command -v etcd >/dev/null 2>&1; then exit 0; fi
if [ "${CI:-}" = "true" ]; then
  echo "ensure-etcd: etcd is not installed and could not be installed; CI needs it for the membership tests" >&2
  exit 1
fi
echo "ensure-etcd: WARNING etcd is not installed; the etcd membership tests will be skipped" >&2
exit 0
