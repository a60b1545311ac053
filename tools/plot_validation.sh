#!/usr/bin/env bash
# Draws simulated busbw over message size (lines) against measured nccl-tests results (points),
# one panel per system of the measurement table. Usage:
#   bash tools/plot_validation.sh [OUT.png] [MEASURED.csv]
# Defaults: docs/validation.png and models/measured-collectives.csv. Needs gnuplot (setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/validation.png}
measured=${2:-models/measured-collectives.csv}
bin=${NVLSIM:-build/nvlsim}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# one simulated sweep per (system, collective, algorithm) present in the measurements, from the
# smallest measured size (at least 1 KiB) to 16 GiB
min=$(tail -n +2 "$measured" | awk -F, 'NR == 1 || $8 < m {m = $8} END {print (m < 1024 ? 1024 : m)}')
tail -n +2 "$measured" | awk -F, '{print $2 "," $3 "," $6 "," $7}' | sort -u >"$work/series"
plots=""
i=0
while IFS=, read -r system gpus coll algo; do
  case "$system" in
    "HGX A100"*|"DGX A100"*) design=hgx-a100 ;;
    "HGX H100"*|"DGX H100"*|"HGX H200"*) design=hgx-h100 ;;
    "HGX B200"*|"DGX B200"*) design=hgx-b200 ;;
    "GB200 NVL72") design=gb200-nvl72 ;;
    *) echo "plot_validation: skipping unknown system $system" >&2; continue ;;
  esac
  i=$((i + 1))
  algo_opt=(--algo "$algo")
  [ "$algo" = p2p ] && algo_opt=() # sendrecv and alltoall run on NCCL's point-to-point path
  "$bin" run "builtin:$design" -c "$coll" "${algo_opt[@]}" -g "$gpus" -b "$min" -e 16G -f 2 \
    --csv "$work/sim$i.csv" >/dev/null 2>&1
  awk -F, 'NR > 1 {print $9, $16}' "$work/sim$i.csv" >"$work/sim$i.dat"
  # busbw as measured, or from the measured time (sendrecv: busbw = algbw)
  awk -F, -v s="$system" -v c="$coll" -v a="$algo" -v g="$gpus" \
    'NR > 1 && $2 == s && $3 == g && $6 == c && $7 == a {
       if ($11 != "") print $8, $11; else if ($9 != "" && c == "sendrecv") print $8, $8 / $9 / 1000 }' \
    "$measured" >"$work/meas$i.dat"
  label="$system ($gpus) $coll $algo"
  plots+="'$work/sim$i.dat' using 1:2 with lines lw 2 lc $i title '$label (simulated)', "
  plots+="'$work/meas$i.dat' using 1:2 with points pt 7 ps 1.5 lc $i title '$label (measured)', "
done <"$work/series"
gnuplot <<GP
set terminal pngcairo size 1200,700 font ",11" noenhanced
set output "$out.tmp"
set logscale x 2
set format x "%.0b%B"
set xlabel "message size (bytes)"
set ylabel "busbw (GB/s)"
set title "nvlsim default model vs measurements (${measured##*/})"
set key outside right top
set grid
plot ${plots%, }
GP
mv "$out.tmp" "$out"
echo "wrote $out"
