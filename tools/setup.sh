#!/usr/bin/env bash
# nvlsim setup: installs the Debian packages that are missing (as root, no sudo), configures and
# builds, then runs the main job on the built-in default design (GB200 NVL72).
#   bash tools/setup.sh               install + build + main job
#   bash tools/setup.sh --build-only  install + build (used by tools/test.sh)
# Idempotent: packages already installed are left alone; the build is incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES="build-essential cmake pkg-config libsimgrid-dev libigraph-dev libgsl-dev libjansson-dev
          libcmocka-dev libprotobuf-c-dev protobuf-c-compiler gnuplot-nox valgrind python3 python3-jsonschema time clang libclang-rt-14-dev
          clang-format"
missing=()
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

BUILD_DIR=${NVL_BUILD_DIR:-build}
mkdir -p "$BUILD_DIR"
if ! { cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${NVL_CMAKE_ARGS:-} &&
       cmake --build "$BUILD_DIR" -j"$(nproc)"; } >"$BUILD_DIR/build.log" 2>&1; then
  cat "$BUILD_DIR/build.log" >&2
  echo "setup: build failed (log above, also in $BUILD_DIR/build.log)" >&2
  exit 1
fi
[ "${1:-}" = "--build-only" ] && exit 0
"./$BUILD_DIR/nvlsim" run
