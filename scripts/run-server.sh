#!/usr/bin/env bash
# README command 1: install build dependencies, build tern-server and the
# tern CLI, and run tern-server on its defaults (clients on 4222, WebSocket
# on 8080, MQTT on 1883 and MQTT over WebSocket on 8083). Extra arguments go to tern-server.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup-deps.sh" build
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTERN_BUILD_TESTS=OFF -DTERN_BUILD_BENCH=OFF >/dev/null
cmake --build "$root/build" --target tern-server tern
exec "$root/build/apps/tern-server" "$@"
