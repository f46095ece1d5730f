#!/usr/bin/env bash
# CTest entry for the nats.js-family interop tests.
#   run.sh [run.mjs arguments]                  nats.js / nats.ws scenarios
#   run.sh --browser [browser.mjs arguments]    nats.ws in headless Chromium
#   run.sh --dashboard [dashboard.mjs arguments] tern's web dashboard in headless Chromium
# Installs the pinned clients (npm ci) when node_modules is missing or older
# than package-lock.json; for --browser, installs Debian's chromium when it
# is missing and we may. Exits 77 (CTest SKIP_RETURN_CODE) only when node,
# the install, or Chromium cannot be had.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
skip() { echo "SKIP: $*"; exit 77; }

# TERN_INTEROP_SCRIPT picks another scenario driver (cluster.mjs).
script=${TERN_INTEROP_SCRIPT:-run.mjs}
if [ "${1:-}" = --browser ]; then
  script=browser.mjs
  shift
elif [ "${1:-}" = --dashboard ]; then  # tern's web dashboard (tests/monitor)
  script=dashboard.mjs
  shift
fi

command -v node >/dev/null 2>&1 || skip "node is not installed (apt-get install nodejs npm)"
stale=false
for pkg in nats nats.ws ws playwright-core; do [ -d "$here/node_modules/$pkg" ] || stale=true; done
[ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ] && stale=true
if $stale; then
  command -v npm >/dev/null 2>&1 || skip "node_modules missing or stale and npm is not installed"
  echo "# node_modules missing or stale: running npm ci in $here"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) || skip "node_modules missing and 'npm ci' failed"
fi

if [ "$script" != run.mjs ]; then
  chromium="${CHROMIUM_BIN:-/usr/bin/chromium}"
  if [ ! -x "$chromium" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "# $chromium missing: installing Debian's chromium"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; }
  fi
  [ -x "$chromium" ] || skip "no Chromium at $chromium and it could not be installed (scripts/setup-deps.sh test does)"
  export CHROMIUM_BIN="$chromium"
fi
exec node "$here/$script" "$@"
