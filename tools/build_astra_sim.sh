#!/usr/bin/env bash
# Builds ASTRA-sim's analytical congestion-aware backend for tools/bench.sh's comparison, as it was
# measured (README, Benchmarks): astra-sim f66c1da (November 2024, the MICRO'24 tutorial state)
# with the submodules it pins (chakra 214f2c5, astra-network-analytical 599a047,
# astra-memory-analytical bb12dd5), and fmt, spdlog, yaml-cpp and protobuf from Debian instead of
# its vendored copies. Nothing of it enters nvlsim.
# Usage: bash tools/build_astra_sim.sh [DIR]   (default DIR /tmp/astra-sim; an existing clone is
# reused). Needs: apt-get install -y git cmake g++ libprotobuf-dev protobuf-compiler libfmt-dev
# libspdlog-dev libyaml-cpp-dev. The repositories come from GitHub unless ASTRA_SIM_GIT,
# CHAKRA_GIT, ANALYTICAL_GIT and MEMORY_GIT name others (mirrors). Prints the binary's path:
#   ASTRA_SIM=$(bash tools/build_astra_sim.sh | tail -n 1) bash tools/bench.sh
set -euo pipefail
dir=${1:-/tmp/astra-sim}
gh=https://github.com/astra-sim
if [ ! -d "$dir/.git" ]; then
  git clone -q "${ASTRA_SIM_GIT:-$gh/astra-sim.git}" "$dir"
fi
cd "$dir"
git checkout -q f66c1da
git config submodule.extern/graph_frontend/chakra.url "${CHAKRA_GIT:-$gh/chakra.git}"
git config submodule.extern/network_backend/analytical.url \
  "${ANALYTICAL_GIT:-$gh/astra-network-analytical.git}"
git config submodule.extern/remote_memory_backend/analytical.url \
  "${MEMORY_GIT:-$gh/astra-memory-analytical.git}"
git -c protocol.file.allow=always submodule --quiet update --init extern/graph_frontend/chakra \
  extern/network_backend/analytical extern/remote_memory_backend/analytical
# Debian's fmt, spdlog and yaml-cpp instead of the vendored and fetched copies
sed -i 's|^add_subdirectory("${CMAKE_CURRENT_SOURCE_DIR}/extern/helper/fmt")|find_package(fmt REQUIRED)|;
        s|^option(SPDLOG_FMT_EXTERNAL ON).*||;
        s|^add_subdirectory("${CMAKE_CURRENT_SOURCE_DIR}/extern/helper/spdlog")|find_package(spdlog REQUIRED)|' \
  CMakeLists.txt
sed -i 's|^add_subdirectory(${CMAKE_CURRENT_SOURCE_DIR}/extern/yaml-cpp yaml-cpp)|find_package(yaml-cpp REQUIRED)|' \
  extern/network_backend/analytical/CMakeLists.txt
bash build/astra_analytical/build.sh -t congestion_aware >build-astra.log 2>&1 ||
  { tail -n 20 build-astra.log >&2; exit 1; }
echo "$dir/build/astra_analytical/build/bin/AstraSim_Analytical_Congestion_Aware"
