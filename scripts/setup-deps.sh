#!/usr/bin/env bash
# Installs what tern needs from Debian's packages (and npm, for the interop
# tests). Idempotent and quiet when everything is already there.
#   scripts/setup-deps.sh build   compilers and libraries for tern-server and tern
#   scripts/setup-deps.sh test    the above + test/benchmark tools and reference servers
set -euo pipefail

want="${1:-build}"
build_pkgs=(g++ cmake ninja-build pkg-config libfmt-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev zlib1g-dev libssl-dev
            libboost1.81-dev)  # Boost.Beast's HTTP parser (monitoring), headers only
test_pkgs=(libgtest-dev libgmock-dev libbenchmark-dev nats-server etcd-server mosquitto mosquitto-clients python3-paho-mqtt python3 procps openssl clang libclang-rt-14-dev
           prometheus)

pkgs=("${build_pkgs[@]}")
if [[ "$want" == test ]]; then pkgs+=("${test_pkgs[@]}"); fi
# Node may come from Debian's nodejs or be preinstalled; npm ships with some
# builds and is a separate Debian package for others.
if [[ "$want" == test ]] && ! command -v node >/dev/null; then pkgs+=(nodejs); fi
if [[ "$want" == test ]] && ! command -v npm >/dev/null; then pkgs+=(npm); fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup-deps: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Chromium drives the browser interop test, which skips without it; a
# machine that cannot have it must still run everything else.
if [[ "$want" == test ]] && ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then
  echo "setup-deps: installing chromium"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  { $SUDO apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; } ||
    echo "setup-deps: chromium could not be installed; the browser test will skip"
fi

if [[ "$want" == test ]]; then
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  for dir in "$root"/tests/interop/*/; do
    # Missing, or older than the lock file (a dependency was added since).
    if [[ -f "$dir/package-lock.json" && ( ! -d "$dir/node_modules" ||
          "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ) ]]; then
      echo "setup-deps: npm ci in ${dir#$root/}"
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
  done
fi
