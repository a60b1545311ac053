#!/usr/bin/env bash
# nvlsim test suite: installs what is missing, builds, and runs every test through ctest, first
# in the normal build, then in an AddressSanitizer + UndefinedBehaviorSanitizer build, then a
# short reproducible libFuzzer run over the design loader, the trace reader and the readers of
# workloads, matrices and sweep specs (tools/fuzz.sh --runs 60000 each). Warnings are errors in both builds.
#   bash tools/test.sh             all three (what CI runs)
#   bash tools/test.sh --fast      the normal build only
#   bash tools/test.sh -R design   extra arguments go to ctest (both suites)
set -euo pipefail
cd "$(dirname "$0")/.."
fast=0
if [ "${1:-}" = "--fast" ]; then
  fast=1
  shift
fi
# warnings are errors here and in CI, not in a user's own build (NVL_WERROR defaults to OFF)
NVL_CMAKE_ARGS="-DNVL_WERROR=ON" bash tools/setup.sh --build-only
echo "== tests (build/)"
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
[ "$fast" = 1 ] && exit 0
NVL_BUILD_DIR=build-asan NVL_CMAKE_ARGS="-DNVL_SANITIZE=ON -DNVL_WERROR=ON -DCMAKE_BUILD_TYPE=Debug" \
  bash tools/setup.sh --build-only
echo "== tests under ASan + UBSan (build-asan/)"
ctest --test-dir build-asan --output-on-failure -j"$(nproc)" "$@"
echo "== fuzzing the design loader, the trace reader and the other inputs (build-fuzz/)"
bash tools/fuzz.sh --runs 60000
