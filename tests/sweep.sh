#!/bin/sh
# nvlsim sweep: expansion, invalid points recorded, output independent of -j, resume after an
# interruption, shard + merge equal to the unsharded sweep. usage: sweep.sh NVLSIM SPEC_DIR
set -u
bin=$1
spec=$2/spec.json
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0
fail=0
check() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }

"$bin" sweep "$spec" -o "$dir/j1.csv" -j 1 2>/dev/null; check $? "sweep -j 1 failed"
"$bin" sweep "$spec" -o "$dir/j2.csv" -j 2 2>/dev/null; check $? "sweep -j 2 failed"
cmp -s "$dir/j1.csv" "$dir/j2.csv"; check $? "output depends on -j"
# 3 x 2 points; valid ones give one row per size (2), the invalid bandwidth one row each
[ "$(tail -n +2 "$dir/j1.csv" | wc -l)" = 10 ]; check $? "expected 10 rows"
[ "$(grep -c ',invalid,' "$dir/j1.csv")" = 2 ]; check $? "expected 2 invalid rows"
grep -q 'bandwidth.*is not a bandwidth' "$dir/j1.csv"; check $? "invalid point without its error"
head -n 1 "$dir/j1.csv" | grep -q '^point,bw,failed,status,design,'; check $? "header"
# doubling the link bandwidth halves the ideal 64 MiB ring time (within latency)
t1=$(awk -F, '$1 == 0 && $13 == 67108864 {print $18}' "$dir/j1.csv")
t2=$(awk -F, '$1 == 2 && $13 == 67108864 {print $18}' "$dir/j1.csv")
awk -v a="$t1" -v b="$t2" 'BEGIN { r = a / b; exit !(r > 1.9 && r < 2.0) }'; check $? "2x bandwidth: $t1 vs $t2"
# a failed chip (of 4) costs busbw
b0=$(awk -F, '$1 == 0 && $13 == 67108864 {print $20}' "$dir/j1.csv")
b1=$(awk -F, '$1 == 1 && $13 == 67108864 {print $20}' "$dir/j1.csv")
awk -v a="$b0" -v b="$b1" 'BEGIN { exit !(b < a * 0.9) }'; check $? "failed switch did not cost busbw"

# resume: keep the header and the first 4 rows, rerun, get the same file
head -n 5 "$dir/j1.csv" >"$dir/r.csv"
"$bin" sweep "$spec" -o "$dir/r.csv" 2>"$dir/r.err"; check $? "resume failed"
grep -q 'already in' "$dir/r.err"; check $? "resume did not skip done points"
cmp -s "$dir/j1.csv" "$dir/r.csv"; check $? "resumed sweep differs"

# shards
"$bin" sweep "$spec" -o "$dir/s0.csv" --shard 0/2 2>/dev/null; check $? "shard 0"
"$bin" sweep "$spec" -o "$dir/s1.csv" --shard 1/2 2>/dev/null; check $? "shard 1"
"$bin" sweep --merge "$dir/m.csv" "$dir/s1.csv" "$dir/s0.csv" 2>/dev/null; check $? "merge"
cmp -s "$dir/j1.csv" "$dir/m.csv"; check $? "shard + merge differs from the unsharded sweep"
# -o names the merge's output too, before or after --merge
"$bin" sweep --merge -o "$dir/mo.csv" "$dir/s1.csv" "$dir/s0.csv" 2>/dev/null; check $? "merge -o"
"$bin" sweep -o "$dir/mo2.csv" --merge "$dir/s1.csv" "$dir/s0.csv" 2>/dev/null; check $? "-o merge"
cmp -s "$dir/j1.csv" "$dir/mo.csv" && cmp -s "$dir/j1.csv" "$dir/mo2.csv"; check $? "merge -o differs"
# a bad axis value is its point's row, saying what the axis takes
printf '%s\n' '{"base": "builtin:hgx-h100", "workload": {"collective": "all_reduce"}, "axes": [{"name": "op", "param": "collective", "values": ["nope", 3]}, {"name": "sz", "param": "size", "values": ["1 XB"]}]}' >"$dir/ax.json"
"$bin" sweep "$dir/ax.json" -o "$dir/ax.csv" 2>/dev/null
grep -q 'axis op: ""nope"" is not a collective name' "$dir/ax.csv" && grep -q 'axis op: 3 is not a collective name' "$dir/ax.csv"
check $? "bad axis values not explained: $(cat "$dir/ax.csv")"
# one file is not a merge: refused, nothing written
"$bin" sweep --merge -o "$dir/one.csv" "$dir/s0.csv" 2>/dev/null; [ $? = 2 ] && [ ! -e "$dir/one.csv" ]
check $? "a merge of one file was accepted"
# the same shard twice merges to itself; a shard whose rows for a point differ is refused
"$bin" sweep --merge "$dir/m2.csv" "$dir/s0.csv" "$dir/s0.csv" 2>/dev/null; check $? "merge twice"
cmp -s "$dir/m2.csv" "$dir/s0.csv"; check $? "a shard merged twice differs from itself"
awk -F, 'NR == 2 { $NF = "edited" } { print }' OFS=, "$dir/s0.csv" >"$dir/s0x.csv"
"$bin" sweep --merge "$dir/m3.csv" "$dir/s0.csv" "$dir/s0x.csv" 2>"$dir/m3.err"; [ $? = 1 ]
check $? "conflicting shards merged"
grep -q 'point 0 is in .*s0.csv and in .*s0x.csv with different rows' "$dir/m3.err"
check $? "conflicting shards: message"
[ ! -e "$dir/m3.csv" ]; check $? "conflicting shards: an output was written"

# a killed sweep keeps whole points only, and the same command finishes it (killed as soon as its
# first row is written: each point of slow.json takes most of a second)
slow=$(dirname "$spec")/slow.json
"$bin" sweep "$slow" -o "$dir/k.csv" -j 1 2>/dev/null &
pid=$!
while [ ! -s "$dir/k.csv" ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done
kill -TERM $pid 2>/dev/null
wait $pid; [ $? = 143 ]; check $? "SIGTERM to a sweep: exit status not 143"
n=$(tail -n +2 "$dir/k.csv" | wc -l)
[ "$n" -ge 1 ] && [ "$n" -lt 3 ]; check $? "killed sweep kept $n rows (expected 1 or 2)"
[ -z "$(ls "$dir" | grep tmp)" ]; check $? "killed sweep left a temporary file"
awk -F, 'NR == 1 { h = NF } NR > 1 && NF != h { bad = 1 } END { exit bad }' "$dir/k.csv"; check $? "killed sweep left a partial row"
"$bin" sweep "$slow" -o "$dir/k.csv" -j 2 2>/dev/null; check $? "resume after kill"
[ "$(tail -n +2 "$dir/k.csv" | wc -l)" = 3 ]; check $? "resume after kill: 3 rows"

# a stop signal to the sweep parent alone: its children stop, nothing is left behind, the exit
# status is the signal's, and the same command resumes
for pair in INT:130 TERM:143 HUP:129; do
  sig=${pair%:*} want=${pair#*:}
  sd="$dir/sig$sig"
  mkdir "$sd"
  TMPDIR="$sd" "$bin" sweep "$slow" -o "$sd/o.csv" -j 2 2>"$sd/err" &
  pid=$!
  while [ -z "$(ls "$sd" | grep nvlsim-sweep)" ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
  kill -$sig $pid
  wait $pid; st=$?
  [ "$st" = "$want" ]; check $? "SIG$sig to a sweep: exit $st, expected $want"
  for _ in $(seq 200); do [ -z "$(pgrep -f "$sd/o.csv")" ] && break; sleep 0.05; done
  [ -z "$(pgrep -f "$sd/o.csv")" ]; check $? "SIG$sig to a sweep: children left running"
  [ -z "$(ls "$sd" | grep -v '^err$' | grep -v '^o.csv$')" ]; check $? "SIG$sig: left $(ls "$sd")"
  grep -q "stopped by signal" "$sd/err"; check $? "SIG$sig: no message"
  [ $sig != INT ] && continue
  TMPDIR="$sd" "$bin" sweep "$slow" -o "$sd/o.csv" -j 2 2>/dev/null; check $? "SIG$sig: resume"
  cmp -s "$sd/o.csv" "$dir/k.csv"; check $? "SIG$sig: resumed sweep differs"
done
# one sweep writes an output at a time: a second one is refused and the first loses nothing
"$bin" sweep "$slow" -o "$dir/l.csv" -j 1 2>/dev/null &
pid=$!
while [ ! -e "$dir/l.csv.lock" ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
"$bin" sweep "$slow" -o "$dir/l.csv" -j 1 2>"$dir/l.err"; [ $? = 2 ]; check $? "a second sweep on one output ran"
grep -q 'another sweep is writing' "$dir/l.err"; check $? "second sweep: message"
wait $pid; check $? "first sweep after the second was refused"
cmp -s "$dir/l.csv" "$dir/k.csv" && [ ! -e "$dir/l.csv.lock" ]; check $? "first sweep lost rows or left its lock"
# a sweep killed outright leaves its lock file, but not the lock: the next sweep takes it
rm -f "$dir/l.csv"
"$bin" sweep "$slow" -o "$dir/l.csv" -j 1 2>/dev/null &
pid=$!
while [ ! -e "$dir/l.csv.lock" ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
kill -KILL $pid; wait $pid 2>/dev/null
[ -e "$dir/l.csv.lock" ]; check $? "SIGKILL: no stale lock file to test with"
"$bin" sweep "$slow" -o "$dir/l.csv" -j 2 2>/dev/null; check $? "a stale lock file refused the next sweep"
cmp -s "$dir/l.csv" "$dir/k.csv" && [ ! -e "$dir/l.csv.lock" ]; check $? "after a stale lock: rows or lock file"
pkill -KILL -f "$dir/l.csv" 2>/dev/null # the killed sweep's orphaned children

# errors: unknown key, output of another sweep, bad shard
printf '{"base": "builtin:hgx-h100", "axes": [{"name": "x", "param": "size", "values": ["1 MiB"]}], "axs": 1}' >"$dir/bad.json"
"$bin" sweep "$dir/bad.json" -o "$dir/bad.csv" 2>"$dir/bad.err"; [ $? = 1 ]; check $? "bad spec exit"
grep -q 'unknown key "axs"' "$dir/bad.err"; check $? "bad spec message"
for sh in 2/2 /2 1/ 0/0 -1/2 0/2x " 0/2" +0/2 0/2/3 1/18446744073709551616 1/1000001; do
  "$bin" sweep "$spec" -o "$dir/j1.csv" --shard "$sh" 2>/dev/null; [ $? = 2 ]; check $? "bad shard $sh accepted"
done
printf '{"base": "builtin:hgx-h100", "axes": [{"name": "x", "param": "size", "valeus": [], "values": ["1 MiB"]}]}' >"$dir/ax.json"
"$bin" sweep "$dir/ax.json" -o "$dir/ax.csv" 2>"$dir/ax.err"; [ $? = 1 ]; check $? "axis typo exit"
grep -q '/axes/0/valeus: unknown key "valeus"' "$dir/ax.err"; check $? "axis typo message"
printf 'a,b\n1,2\n' >"$dir/other.csv"
"$bin" sweep "$spec" -o "$dir/other.csv" 2>/dev/null; [ $? = 2 ]; check $? "foreign output exit"
printf '{"base": "../etc/passwd", "axes": [{"name": "x", "param": "size", "values": ["1 MiB"]}]}' >"$dir/esc.json"
"$bin" sweep "$dir/esc.json" -o "$dir/esc.csv" 2>"$dir/esc.err"; [ $? = 1 ]; check $? "escaping base exit"
grep -q 'no absolute path' "$dir/esc.err"; check $? "escaping base message"
# resume refuses rows of another sweep: a changed axis value, and more points than the spec has
sed 's/"25 GB\/s"/"30 GB\/s"/' "$spec" >"$dir/changed.json"
cp "$dir/j1.csv" "$dir/changed.csv"
"$bin" sweep "$dir/changed.json" -o "$dir/changed.csv" 2>"$dir/changed.err"; [ $? = 2 ]
check $? "changed spec: resume did not refuse"
grep -q 'point 0 has bw = 25 GB/s in the file but 30 GB/s in the spec' "$dir/changed.err"
check $? "changed spec: message"
cmp -s "$dir/j1.csv" "$dir/changed.csv"; check $? "changed spec: the output was touched"
printf '{"base": "builtin:hgx-h100", "workload": {"collective": "all_reduce", "algo": "ring", "sizes": ["1 MiB", "64 MiB"], "model": "ideal"}, "axes": [{"name": "bw", "values": ["25 GB/s"], "set": {"/link_types/nvlink4": [{"base": "nvlink4"}]}}, {"name": "failed", "param": "fail_switches", "values": [0], "seed": 3}]}' >"$dir/fewer.json"
cp "$dir/j1.csv" "$dir/fewer.csv"
"$bin" sweep "$dir/fewer.json" -o "$dir/fewer.csv" 2>"$dir/fewer.err"; [ $? = 2 ]
check $? "fewer points: resume did not refuse"
grep -q 'the file is of another sweep\|sweep_id is' "$dir/fewer.err"; check $? "fewer points: message"
# resume and merge see every input of the rows: an edited base design file is another sweep, a
# changed note is not
mkdir "$dir/b"
cp "$2/../../topologies/hgx-h100.json" "$dir/b/d.json"
printf '{"base": "d.json", "note": "%s", "workload": {"collective": "all_reduce", "algo": "ring", "sizes": ["1 MiB"], "model": "ideal"}, "axes": [{"name": "x", "param": "size", "values": ["1 MiB", "2 MiB"]}]}' one >"$dir/b/s.json"
"$bin" sweep "$dir/b/s.json" -o "$dir/b/o.csv" 2>/dev/null; check $? "file base sweep"
head -n 2 "$dir/b/o.csv" >"$dir/b/half.csv"
sed -i 's/"note": "one"/"note": "two"/' "$dir/b/s.json"
"$bin" sweep "$dir/b/s.json" -o "$dir/b/half.csv" 2>/dev/null; check $? "a changed note refused the resume"
cmp -s "$dir/b/o.csv" "$dir/b/half.csv"; check $? "resume after a note change differs"
head -n 2 "$dir/b/o.csv" >"$dir/b/half.csv"
"$bin" sweep "$dir/b/s.json" -o "$dir/b/s1.csv" --shard 1/2 2>/dev/null
sed -i 's/"links": \[5, 4, 4, 5\]/"links": [4, 5, 5, 4]/' "$dir/b/d.json"
"$bin" sweep "$dir/b/s.json" -o "$dir/b/half.csv" 2>"$dir/b/e.err"; [ $? = 2 ]
check $? "resume with an edited base design was accepted"
grep -q "the spec, its base design or a model file changed" "$dir/b/e.err"; check $? "edited base: message"
"$bin" sweep "$dir/b/s.json" -o "$dir/b/s0.csv" --shard 0/2 2>/dev/null
"$bin" sweep --merge "$dir/b/m.csv" "$dir/b/s0.csv" "$dir/b/s1.csv" 2>"$dir/b/m.err"; [ $? = 1 ]
check $? "shards of different sweeps merged"
grep -q 'are of different sweeps' "$dir/b/m.err" && [ ! -e "$dir/b/m.csv" ]; check $? "mixed merge: message or output"
# RFC 4180 throughout: axis names and values, and design names they set, with , and " give
# rectangular rows that read back, and resume accepts its own file (line breaks, like every
# control character, are refused in a spec's text: below)
printf '%s' '{"base": "d.json", "workload": {"collective": "all_reduce", "sizes": ["1 MiB"], "model": "ideal"}, "axes": [{"name": "nm", "pointer": "/name", "values": ["a,b", "q\"x", "\"\",\""]}, {"name": "x\"y,z", "param": "model", "values": ["ideal"]}]}' >"$dir/b/q.json"
cp "$2/../../topologies/hgx-h100.json" "$dir/b/d.json"
"$bin" sweep "$dir/b/q.json" -o "$dir/b/q.csv" 2>/dev/null; check $? "sweep of quoted names"
python3 - "$dir/b/q.csv" <<'PY'; check $? "sweep CSV not RFC 4180"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert len({len(r) for r in rows}) == 1, {len(r) for r in rows}
assert rows[0][1:3] == ["nm", 'x"y,z'], rows[0]
assert [r[1] for r in rows[1:]] == ["a,b", 'q"x', '"","'], [r[1] for r in rows]
assert [r[4] for r in rows[1:]] == ["a,b", 'q"x', '"","'], [r[4] for r in rows]
PY
# axis values of any length are held whole: a 10,000-byte value is in the row, and the same
# command resumes its own file
long=$(head -c 10000 /dev/zero | tr '\0' 'x')
printf '{"base": "d.json", "workload": {"collective": "all_reduce", "sizes": ["1 MiB"], "model": "ideal"}, "axes": [{"name": "nm", "pointer": "/name", "values": ["%sA", "%sB"]}]}' "$long" "$long" >"$dir/b/long.json"
"$bin" sweep "$dir/b/long.json" -o "$dir/b/long.csv" 2>/dev/null && cp "$dir/b/long.csv" "$dir/b/long0.csv" &&
  "$bin" sweep "$dir/b/long.json" -o "$dir/b/long.csv" 2>/dev/null && cmp -s "$dir/b/long.csv" "$dir/b/long0.csv"
check $? "a sweep of long values does not resume itself"
python3 - "$dir/b/long.csv" <<'PY'; check $? "long axis values cut"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert [len(r[1]) for r in rows[1:]] == [10001, 10001] and rows[1][1] != rows[2][1], [len(r[1]) for r in rows]
PY
# labels name an axis's values in the CSV (and resume takes them back); labels that do not match
# the values one for one are refused with their pointer
printf '%s' '{"base": "d.json", "workload": {"collective": "all_reduce", "sizes": ["1 MiB"], "model": "ideal"}, "axes": [{"name": "f", "pointer": "/failures", "values": [[], [{"switch": "sw0"}]], "labels": ["none", "sw0"]}]}' >"$dir/b/lab.json"
"$bin" sweep "$dir/b/lab.json" -o "$dir/b/lab.csv" 2>/dev/null && [ "$(cut -d, -f2 "$dir/b/lab.csv" | tr '\n' ' ')" = "f none sw0 " ] &&
  "$bin" sweep "$dir/b/lab.json" -o "$dir/b/lab.csv" 2>/dev/null
check $? "axis labels: $(cut -d, -f1-3 "$dir/b/lab.csv" | tr '\n' ' ')"
for bad in '["none"]' '["none", 3]' '["none", ""]' '"none"'; do
  printf '{"base": "d.json", "workload": {"collective": "all_reduce", "sizes": ["1 MiB"]}, "axes": [{"name": "f", "pointer": "/failures", "values": [[], [{"switch": "sw0"}]], "labels": %s}]}' "$bad" >"$dir/b/lab2.json"
  "$bin" sweep "$dir/b/lab2.json" -o "$dir/b/lab2.csv" 2>"$dir/b/lab2.err"
  [ $? = 1 ] && grep -q '/axes/0/labels: labels are' "$dir/b/lab2.err" && [ ! -e "$dir/b/lab2.csv" ]
  check $? "bad labels $bad: $(cat "$dir/b/lab2.err")"
done
# control characters (C0, DEL, C1) in a spec's keys or strings: refused, naming where
for c in '\n' '\r' '\u001b[31m' '\u007f' '\u0085' '\t'; do
  printf '{"base": "d.json", "workload": {"collective": "all_reduce"}, "axes": [{"name": "n", "pointer": "/name", "values": ["a%sb"]}]}' "$c" >"$dir/b/cc.json"
  "$bin" sweep "$dir/b/cc.json" -o "$dir/b/cc.csv" 2>"$dir/b/cc.err"; rc=$?
  [ $rc = 1 ] && grep -q '/axes/0/values/0: holds the control character' "$dir/b/cc.err" && [ ! -e "$dir/b/cc.csv" ]
  check $? "control character $c in a sweep value: exit $rc, $(cat "$dir/b/cc.err")"
done
cp "$dir/b/q.csv" "$dir/b/q0.csv"
"$bin" sweep "$dir/b/q.json" -o "$dir/b/q.csv" 2>/dev/null && cmp -s "$dir/b/q.csv" "$dir/b/q0.csv"
check $? "resume refused or changed its own quoted file"
# "a file in the spec's folder" is checked with links followed: a base or model file that links
# out of the folder is refused without being read; a link inside it is followed
mkdir "$dir/ln"
printf '{"a": 1}\n' >"$dir/outside.json"
ln -s ../outside.json "$dir/ln/base.json"
cp "$2/../../topologies/hgx-h100.json" "$dir/ln/real.json"
ln -s real.json "$dir/ln/inside.json"
for pair in base.json:1 inside.json:0; do
  printf '{"base": "%s", "workload": {"collective": "all_reduce", "sizes": ["1 MiB"], "model": "ideal"}, "axes": [{"name": "x", "param": "size", "values": ["1 MiB"]}]}' "${pair%:*}" >"$dir/ln/s.json"
  "$bin" sweep "$dir/ln/s.json" -o "$dir/ln/o.csv" 2>"$dir/ln/err"; [ $? = "${pair#*:}" ]
  check $? "base link ${pair%:*}: exit"
done
printf '{"base": "base.json", "workload": {"collective": "all_reduce"}, "axes": [{"name": "x", "param": "size", "values": ["1 MiB"]}]}' >"$dir/ln/s.json"
"$bin" sweep "$dir/ln/s.json" -o "$dir/ln/o2.csv" 2>"$dir/ln/err"
grep -q 'leads out of the spec.s folder' "$dir/ln/err" && ! grep -q '"a"\|near' "$dir/ln/err"
check $? "base link out: message $(cat "$dir/ln/err")"
ln -s ../outside.json "$dir/ln/model.json"
printf '{"base": "builtin:hgx-h100", "workload": {"llm": "model.json", "mode": "decode"}, "axes": [{"name": "x", "param": "batch", "values": [1]}]}' >"$dir/ln/l.json"
"$bin" sweep "$dir/ln/l.json" -o "$dir/ln/l.csv" 2>"$dir/ln/lerr"; [ $? = 1 ] && grep -q 'leads out of the spec.s folder' "$dir/ln/lerr"
check $? "llm link out: $(cat "$dir/ln/lerr")"
# an axis name is a column of its own: not another axis's, nor point, status, error or a run column
for names in '"x", "x"' '"sweep_id", "y"' '"point", "y"' '"status", "y"' '"error", "y"' '"collective", "y"' '"y", "size_bytes"'; do
  printf '{"base": "builtin:hgx-h100", "axes": [{"name": %s, "param": "size", "values": ["1 MiB"]}, {"name": %s, "param": "model", "values": ["ideal"]}]}' \
    "${names%%,*}" "${names#*, }" >"$dir/names.json"
  "$bin" sweep "$dir/names.json" -o "$dir/names.csv" 2>"$dir/names.err"; [ $? = 1 ]
  check $? "axis names $names accepted"
  grep -q 'is already a column of the sweep' "$dir/names.err"; check $? "axis names $names: message"
done
# sizes in every form a workload file takes: a unit, nccl-tests' K/M/G, whole bytes, 0 (count 0)
printf '%s' '{"base": "builtin:hgx-h100", "workload": {"collective": "all_reduce", "algo": "ring", "model": "ideal", "sizes": [0, 8, "1M", "2 MiB"]}, "axes": [{"name": "sz", "param": "size", "values": [0, 1024, "64K", "65536 B", -1, 1.5, "1 XB"]}]}' >"$dir/sizes.json"
"$bin" sweep "$dir/sizes.json" -o "$dir/sizes.csv" 2>/dev/null; check $? "sizes: exit (invalid points are rows)"
got=$(awk -F, 'NR > 1 { print $1 ":" $3 ":" $12 }' "$dir/sizes.csv" | tr '\n' ' ')
[ "$got" = "0:ok:0 1:ok:1024 2:ok:65536 3:ok:65536 4:invalid: 5:invalid: 6:invalid: " ]
check $? "size axis forms: $got"
printf '%s' '{"base": "builtin:hgx-h100", "workload": {"collective": "all_reduce", "algo": "ring", "model": "ideal", "sizes": [0, 8, "1M", "2 MiB"]}, "axes": [{"name": "m", "param": "model", "values": ["ideal"]}]}' >"$dir/sizes2.json"
"$bin" sweep "$dir/sizes2.json" -o "$dir/sizes2.csv" 2>/dev/null; check $? "sizes list: exit"
got=$(awk -F, 'NR > 1 { print $12 }' "$dir/sizes2.csv" | tr '\n' ' ')
[ "$got" = "0 8 1048576 2097152 " ]; check $? "sizes list forms: $got"
# the base design's warnings once for the sweep, not once per point; none with -q
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); del d["expect"]; json.dump(d, open(sys.argv[2], "w"))' \
  "$(dirname "$0")/designs/two-racks-fusion-spine.json" "$dir/warn.json"
printf '%s' '{"base": "warn.json", "workload": {"collective": "all_reduce", "model": "ideal", "sizes": ["1M"], "ranks": "gpu[0:8]"}, "axes": [{"name": "k", "param": "fail_switches", "values": [0, 1, 2], "seed": 3}]}' >"$dir/warn-sweep.json"
"$bin" sweep "$dir/warn-sweep.json" -o "$dir/warn.csv" 2>"$dir/warn.err"; check $? "warnings sweep: exit"
[ "$(grep -c '^warning: ' "$dir/warn.err")" = 3 ]; check $? "base warnings not printed once each: $(cat "$dir/warn.err")"
rm -f "$dir/warn.csv"
"$bin" sweep -q "$dir/warn-sweep.json" -o "$dir/warn.csv" 2>"$dir/warn.err"; check $? "warnings sweep -q: exit"
[ "$(grep -c '^warning: ' "$dir/warn.err")" = 0 ]; check $? "-q printed warnings"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
