#!/usr/bin/env bash
# Link-utilization heatmap from `nvlsim run --link-stats` CSV: one row per switch (class), one
# column per endpoint (port), colour = utilization of the busier direction over the run.
#   bash tools/plot_heatmap.sh LINKS.csv -o OUT.png [--title TEXT]
# Links are logical (aggregated switch classes, see README): "gpu3~sw0..sw17" is gpu3's port
# bundle towards the 18 chips of one class.
set -euo pipefail
csv=$1
shift
out="" title="link utilization (busier direction)"
while [ $# -gt 0 ]; do
  case $1 in
    -o) out=$2; shift 2 ;;
    --title) title=$2; shift 2 ;;
    *) echo "plot_heatmap: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || { echo "plot_heatmap: -o OUT.png is required" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$csv" "$work" <<'PY'
import csv, sys, os, re
path, work = sys.argv[1:3]
util, ends, switches = {}, [], []
key = lambda n: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", n)]
for r in csv.DictReader(open(path)):
    a, sep, b = r["link"].partition("~")
    if r.get("kind", "port") != "port" or not sep:
        continue
    u = float(r["utilization"])
    util[(b, a)] = max(util.get((b, a), 0.0), u)
for (sw, ep) in util:
    if sw not in switches: switches.append(sw)
    if ep not in ends: ends.append(ep)
switches.sort(key=key)
ends.sort(key=key)
if not util:
    sys.exit("plot_heatmap: no endpoint-to-switch links in " + path)
with open(os.path.join(work, "m.dat"), "w") as f:
    for i, sw in enumerate(switches):
        for j, ep in enumerate(ends):
            f.write(f"{j} {i} {util.get((sw, ep), float('nan'))}\n")
        f.write("\n")
with open(os.path.join(work, "labels"), "w") as f:
    f.write(",".join(f'"{s}" {i}' for i, s in enumerate(switches)) + "\n")
    step = max(1, len(ends) // 24)
    f.write(",".join(f'"{e}" {j}' for j, e in enumerate(ends) if j % step == 0) + "\n")
PY
ylabels=$(sed -n 1p "$work/labels")
xlabels=$(sed -n 2p "$work/labels")
gnuplot <<GP
set terminal pngcairo size 1100,420 font ",10" noenhanced
set output "$out.tmp"
set title "$title"
set ytics ($ylabels)
set xtics ($xlabels) rotate by 90 right
set cblabel "utilization"
set cbrange [0:1]
set palette defined (0 "white", 0.5 "orange", 1 "dark-red")
set xlabel "endpoint port bundle"
set ylabel "switch class"
plot "$work/m.dat" using 1:2:3 with image notitle
GP
mv "$out.tmp" "$out"
echo "wrote $out"
