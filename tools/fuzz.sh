#!/usr/bin/env bash
# Fuzzes the design loader and validator, the Chakra trace reader, the readers of workload
# files, traffic matrices and sweep specs, and LLM models, layouts and validate-model's tables,
# with libFuzzer (clang, ASan + UBSan), one target after
# the other.
#   bash tools/fuzz.sh [SECONDS]     a timed run (default 60); a long run: bash tools/fuzz.sh 3600
#   bash tools/fuzz.sh --runs N      N executions with a fixed seed: reproducible (what CI runs)
# Seeds: the reference designs, the invalid corpus and earlier findings (tests/fuzz/corpus);
# for traces, tests/fuzz/chakra (the input format is in tests/fuzz_chakra.c); for the other inputs
# tests/fuzz/inputs (a first byte picks the kind: tests/fuzz_inputs.c); for LLM models with a
# layout and validate-model's tables, tests/fuzz/llm (tests/fuzz_llm.c).
# A crash is written to build-fuzz/crash-*; add it to tests/cases/invalid as a regression case.
set -euo pipefail
cd "$(dirname "$0")/.."
limit="-max_total_time=${1:-60}"
if [ "${1:-}" = "--runs" ]; then
  limit="-runs=${2:?--runs needs a number} -seed=1"
fi
NVL_BUILD_DIR=build-fuzz NVL_CMAKE_ARGS="-DNVL_FUZZ=ON -DNVL_WERROR=ON -DBUILD_TESTING=OFF -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo" \
  bash tools/setup.sh --build-only
corpus=build-fuzz/corpus
mkdir -p "$corpus" tests/fuzz/corpus
cp topologies/*.json "$corpus"/ 2>/dev/null || true
for f in tests/cases/invalid/*/design.json; do cp "$f" "$corpus/$(basename "$(dirname "$f")").json"; done
cp tests/fuzz/corpus/* "$corpus"/ 2>/dev/null || true
cd build-fuzz
ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=../tests/lsan.supp:print_suppressions=0 \
  ./fuzz_design $limit -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -dict=../tests/fuzz/design.dict corpus 2>fuzz.log || { tail -n 40 fuzz.log; exit 1; }
echo "fuzz: designs: $(grep -oE 'Done [0-9]+ runs' fuzz.log | tail -n 1), no crash, no leak, no timeout"
mkdir -p corpus-chakra
cp ../tests/fuzz/chakra/* corpus-chakra/
ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=../tests/lsan.supp:print_suppressions=0 \
  ./fuzz_chakra $limit -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  corpus-chakra 2>fuzz-chakra.log || { tail -n 40 fuzz-chakra.log; exit 1; }
echo "fuzz: traces: $(grep -oE 'Done [0-9]+ runs' fuzz-chakra.log | tail -n 1), no crash, no leak, no timeout"
mkdir -p corpus-inputs
cp ../tests/fuzz/inputs/* corpus-inputs/
ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=../tests/lsan.supp:print_suppressions=0 \
  ./fuzz_inputs $limit -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
  -dict=../tests/fuzz/design.dict corpus-inputs 2>fuzz-inputs.log || { tail -n 40 fuzz-inputs.log; exit 1; }
echo "fuzz: workloads, matrices, sweep specs: $(grep -oE 'Done [0-9]+ runs' fuzz-inputs.log | tail -n 1), no crash, no leak, no timeout"
mkdir -p corpus-llm
cp ../tests/fuzz/llm/* corpus-llm/
ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=../tests/lsan.supp:print_suppressions=0 \
  ./fuzz_llm $limit -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
  -dict=../tests/fuzz/design.dict corpus-llm 2>fuzz-llm.log || { tail -n 40 fuzz-llm.log; exit 1; }
echo "fuzz: LLM models and layouts, validate-model tables: $(grep -oE 'Done [0-9]+ runs' fuzz-llm.log | tail -n 1), no crash, no leak, no timeout"
