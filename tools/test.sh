#!/usr/bin/env bash
# nvlsim test suite: installs what is missing, builds, and runs every test through ctest.
#   bash tools/test.sh            the whole suite
#   bash tools/test.sh -R design  only tests whose name matches (ctest -R)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh --build-only
ctest --test-dir "${NVL_BUILD_DIR:-build}" --output-on-failure -j"$(nproc)" "$@"
