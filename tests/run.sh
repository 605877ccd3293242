#!/usr/bin/env bash
# Runs every test: a build with -Werror under AddressSanitizer and
# UndefinedBehaviorSanitizer, then CTest (cmocka unit tests, the renderer
# tests, integration tests against a real Postfix and the scripted test
# server, all on loopback). Run `.ci/setup --tests` first (README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

# Formatting (STYLE.md): the code is as clang-format (.clang-format) leaves it.
find src probes tests -name '*.[ch]' -print0 | xargs -0 clang-format --dry-run --Werror

jobs=$(nproc 2>/dev/null || echo 2)
dir=${MXPROBE_TEST_BUILD:-build/test}
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DMXPROBE_WERROR=ON -DMXPROBE_SANITIZE=ON >/dev/null
cmake --build "$dir" -j"$jobs"

# The parsers of network and file bytes, fuzzed briefly on every run (longer:
# FUZZ_SECONDS=300 tests/fuzz/run.sh). First, so that CTest's summary closes
# the output.
# A fixed seed keeps this gate repeatable: each target replays its seed
# corpus (where every crash found so far lives) and then fuzzes for a few
# seconds, a regression gate rather than a search; explore with random
# seeds and hours by hand (docs/testing.md, "A long fuzz campaign").
FUZZ_SECONDS=${FUZZ_SECONDS:-4} FUZZ_SEED=${FUZZ_SEED:-1} FUZZ_PARALLEL=${FUZZ_PARALLEL:-$jobs} \
	FUZZ_BUILD="${dir}-fuzz" sh tests/fuzz/run.sh

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$dir" --output-on-failure -j"$jobs"

