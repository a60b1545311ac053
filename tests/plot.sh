#!/bin/sh
# tools/plot.sh --where: a number matches within 1 % (sizes rounded to whole elements per rank are
# kept), a string exactly; a series the filter empties is named, no row at all is exit 1.
# usage: plot.sh NVLSIM SOURCE_DIR
set -u
bin=$1
plot="$2/tools/plot.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0
fail=0
check() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }

"$bin" run builtin:hgx-h100 --ranks "gpu[0:7]" -c all_reduce -b 1G -e 1G --model ideal --csv "$dir/ar.csv" >/dev/null 2>&1
"$bin" run builtin:hgx-h100 --ranks "gpu[0:7]" -c alltoall -b 1G -e 1G --model ideal --csv "$dir/aa.csv" >/dev/null 2>&1
{ cat "$dir/ar.csv"; tail -n +2 "$dir/aa.csv"; } >"$dir/both.csv"
grep -q ',alltoall,.*,1073741816,' "$dir/both.csv"; check $? "alltoall of 1 GiB on 7 ranks not rounded"
bash "$plot" "$dir/both.csv" size_bytes busbw_GBps collective -o "$dir/a.png" --where size_bytes=1073741824 \
  >/dev/null 2>"$dir/a.err"
check $? "plot --where of a rounded size failed"
! grep -q 'keeps no row' "$dir/a.err"; check $? "a rounded size dropped a series: $(cat "$dir/a.err")"
[ -s "$dir/a.png" ]; check $? "no picture"
bash "$plot" "$dir/both.csv" size_bytes busbw_GBps collective -o "$dir/b.png" --where size_bytes=2000 \
  >/dev/null 2>"$dir/b.err"; [ $? = 1 ]; check $? "plot of no row: not exit 1"
grep -q "keeps no row of collective 'all_reduce'" "$dir/b.err" && grep -q "keeps no row of collective 'alltoall'" "$dir/b.err"
check $? "emptied series not named: $(cat "$dir/b.err")"
bash "$plot" "$dir/both.csv" size_bytes busbw_GBps collective -o "$dir/c.png" --where collective=alltoall \
  >/dev/null 2>"$dir/c.err"; check $? "plot --where of a string"
grep -q "keeps no row of collective 'all_reduce'" "$dir/c.err" && ! grep -q "'alltoall'" "$dir/c.err"
check $? "string --where: $(cat "$dir/c.err")"
bash "$plot" "$dir/both.csv" size_bytes busbw_GBps -o "$dir/d.png" --where nope=1 2>"$dir/d.err"
[ $? != 0 ] && grep -q "no column 'nope'" "$dir/d.err"; check $? "unknown --where column"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
