#!/usr/bin/env bash
# Installs every outside binary that a test or a benchmark runs, from Debian's packages, when it is missing.
# The list below is the one place that says which binary comes from which package: etcdctl, for one, is in
# etcd-client, not in etcd-server, and a clean machine has neither.
# As root it uses apt-get; on CI (CI=true) anything still missing is an error, elsewhere a loud warning
# (the tests that need it then skip, saying so).
set -u

# binary:package
TOOLS=(
  etcd:etcd-server       # membership tests: a real etcd cluster
  etcdctl:etcd-client    # membership tests: what another party writes into etcd
  wrk:wrk                # benchmarks and load tests
  flock:util-linux       # the machine-wide load lock of tests and benchmarks
  promtool:prometheus    # deploy/prometheus: check config, check rules, test rules, check metrics
  prometheus:prometheus  # a real Prometheus scraping propane and firing its alerts
  systemd-analyze:systemd  # deploy/systemd: systemd-analyze verify
  systemd-notify:systemd   # sd_notify: the supervisor sends READY=1 etc. through it
  systemd-socket-activate:systemd  # socket activation: a real service manager passes propane its socket
  python3:python3        # the fake service manager end of NOTIFY_SOCKET (tests/helpers/notify-receiver.py)
  openssl:openssl        # TLS tests make their certificates with it (tests/helpers/certificates.ts); openssl s_time in bench/
)

missing_packages() {
  local pair bin pkg
  for pair in "${TOOLS[@]}"; do
    bin=${pair%%:*}
    pkg=${pair#*:}
    command -v "$bin" >/dev/null 2>&1 || echo "$pkg"
  done | sort -u
}

packages=$(missing_packages)
if [ -n "$packages" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "install-tools: installing with apt-get:" $packages >&2
  # Debian's packages may ship services (prometheus on :9090, etcd); nothing here must start one: tests
  # start their own on free ports. policy-rc.d exiting 101 tells invoke-rc.d not to start them.
  guard=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && guard=1
  fi
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null) ||
    echo "install-tools: apt-get failed" >&2
  [ -n "$guard" ] && rm -f /usr/sbin/policy-rc.d
  packages=$(missing_packages)
fi
[ -z "$packages" ] && exit 0
if [ "${CI:-}" = "true" ]; then
  echo "install-tools: still missing Debian packages:" $packages "(CI needs them; run as root with apt-get)" >&2
  exit 1
fi
echo "install-tools: WARNING missing Debian packages:" $packages "- the tests and benchmarks that need them will skip" >&2
exit 0
