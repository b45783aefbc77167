#!/usr/bin/env bash
# Installs what ccgate needs to build and test, only where missing (idempotent).
#   scripts/install-deps.sh          build dependencies (apt)
#   scripts/install-deps.sh --test   also the test clients (npm, pinned by tests/e2e/package-lock.json)
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  g++ cmake make pkg-config git ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libfmt-dev libspdlog-dev libcli11-dev libgtest-dev libgmock-dev
  nodejs npm
)

missing=()
for pkg in "${apt_packages[@]}"; do
  if [[ $pkg == nodejs || $pkg == npm ]]; then
    command -v "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    continue
  fi
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ ${1:-} == --test ]]; then
  stamp=tests/e2e/node_modules/.ccgate-installed
  if [[ ! -f $stamp || tests/e2e/package-lock.json -nt $stamp ]]; then
    echo "install-deps: installing test clients (npm ci)"
    (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
  fi
fi
