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

# nvlsim plot: the same rules as a command; two CSVs draw together; PNG, SVG and PDF; a missing
# column, a malformed number and an empty selection exit 1 naming them, with no picture left;
# gnuplot missing is exit 2 with the package to install
magic() { head -c 8 "$1" | od -An -c | tr -d ' \n'; }
"$bin" plot "$dir/ar.csv" "$dir/aa.csv" size_bytes busbw_GBps --series collective --logx \
  -o "$dir/p.png" >"$dir/p.out" 2>&1
[ $? = 0 ] && [ "$(magic "$dir/p.png")" = '211PNG\r\n032\n' ] && grep -q '2 series' "$dir/p.out"
check $? "nvlsim plot: no PNG ($(cat "$dir/p.out"))"
"$bin" plot "$dir/ar.csv" "$dir/aa.csv" size_bytes busbw_GBps -o "$dir/p.svg" >/dev/null 2>&1 &&
  grep -q '<svg' "$dir/p.svg" && grep -q 'ar.csv' "$dir/p.svg" && grep -q 'aa.csv' "$dir/p.svg"
check $? "nvlsim plot: SVG, one line per CSV"
"$bin" plot "$dir/both.csv" size_bytes busbw_GBps -o "$dir/p.pdf" >/dev/null 2>&1 && [ "$(head -c 4 "$dir/p.pdf")" = "%PDF" ]
check $? "nvlsim plot: PDF"
"$bin" plot "$dir/both.csv" size_bytes busbw_GBps --series collective --where size_bytes=1073741824 \
  -o "$dir/q.png" >/dev/null 2>"$dir/q.err"
[ $? = 0 ] && ! grep -q 'keeps no row' "$dir/q.err"; check $? "nvlsim plot --where of a rounded size: $(cat "$dir/q.err")"
"$bin" plot "$dir/both.csv" size_bytes busbw_GBps --series collective --where collective=alltoall \
  -o "$dir/q.png" >/dev/null 2>"$dir/q.err"
[ $? = 0 ] && grep -q 'keeps no row of collective "all_reduce"' "$dir/q.err"; check $? "nvlsim plot: emptied series not named"
for bad in "size_bytes nope" "size_bytes busbw_GBps --series nope" "size_bytes busbw_GBps --where nope=1" \
  "size_bytes busbw_GBps --where size_bytes=7" "collective busbw_GBps"; do
  # shellcheck disable=SC2086
  "$bin" plot "$dir/both.csv" $bad -o "$dir/r.png" >/dev/null 2>"$dir/r.err"; rc=$?
  [ $rc = 1 ] && [ ! -e "$dir/r.png" ] && [ -s "$dir/r.err" ] && [ -z "$(ls "$dir" | grep 'r.png.tmp')" ]
  check $? "nvlsim plot $bad: exit $rc, $(cat "$dir/r.err")"
done
grep -q 'no column "nope"' "$dir/r.err" || true
"$bin" plot "$dir/both.csv" size_bytes busbw_GBps -o "$dir/r.gif" >/dev/null 2>&1; [ $? = 2 ]; check $? "nvlsim plot -o r.gif: not exit 2"
PATH=/nonexistent "$bin" plot "$dir/both.csv" size_bytes busbw_GBps -o "$dir/r.png" >/dev/null 2>"$dir/r.err"
[ $? = 2 ] && grep -q 'apt-get install gnuplot' "$dir/r.err" && [ ! -e "$dir/r.png" ]; check $? "gnuplot missing: $(cat "$dir/r.err")"

# --plot of run (a line per job) and compare (a line per design); refused before any work when
# the picture cannot be drawn (a name that is no picture, gnuplot missing), and for compare --llm
"$bin" run builtin:hgx-h100 -b 1M -e 64M -f 4 --plot "$dir/run.png" >"$dir/run.out" 2>&1
[ $? = 0 ] && [ "$(magic "$dir/run.png")" = '211PNG\r\n032\n' ] && grep -q '(4 points, 1 series)' "$dir/run.out"
check $? "run --plot: $(tail -n 1 "$dir/run.out")"
"$bin" compare builtin:hgx-h100 builtin:hgx-a100 -b 1M -e 64M -f 4 --plot "$dir/cmp.svg" >"$dir/cmp.out" 2>&1
[ $? = 0 ] && grep -q 'A hgx-h100 all_reduce' "$dir/cmp.svg" && grep -q 'B hgx-a100 all_reduce' "$dir/cmp.svg"
check $? "compare --plot: $(tail -n 1 "$dir/cmp.out")"
"$bin" run builtin:hgx-h100 -b 1M -e 1M --plot "$dir/run.txt" >"$dir/bad.out" 2>&1
[ $? = 2 ] && grep -q 'OUT.png, OUT.svg or OUT.pdf' "$dir/bad.out" && ! grep -q '^#' "$dir/bad.out"
check $? "run --plot OUT.txt: $(cat "$dir/bad.out")"
PATH=/nonexistent "$bin" compare builtin:hgx-h100 builtin:hgx-a100 --plot "$dir/x.png" >"$dir/bad.out" 2>&1
[ $? = 2 ] && grep -q 'apt-get install gnuplot' "$dir/bad.out" && ! grep -q '^#' "$dir/bad.out"
check $? "compare --plot without gnuplot: $(cat "$dir/bad.out")"
"$bin" compare builtin:hgx-h100 builtin:hgx-a100 --llm builtin:mpt-1b --plot "$dir/x.png" >/dev/null 2>"$dir/bad.out"
[ $? = 2 ] && grep -q 'one point per design' "$dir/bad.out"; check $? "compare --llm --plot: $(cat "$dir/bad.out")"

# validate-model --plot: simulated against measured for each table, with or without --csv, and no
# temporary CSV left behind
# (in a temporary folder of this test's own: other tests run beside it)
mkdir -p "$dir/tmp"
for m in "" --ops --llm; do
  # shellcheck disable=SC2086
  TMPDIR="$dir/tmp" "$bin" validate-model $m --plot "$dir/vm$m.png" >"$dir/vm.out" 2>/dev/null
  rc=$?
  { [ $rc = 0 ] || [ $rc = 1 ]; } && [ "$(magic "$dir/vm$m.png")" = '211PNG\r\n032\n' ] && grep -q '^wrote ' "$dir/vm.out"
  check $? "validate-model $m --plot: exit $rc, $(tail -n 1 "$dir/vm.out")"
done
"$bin" validate-model --csv "$dir/vm.csv" --plot "$dir/vm2.svg" >/dev/null 2>&1 && [ -s "$dir/vm.csv" ] && grep -q 'simulated = measured' "$dir/vm2.svg"
check $? "validate-model --csv --plot"
[ -z "$(ls "$dir/tmp")" ]; check $? "validate-model --plot left a temporary CSV: $(ls "$dir/tmp")"

# sweep --plot: the first axis against busbw (LLM: tokens/s), a line per value of the second
"$bin" sweep "$2/tests/sweep/llm.json" -o "$dir/sw.csv" --plot "$dir/sw.png" >"$dir/sw.out" 2>/dev/null
[ "$(magic "$dir/sw.png")" = '211PNG\r\n032\n' ] && grep -q '(4 points, 2 series)' "$dir/sw.out"
check $? "sweep --plot (LLM): $(tail -n 1 "$dir/sw.out")"
printf '%s\n' '{"base": "builtin:hgx-h100", "workload": {"collective": "all_reduce", "sizes": ["1 MiB"], "model": "ideal"}, "axes": [{"name": "op", "param": "collective", "values": ["all_reduce", "all_gather"]}]}' >"$dir/sw2.json"
"$bin" sweep "$dir/sw2.json" -o "$dir/sw2.csv" --plot "$dir/sw2.png" >/dev/null 2>"$dir/sw2.err"
[ $? = 1 ] && grep -q 'op "all_reduce".*is not a number' "$dir/sw2.err" && [ ! -e "$dir/sw2.png" ] && [ -s "$dir/sw2.csv" ]
check $? "sweep --plot of a text axis: $(cat "$dir/sw2.err")"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
