#!/usr/bin/env bash
# nvlsim benchmark (separate from the tests): wall time and peak RSS of each case, one process
# per case, measured with GNU time. Usage: bash tools/bench.sh [--quick]
#   --quick          skip the NVL576 alltoall (the slow case)
#   NVLSIM=path      binary to measure (default build/nvlsim)
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
  local out
  out=$(/usr/bin/time -f "%e %M" -o "$tmp" timeout "$limit" "$bin" "$@" 2>/dev/null | grep "^ *[0-9]" | tail -n 1)
  local rc=$?
  local wall rss
  read -r wall rss < <(tail -n 1 "$tmp") || true
  if [ "$rc" -eq 124 ] || [ -z "${wall:-}" ]; then
    printf '%-44s %10s %10s  %s\n' "$name" ">$limit" "-" "timed out"
  else
    printf '%-44s %10.2f %10.0f  %s\n' "$name" "$wall" "$((rss / 1024))" \
      "$(echo "$out" | awk '{printf "time %s us, busbw %s GB/s", $6, $8}')"
  fi
}
bench "NVL72 all_reduce sweep 8 B - 8 GiB" run
bench "NVL72 alltoall 64 MiB per pair" run -c alltoall -b 4608M -e 4608M
bench "NVL576 ring all_reduce 1 GiB" run topologies/nvl576.json --algo ring -b 1G -e 1G
[ "${1:-}" = "--quick" ] ||
  bench "NVL576 alltoall 64 MiB per pair (331,200 flows)" run topologies/nvl576.json -c alltoall -b 36G -e 36G
