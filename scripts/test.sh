#!/usr/bin/env bash
# README command 2: install everything the tests need, build with warnings as
# errors under CI, and run the whole suite through CTest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup-deps.sh" test
build="$root/build-test"
werror=OFF; [[ "${CI:-}" == true ]] && werror=ON
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTERN_WERROR=$werror >/dev/null
cmake --build "$build"
# Room for the 10,000-subscription and many-connection tests.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# The integration transcripts also run against nats-server, the reference.
export TERN_TEST_AGAINST_NATS=1
cd "$build" && ctest --output-on-failure --timeout 300 -j2 "$@"
