#!/usr/bin/env bash
# nvlsim benchmark (separate from the tests): wall time and peak RSS of each case, one process
# per case, measured with GNU time. Usage: bash tools/bench.sh [--quick]
#   --quick          the first three cases only
#   --llm            the LLM-step cases only
# The large designs are in tools/bench/ (1,024 and 10,000 GPUs on one switch tier, 139 NVL72-style
# racks on a spine, 100 racks with no link between them, a rack of 56 GPUs + 16 Fusion ASICs, 8
# such racks on a spine).
#   NVLSIM=path      binary to measure (default build/nvlsim)
#   ASTRA_SIM=path   ASTRA-sim's analytical binary (default: AstraSim_Analytical_Congestion_Aware
#                    on PATH, if there): the 1,024-GPU cases also run there, on the same
#                    Chakra trace (build/chakra-gen), and the ratio of wall times is printed
#   NVL_BENCH_TIMEOUT=seconds per case (default 900)
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${NVLSIM:-build/nvlsim}
limit=${NVL_BENCH_TIMEOUT:-900}
[ -x "$bin" ] || { echo "bench: $bin not built (run bash tools/setup.sh --build-only)" >&2; exit 2; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
printf '%-44s %10s %10s  %s\n' "case" "wall (s)" "RSS (MB)" "result"
bench() {
  local name=$1
  shift
  bench_limit "$limit" "$name" "$@"
}
# bench_limit SECONDS NAME ARGS...: a case with its own time limit
bench_limit() {
  local limit=$1 name=$2
  shift 2
  local out
  out=$(/usr/bin/time -f "%e %M" -o "$tmp" timeout "$limit" "$bin" "$@" 2>/dev/null | grep -E "^ *[0-9]|valid \(|^paths" | tail -n 1)
  local rc=$?
  local wall rss
  read -r wall rss < <(tail -n 1 "$tmp") || true
  if [ "$rc" -eq 124 ] || [ -z "${wall:-}" ]; then
    printf '%-44s %10s %10s  %s\n' "$name" ">$limit" "-" "timed out"
  else
    last_wall=$wall
    last_time=$(echo "$out" | awk '!/valid \(|^paths/ {print $6}')
    printf '%-44s %10.2f %10.0f  %s\n' "$name" "$wall" "$((rss / 1024))" \
      "$(echo "$out" | awk '/valid \(|^paths/ {print; next} {printf "time %s us, busbw %s GB/s", $6, $8}')"
  fi
}
# bench_llm NAME ARGS...: an `nvlsim llm` step; prints its step (token) time and tokens/s
bench_llm() {
  local name=$1
  shift
  local out wall rss
  out=$(/usr/bin/time -f "%e %M" -o "$tmp" timeout "$limit" "$bin" llm "$@" 2>/dev/null)
  local rc=$?
  read -r wall rss < <(tail -n 1 "$tmp") || true
  if [ "$rc" -eq 124 ] || [ -z "${wall:-}" ]; then
    printf '%-44s %10s %10s  %s\n' "$name" ">$limit" "-" "timed out"
  else
    printf '%-44s %10.2f %10.0f  %s\n' "$name" "$wall" "$((rss / 1024))" \
      "$(echo "$out" | awk '/^(step|token|prefill) time/ {t = $3} /^tokens\/s +[0-9]/ {r = $2}
        END {printf "time %s us, %s tokens/s", t, r}')"
  fi
}
# astra CASE NPUS COLLECTIVE BYTES NVLSIM_WALL NVLSIM_US: the same collective in ASTRA-sim's
# analytical backend on one switch of NPUS at 900 GB/s and 350 ns (the flat designs of
# tools/bench/), from a trace of chakra-gen; prints its wall time, RSS, simulated time against
# nvlsim's (the ideal-model case before it) and nvlsim's wall over its.
# Units as ASTRA-sim reads them: "GB/s" is 2^30 B/s (900e9 B/s is 838.19) and a latency is per
# link (a Switch path is two links: 175 ns each); endpoint-delay as in ASTRA-sim's own examples
# (0 trips its EventQueue assertion). A run that fails prints its exit status and no ratio.
astra_bin=${ASTRA_SIM:-$(command -v AstraSim_Analytical_Congestion_Aware || true)}
astra() {
  [ -n "$astra_bin" ] || return 0
  local name=$1 npus=$2 coll=$3 bytes=$4 ours=$5 ours_us=${6:-} d
  d=$(mktemp -d)
  "$(dirname "$bin")/chakra-gen" "$d/trace" "$npus" "$coll" "$bytes" || { rm -rf "$d"; return 0; }
  printf 'topology: [ Switch ]\nnpus_count: [ %s ]\nbandwidth: [ 838.19 ]\nlatency: [ 175.0 ]\n' \
    "$npus" >"$d/net.yml"
  printf '{"scheduling-policy": "LIFO", "endpoint-delay": 10, "active-chunks-per-dimension": 1,
  "preferred-dataset-splits": 1, "all-reduce-implementation": ["ring"],
  "all-gather-implementation": ["ring"], "reduce-scatter-implementation": ["ring"],
  "all-to-all-implementation": ["direct"], "collective-optimization": "baseline",
  "local-mem-bw": 1600, "boost-mode": 0}\n' >"$d/sys.json"
  echo '{"memory-type": "NO_MEMORY_EXPANSION"}' >"$d/mem.json"
  local out wall rss cycles st
  out=$(/usr/bin/time -f "%e %M" -o "$tmp" timeout "$limit" "$astra_bin" \
    --workload-configuration="$d/trace" --system-configuration="$d/sys.json" \
    --remote-memory-configuration="$d/mem.json" --network-configuration="$d/net.yml" 2>&1)
  st=$?
  read -r wall rss < <(tail -n 1 "$tmp") || true
  cycles=$(echo "$out" | grep -oE 'finished, [0-9]+ cycles' | grep -oE '[0-9]+' | sort -n | tail -n 1)
  if [ "$st" != 0 ] || [ -z "$cycles" ]; then
    printf '%-44s %10s %10s  %s\n' "  ASTRA-sim: $name" "${wall:--}" "-" \
      "failed (exit $st): $(echo "$out" | tail -n 1 | cut -c1-80); no ratio"
    rm -rf "$d"
    return 0
  fi
  local vs ratio
  vs=$(awk -v c="$cycles" -v u="$ours_us" 'BEGIN { if (u > 0)
    printf "nvlsim %.0f ns, %+.2f %%", u * 1000, (u * 1000 / c - 1) * 100; else print "nvlsim -" }')
  ratio=$(awk -v a="$ours" -v b="${wall:-0}" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }')
  printf '%-44s %10s %10s  %s\n' "  ASTRA-sim: $name" "${wall:--}" "$(( ${rss:-0} / 1024 ))" \
    "time ${cycles:-?} ns ($vs); nvlsim wall / ASTRA-sim wall = $ratio"
  rm -rf "$d"
}
last_wall=0
last_time=
b=tools/bench
if [ "${1:-}" != "--llm" ]; then
bench "NVL72 all_reduce sweep 8 B - 8 GiB" run
bench "NVL72 alltoall 64 MiB per pair" run -c alltoall -b 4608M -e 4608M
bench "NVL576 ring all_reduce 1 GiB" run topologies/nvl576.json --algo ring -b 1G -e 1G
[ "${1:-}" = "--quick" ] && exit 0
bench "NVL576 alltoall 64 MiB per pair (331,200 flows)" run topologies/nvl576.json -c alltoall -b 36G -e 36G
bench "NVL576 alltoall 64 MiB per pair, ideal" run topologies/nvl576.json -c alltoall -b 36G -e 36G --model ideal
bench "validate 10,008 GPUs (139 racks, spine)" validate $b/two-tier-10008.json
bench "info 100 disconnected racks" info $b/racks-apart-100.json
bench "1,024 GPUs ring all_reduce 1 GiB, ideal" run $b/flat-1024.json --algo ring -b 1G -e 1G --model ideal
astra "ring all_reduce 1 GiB, 1,024 NPUs" 1024 all_reduce 1073741824 "$last_wall" "$last_time"
bench "1,024 GPUs ring all_reduce 1 GiB" run $b/flat-1024.json --algo ring -b 1G -e 1G
bench "1,024 GPUs alltoall 1 GiB, ideal" run $b/flat-1024.json -c alltoall -b 1G -e 1G --model ideal
astra "alltoall 1 GiB, 1,024 NPUs" 1024 alltoall 1073741824 "$last_wall" "$last_time"
bench "1,024 GPUs alltoall 1 GiB" run $b/flat-1024.json -c alltoall -b 1G -e 1G
bench_limit 300 "10,000 GPUs ring all_reduce 1 GiB, ideal" run $b/flat-10000.json --algo ring -b 1G -e 1G --model ideal
bench_limit 300 "10,000 GPUs ring all_reduce 1 GiB" run $b/flat-10000.json --algo ring -b 1G -e 1G
bench_limit 300 "10,000 GPUs alltoall 1 GiB, ideal" run $b/flat-10000.json -c alltoall -b 1G -e 1G --model ideal
bench_limit 300 "10,000 GPUs alltoall 1 GiB" run $b/flat-10000.json -c alltoall -b 1G -e 1G
bench_limit 300 "10,008 GPUs (two tiers) all_reduce 1 GiB" run $b/two-tier-10008.json -b 1G -e 1G
bench "alltoall 64 MiB/pair, 8 Fusion racks + spine (576)" run $b/fusion-racks-8.json -c alltoall \
  -b 36G -e 36G
bench "forced tree all_reduce 1 GiB, 512 ranks of one tier" run $b/flat-1024.json --algo tree \
  -b 1G -e 1G -g 512
# scale-out (issue 28's targets)
bench "validate 101,376 GPUs (1,408 GB300 racks, 3-tier IB)" validate --max-endpoints 400000 \
  $b/gb300-100k.json
bench "h100-pod-256 all_reduce sweep 8 B - 8 GiB" run builtin:h100-pod-256
bench "gb200-nvl72-x16 all_reduce 1 GiB, 1,152 ranks" run builtin:gb200-nvl72-x16 -b 1G -e 1G
bench_limit 300 "101,376 GPUs all_reduce 1 GiB (NVLSTree)" run --max-endpoints 400000 \
  $b/gb300-100k.json -b 1G -e 1G
fi
bench_llm "DeepSeek-V3 decode, EP 72 on NVL72" --llm builtin:deepseek-v3 --mode decode --ep 72 \
  --redundant-experts 32
bench_llm "DeepSeek-V3 prefill, EP 72 on NVL72" --llm builtin:deepseek-v3 --mode prefill --ep 72 \
  --redundant-experts 32
bench_llm "DeepSeek-V3 decode, EP 72, 56 GPUs + 16 ASICs" $b/fusion-rack-56-16.json \
  --llm builtin:deepseek-v3 --mode decode --ep 72 --redundant-experts 32
bench_llm "Llama 3.1 405B train, NVL576 tp8 pp9 dp8" topologies/nvl576.json \
  --llm builtin:llama3.1-405b --tp 8 --pp 9 --dp 8 --microbatches 8 --batch 64
bench_llm "Llama 3.1 405B train, NVL576 tp8 cp2 pp9 vp2 dp4, seq 8192" topologies/nvl576.json \
  --llm builtin:llama3.1-405b --tp 8 --cp 2 --pp 9 --vp 2 --seq 8192 --recompute full
bench_llm "Llama 3.1 405B train, gb200-nvl72-x16 tp8 pp9 dp16" builtin:gb200-nvl72-x16 \
  --llm builtin:llama3.1-405b --tp 8 --pp 9 --dp 16 --microbatches 16 --batch 256 --recompute full
bench_llm "DeepSeek-V3 train, 2 NVL576 racks, pp2 x EP72" topologies/nvl576.json \
  --llm builtin:deepseek-v3 --pp 2 --ep 72 --redundant-experts 32 --first-stage-layers 30 \
  --last-stage-layers 31 -g 144 --recompute full --seq 4096 --batch 144
# the AI-factory frontier (issue 31: at least 200 configurations in < 5 min)
out=$(/usr/bin/time -f "%e %M" -o "$tmp" timeout "$limit" "$bin" factory --llm builtin:deepseek-v3 \
  --disagg --gpus 8,16,24,32,40,48,56,64,72 2>/dev/null | head -n 1)
read -r wall rss < <(tail -n 1 "$tmp") || true
printf '%-44s %10s %10s  %s\n' "factory DeepSeek-V3 on NVL72, --disagg" "${wall:--}" \
  "$(( ${rss:-0} / 1024 ))" "$(echo "$out" | grep -oE '[0-9]+ configurations' || echo failed)"
