#!/usr/bin/env bash
# Installs the system programs the test suite runs for real: Prometheus (and promtool),
# Alertmanager and Chromium, from Debian's packages. Does nothing when they are present.
set -euo pipefail

declare -A need=(
  [promtool]=prometheus
  [prometheus]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager
  [chromium]=chromium
)
missing=()
for program in "${!need[@]}"; do
  command -v "$program" >/dev/null 2>&1 || missing+=("${need[$program]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "error: the tests need these Debian packages: $packages" >&2
  echo "       install them (sudo apt-get install $packages) and run make test again" >&2
  exit 1
fi
echo "installing $packages (tests run Prometheus, Alertmanager and Chromium for real)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $packages >/dev/null
