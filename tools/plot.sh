#!/usr/bin/env bash
# Plots columns of an nvlsim CSV (run --csv, sweep -o, validate-model --csv) with gnuplot.
#   bash tools/plot.sh CSV X Y [SERIES] -o OUT.png [--logx] [--title TEXT] [--where COL=VALUE]
# X, Y and SERIES are column names; one line per distinct SERIES value (e.g. design, collective,
# algorithm, an axis of a sweep). Rows whose status is not ok (sweeps) are left out. --where keeps
# the rows whose COL is VALUE; a number matches within 1 % (nccl-tests and nvlsim round a size to
# whole elements per rank: alltoall of "1 GiB" on 72 ranks is 1073741760 B), and a series the
# filter empties is named on stderr.
# Example: bash tools/plot.sh out.csv size_bytes busbw_GBps design -o busbw.png --logx
set -euo pipefail
if [ "${1:-}" = "--help" ] || [ $# -lt 3 ]; then
  sed -n "2,9p" "$0" | sed "s/^# \{0,1\}//"
  [ "${1:-}" = "--help" ]; exit $?
fi
csv=$1 x=$2 y=$3
shift 3
series=""
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then series=$1; shift; fi
out="" logx=0 title="" where=""
while [ $# -gt 0 ]; do
  case $1 in
    -o) out=$2; shift 2 ;;
    --logx) logx=1; shift ;;
    --title) title=$2; shift 2 ;;
    --where) where=$2; shift 2 ;;
    *) echo "plot: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || { echo "plot: -o OUT.png is required" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# CSV with quoted fields -> tab-separated data files, one per series
/usr/bin/python3 - "$csv" "$x" "$y" "$series" "$where" "$work" <<'PY'
import csv, sys, os
path, x, y, series, where, work = sys.argv[1:7]
rows = list(csv.DictReader(open(path)))
for c in [x, y] + ([series] if series else []):
    if rows and c not in rows[0]:
        sys.exit(f"plot: no column {c!r} in {path}")
wk, wv = where.split("=", 1) if where else (None, None)
if wk and rows and wk not in rows[0]:
    sys.exit(f"plot: no column {wk!r} in {path} (--where)")
def number(s):
    try:
        return float(s)
    except ValueError:
        return None
def matches(v):
    a, b = number(v), number(wv)
    if a is not None and b is not None:
        return abs(a - b) <= 0.01 * max(abs(a), abs(b))
    return v == wv
groups, seen = {}, {}
for r in rows:
    if r.get("status", "ok") != "ok" or not r[x] or not r[y]:
        continue
    name = r[series] if series else y
    seen.setdefault(name, set()).add(r.get(wk) if wk else None)
    if wk and not matches(r.get(wk)):
        continue
    groups.setdefault(name, []).append((float(r[x]), float(r[y])))
for name in sorted(set(seen) - set(groups)):
    near = sorted(seen[name], key=lambda v: abs((number(v) or 0) - (number(wv) or 0)))[:3]
    print(f"plot: --where {where} keeps no row of {series or 'the'} {name!r} "
          f"(its {wk} values nearest: {', '.join(near)})", file=sys.stderr)
with open(os.path.join(work, "index"), "w") as idx:
    for i, (name, pts) in enumerate(sorted(groups.items())):
        with open(os.path.join(work, f"s{i}.dat"), "w") as f:
            for px, py in sorted(pts):
                f.write(f"{px} {py}\n")
        idx.write(f"s{i}.dat\t{series + '=' if series else ''}{name}\n")
PY
plots=""
while IFS=$'\t' read -r file name; do
  plots+="'$work/$file' using 1:2 with linespoints lw 2 pt 7 title '$name', "
done <"$work/index"
[ -n "$plots" ] || { echo "plot: no rows to plot" >&2; exit 1; }
gnuplot <<GP
set terminal pngcairo size 900,560 font ",11" noenhanced
set output "$out.tmp"
$( [ "$logx" = 1 ] && echo 'set logscale x 2; set format x "%.0b%B"' )
set xlabel "$x"
set ylabel "$y"
set title "${title:-$y vs $x}"
set key outside right top
set grid
plot ${plots%, }
GP
mv "$out.tmp" "$out"
echo "wrote $out"
