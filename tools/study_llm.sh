#!/usr/bin/env bash
# The README's worked LLM study: DeepSeek-V3 decode at EP 72 (FP8, context 8192, 32 redundant
# experts) on GB200 NVL72, GB300 NVL72 and NVL72 with 8 NVLink Fusion ASICs, at 64, 256 and 640
# sequences per accelerator. Writes docs/llm-study.csv (the llm CSV columns, one row per design
# and batch; a layout that does not fit is a row with status "does not fit") and draws
# docs/llm-study.png: tokens/s for the design per batch, and the step's breakdown at 256.
# Usage: bash tools/study_llm.sh [NVLSIM]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/nvlsim}
csv=docs/llm-study.csv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
first=1
for d in gb200-nvl72 gb300-nvl72 fusion-gpu-asic; do
  for per in 64 256 640; do
    if "$bin" llm "builtin:$d" --llm builtin:deepseek-v3 --mode decode --ep 72 \
      --redundant-experts 32 --seq 8192 --batch $((per * 72)) --csv "$tmp/one.csv" \
      >/dev/null 2>"$tmp/err"; then
      [ $first = 1 ] && { echo "status,sequences_per_gpu,$(head -n 1 "$tmp/one.csv")" >"$tmp/all.csv"; first=0; }
      echo "ok,$per,$(tail -n 1 "$tmp/one.csv")" >>"$tmp/all.csv"
    elif grep -q "does not fit" "$tmp/err"; then
      echo "does not fit,$per,builtin:$d" >>"$tmp/rest.csv"
    else
      cat "$tmp/err" >&2
      exit 1
    fi
  done
done
# rows that did not fit keep the column count: empty figures
cols=$(head -n 1 "$tmp/all.csv" | tr , '\n' | wc -l)
[ -f "$tmp/rest.csv" ] && awk -F, -v c="$cols" '{ printf "%s,%s,%s", $1, $2, $3; for (i = 4; i <= c; i++) printf ","; print "" }' \
  "$tmp/rest.csv" >>"$tmp/all.csv"
mv "$tmp/all.csv" "$csv"
col() { head -n 1 "$csv" | tr , '\n' | grep -nx "$1" | cut -d: -f1; }
per=$(col sequences_per_gpu) des=$(col design) tps=$(col tokens_per_s_design)
cmp=$(col compute_us) exp=$(col exposed_comm_us) bub=$(col bubble_us)
for d in gb200-nvl72 gb300-nvl72 fusion-gpu-asic; do
  awk -F, -v d="builtin:$d" -v p="$per" -v s="$des" -v t="$tps" '$1 == "ok" && $s == d {print $p, $t / 1e6}' "$csv" >"$tmp/$d.dat"
done
awk -F, -v p="$per" -v s="$des" -v a="$cmp" -v b="$exp" -v c="$bub" \
  '$1 == "ok" && $p == 256 { sub("builtin:", "", $s); print $s, $a / 1e3, $b / 1e3, $c / 1e3 }' "$csv" >"$tmp/bars.dat"
gnuplot <<GP
set terminal pngcairo size 1200,450 font ",11"
set output "docs/llm-study.png"
set multiplot layout 1,2 title "DeepSeek-V3 decode, EP 72, FP8, context 8192 (nvlsim llm, default model)"
set title "tokens/s for the design"
set xlabel "sequences per accelerator"
set ylabel "million tokens/s"
set key right bottom
set grid
set xrange [0:700]
plot "$tmp/gb200-nvl72.dat" w lp lw 2 pt 7 t "GB200 NVL72", \
     "$tmp/gb300-nvl72.dat" w lp lw 2 pt 5 dt 2 t "GB300 NVL72", \
     "$tmp/fusion-gpu-asic.dat" w lp lw 2 pt 9 t "64 B200 + 8 Fusion ASICs"
set title "one token's time at 256 sequences per accelerator"
set xlabel ""
set ylabel "ms"
set style data histograms
set style histogram rowstacked
set style fill solid 0.8 border -1
set boxwidth 0.6
set xrange [*:*]
set yrange [0:55]
set key left top opaque
plot "$tmp/bars.dat" using 2:xtic(1) t "compute", '' using 3 t "exposed communication", '' using 4 t "bubble and waiting"
unset multiplot
GP
echo "study: $csv, docs/llm-study.png"
