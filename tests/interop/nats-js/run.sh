#!/usr/bin/env bash
# CTest entry for the nats.js interop scenario. Installs the pinned client
# (npm ci) when node_modules is missing; exits 77 (CTest SKIP_RETURN_CODE)
# only if node is absent or the install cannot be done. Arguments go to run.mjs.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
skip() { echo "SKIP: $*"; exit 77; }

command -v node >/dev/null 2>&1 || skip "node is not installed (apt-get install nodejs npm)"
if [ ! -d "$here/node_modules/nats" ]; then
  command -v npm >/dev/null 2>&1 || skip "node_modules missing and npm is not installed"
  echo "# node_modules missing: running npm ci in $here"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) || skip "node_modules missing and 'npm ci' failed"
fi
# TERN_INTEROP_SCRIPT picks another scenario driver (cluster.mjs).
exec node "$here/${TERN_INTEROP_SCRIPT:-run.mjs}" "$@"
