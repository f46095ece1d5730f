#!/usr/bin/env bash
# README command 2: install everything the tests need, build, and run the
# whole suite through CTest, then the integration and client suites again
# under ThreadSanitizer and under AddressSanitizer+UBSan, then a short run of
# every fuzz target. Warnings are errors under CI. Extra arguments go to the
# first (full) ctest run.
#
#   TERN_TEST_STAGES="full tsan asan fuzz"   the default; name fewer to skip some
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup-deps.sh" test
werror=OFF; [[ "${CI:-}" == true ]] && werror=ON
stages=" ${TERN_TEST_STAGES:-full tsan asan fuzz} "
# Room for the 10,000-subscription and many-connection tests.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

stage() { echo; echo "=== $1 ($(date +%H:%M:%S))"; }
started=$SECONDS

if [[ "$stages" == *" full "* ]]; then
  stage "full suite"
  build="$root/build-test"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTERN_WERROR=$werror >/dev/null
  cmake --build "$build"
  # The integration transcripts also run against nats-server, the reference.
  (cd "$build" && TERN_TEST_AGAINST_NATS=1 ctest --output-on-failure --timeout 300 -j2 "$@")
fi

# Real server processes under real load, with the sanitizer in the server
# and in the tests. Only the targets those suites need are built, once per
# sanitizer; the nats-server reference runs are left to the full suite.
sanitized() {
  local name=$1 flags=$2
  stage "$name: integration and client suites"
  local build="$root/build-$name"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTERN_SANITIZE="$flags" \
    -DTERN_BUILD_BENCH=OFF -DTERN_WERROR=$werror >/dev/null
  cmake --build "$build" --target sanitized_suites
  # The integration suites' nats-server cases would only skip here (one
  # process each, ~0.1 s under a sanitizer, hundreds of them since every
  # transcript runs over four transports): leave them out.
  (cd "$build" && TERN_TEST_AGAINST_NATS=0 ctest --output-on-failure --timeout 600 -j2 -L 'integration|client|server' \
    -E '^Servers/.*/nats(_[a-z]+)?( |$)')
}
if [[ "$stages" == *" tsan "* ]]; then
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" sanitized tsan thread
fi
if [[ "$stages" == *" asan "* ]]; then
  ASAN_OPTIONS="detect_leaks=1 abort_on_error=1" UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1" \
    sanitized asan address,undefined
fi

if [[ "$stages" == *" fuzz "* ]]; then
  stage "fuzz smoke"
  build="$root/build-fuzz"
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DTERN_FUZZ=ON -DTERN_BUILD_TESTS=OFF \
    -DTERN_BUILD_BENCH=OFF >/dev/null
  cmake --build "$build" --target fuzz_targets
  # Each target for a short bounded run from its seed corpus, copied so the
  # tree stays clean; any crash or invariant failure fails the run.
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  for fuzzer in "$build"/tests/fuzz/*_fuzz; do
    name="$(basename "$fuzzer" _fuzz)"
    mkdir -p "$scratch/$name"
    if [[ -d "$root/tests/fuzz/corpus/$name" ]]; then cp -r "$root/tests/fuzz/corpus/$name/." "$scratch/$name/"; fi
    dict=(); [[ -f "$root/tests/fuzz/${name%%_*}.dict" ]] && dict=("-dict=$root/tests/fuzz/${name%%_*}.dict")
    echo "--- $name"
    # Crash inputs go to the build tree, not the working directory. The
    # status is taken before any filtering: behind `| grep ... || true`
    # under pipefail it was the `true`'s, and a crash passed the stage.
    mkdir -p "$build/artifacts"
    rc=0
    "$fuzzer" -max_total_time="${TERN_FUZZ_SECONDS:-20}" -print_final_stats=1 -artifact_prefix="$build/artifacts/" \
      "${dict[@]}" "$scratch/$name" >"$scratch/$name.log" 2>&1 || rc=$?
    grep -E "^(stat::number_of_executed_units|#[0-9]+ +DONE|==[0-9]+==|SUMMARY|invariant)" "$scratch/$name.log" || true
    [[ $rc == 0 ]] || { echo "fuzz target $name failed (exit $rc; inputs in $build/artifacts)"; exit 1; }
  done
fi

echo; echo "=== all stages passed in $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s"
