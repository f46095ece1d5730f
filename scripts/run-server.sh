#!/usr/bin/env bash
# README command 1: install build dependencies, build, run tern-server on its
# defaults (client port 4222). Extra arguments go to tern-server.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup-deps.sh" build
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTERN_BUILD_TESTS=OFF -DTERN_BUILD_BENCH=OFF >/dev/null
cmake --build "$root/build" --target tern-server
exec "$root/build/apps/tern-server" "$@"
