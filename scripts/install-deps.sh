#!/usr/bin/env bash
# Installs what ccgate needs to build and test, only where missing (idempotent).
#   scripts/install-deps.sh          build dependencies (apt)
#   scripts/install-deps.sh --cli    also the pinned Claude Code CLI the gateway door runs (npm, with
#                                    the test clients, pinned by tests/e2e/package-lock.json); a
#                                    failure only warns: the proxy door does not need it
#   scripts/install-deps.sh --test   also the test clients (npm, pinned by tests/e2e/package-lock.json)
#                                    and chromium (apt) for the status page's browser test
#   scripts/install-deps.sh --bench  also the benchmark arms: nginx-light (the zero-logic floor),
#                                    util-linux (taskset, unshare), iproute2, gnuplot-nox (the
#                                    bench's and the soak's charts), and the peer
#                                    claude-code-router (npm, pinned by bench/peers/package-lock.json,
#                                    installed into the ignored bench/peer/)
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  clang-16 libclang-rt-16-dev cmake make pkg-config git ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libfmt-dev libspdlog-dev libcli11-dev libyaml-cpp-dev libgtest-dev libgmock-dev
  nodejs npm
)
mode=${1:-}
[[ $mode == --bench ]] && apt_packages+=(nginx-light util-linux iproute2 gnuplot-nox)
# promtool (package prometheus) checks the /metrics output in tests/e2e/metrics.test.js.
[[ $mode == --test ]] && apt_packages+=(prometheus)
# The status page's browser test drives Debian's Chromium (puppeteer-core downloads no browser).
[[ $mode == --test ]] && apt_packages+=(chromium)

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

# npm ci into <dir> from the lock file in <lock_dir>, unless already done for that lock.
npm_install() {
  local dir=$1 lock_dir=$2 what=$3
  local stamp=$dir/node_modules/.ccgate-installed
  if [[ ! -f $stamp || $lock_dir/package-lock.json -nt $stamp ]]; then
    echo "install-deps: installing $what (npm ci)"
    mkdir -p "$dir"
    [[ $dir -ef $lock_dir ]] || cp "$lock_dir/package.json" "$lock_dir/package-lock.json" "$dir/"
    # (an explicit return: inside an `if` condition, set -e does not stop at the failure)
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || return 1
    touch "$stamp"
  fi
}

# The real Claude Code CLI is part of the test clients; the bench uses it too.
if [[ $mode == --test || $mode == --bench ]]; then
  npm_install tests/e2e tests/e2e "test clients"
fi
if [[ $mode == --cli ]] && ! npm_install tests/e2e tests/e2e "the pinned Claude Code CLI"; then
  echo "install-deps: warning: the Claude Code CLI could not be installed; the proxy door works," \
    "the gateway door answers 503 until it is (run: make test-deps, or set CLAUDE_CODE_PATH)" >&2
fi
if [[ $mode == --bench ]]; then
  npm_install bench/peer bench/peers "benchmark peers"
fi
