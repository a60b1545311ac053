#!/bin/sh
# Output guarantees of `nvlsim run`: same input and seed give byte-identical CSV and JSON; a run
# killed by a signal leaves neither its output nor a temporary file behind.
# usage: outputs.sh NVLSIM TOPOLOGIES_DIR
set -u
bin=$1
topo=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0
fail=0
check() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }

for i in 1 2; do
  "$bin" run -p uniform --seed 42 -b 1M -e 64M -f 8 --csv "$dir/a$i.csv" --json "$dir/a$i.json" \
    >"$dir/out$i.txt" 2>&1
done
cmp -s "$dir/a1.csv" "$dir/a2.csv"; check $? "same seed, different CSV"
cmp -s "$dir/a1.json" "$dir/a2.json"; check $? "same seed, different JSON"
# (sanitizer builds print a notice with the process id: not part of the table)
grep -v '^==' "$dir/out1.txt" >"$dir/t1"; grep -v '^==' "$dir/out2.txt" >"$dir/t2"
cmp -s "$dir/t1" "$dir/t2"; check $? "same seed, different table"
grep -q ',42$' "$dir/a1.csv"; check $? "seed not echoed in the CSV"
"$bin" run -p uniform --seed 43 -b 1M -e 64M -f 8 --csv "$dir/b.csv" >/dev/null 2>&1
! cmp -s "$dir/a1.csv" "$dir/b.csv"; check $? "another seed gives the same CSV"

# the platform built through s4u (the default) and the XML written by --dump-platform (which is
# then what SimGrid loads) give byte-identical results: NVLS hosts and fatpipes (NVL72), striped
# asymmetric planes (fusion), direct links (4-GPU mesh)
for run in "gb200-nvl72.json -b 1M -e 1G -f 32" "fusion-gpu-asic.json -c alltoall -b 1M -e 64M -f 8" \
           "hgx-a100-4gpu.json -b 1M -e 1G -f 32"; do
  set -- $run
  d=$1
  shift
  "$bin" run "$topo/$d" "$@" --csv "$dir/direct.csv" >/dev/null 2>&1
  "$bin" run "$topo/$d" "$@" --csv "$dir/xml.csv" --dump-platform "$dir/p.xml" >/dev/null 2>&1
  [ -s "$dir/p.xml" ] && cmp -s "$dir/direct.csv" "$dir/xml.csv"
  check $? "$d: direct platform and XML platform differ"
done

# standard output on a full device: every command fails with exit 2 (an I/O error), never 0
for args in "--help" "--version" "run --help" "info" "validate $topo/hgx-h100.json" \
  "export --format dot" "export --format graphml" "run -b 1M -e 1M" \
  "compare builtin:hgx-h100 builtin:hgx-a100 -b 1M -e 1M"; do
  # shellcheck disable=SC2086
  "$bin" $args >/dev/full 2>/dev/null
  rc=$?
  [ $rc = 2 ]; check $? "stdout on /dev/full: nvlsim $args exited $rc, not 2"
done

# a long run (NVL576 ring with every rank simulated, several seconds) interrupted by SIGTERM and
# by SIGINT (SimGrid installs its own SIGINT handler, which exited 1 and left the temporary files)
# as soon as its outputs are open (their temporary files exist: it runs, with its handlers, and
# has seconds of work left, however busy the machine): the signal's status (143, 130), a message,
# and no file left behind
for sig in TERM INT; do
  "$bin" run "$topo/nvl576.json" --algo ring -b 1M -e 1G -f 2 --explicit-ranks --csv "$dir/killed.csv" \
    --json "$dir/killed.json" --link-stats "$dir/killed.links.csv" >/dev/null 2>"$dir/killed.err" &
  pid=$!
  while [ "$(ls "$dir" | grep -c 'killed.*tmp')" -lt 3 ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done
  kill -$sig $pid
  wait $pid
  rc=$?
  want=143
  [ $sig = INT ] && want=130
  [ $rc = $want ]; check $? "SIG$sig: exit status $rc, not $want"
  grep -q "interrupted; no output written" "$dir/killed.err"; check $? "SIG$sig: no message"
  [ ! -e "$dir/killed.csv" ] && [ ! -e "$dir/killed.json" ] && [ ! -e "$dir/killed.links.csv" ]
  check $? "SIG$sig: the killed run left an output"
  [ -z "$(ls "$dir" | grep tmp)" ]; check $? "SIG$sig: the killed run left a temporary file"
  rm -f "$dir/killed.err"
done
# every input read from a FIFO is refused at once (never waited on), exit 2 as any unreadable
# input: workloads, matrices, sweep specs and CSVs, measurement tables, model descriptions, designs
mkfifo "$dir/fifo"
for args in "run --workload $dir/fifo" "run -p matrix --matrix $dir/fifo -b 1M -e 1M" \
  "sweep $dir/fifo -o $dir/fo.csv" "validate-model $dir/fifo" "validate-model --llm $dir/fifo" \
  "sweep --merge -o $dir/fm.csv $dir/fifo $dir/fifo" "llm --llm $dir/fifo" "validate $dir/fifo" \
  "info $dir/fifo" "compare $dir/fifo builtin:hgx-h100" "run $dir/fifo" \
  "validate-model --ops $dir/fifo"; do
  # shellcheck disable=SC2086
  timeout 20 "$bin" $args >/dev/null 2>"$dir/fifo.err"
  rc=$?
  [ $rc = 2 ] && grep -q "not a regular file" "$dir/fifo.err"
  check $? "FIFO input: nvlsim $args: exit $rc, $(head -c 200 "$dir/fifo.err")"
done
# a design whose GPU type names a FIFO as its measured profile: the design is invalid (exit 1)
printf '{"name": "p", "endpoint_types": {"g": {"base": "h200", "compute": {"profile": "fifo"}}},
 "system": {"endpoints": [{"name": "g", "type": "g", "count": 2}],
 "links": [{"from": "g0", "to": "g1", "link": "nvlink4", "count": 18}]}}' >"$dir/prof.json"
timeout 20 "$bin" validate "$dir/prof.json" >"$dir/fifo.err" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "profile $dir/fifo: not a regular file" "$dir/fifo.err"
check $? "FIFO profile: exit $rc, $(head -c 300 "$dir/fifo.err")"
rm -f "$dir/fifo" "$dir/fifo.err" "$dir/prof.json"
# a missing matrix or merge input is exit 2 too, and the matrix message names the matrix
"$bin" run builtin:hgx-h100 -p matrix --matrix "$dir/none.csv" -b 1M -e 1M >/dev/null 2>"$dir/m.err"
[ $? = 2 ] && grep -q "traffic matrix $dir/none.csv: cannot read" "$dir/m.err"; check $? "missing matrix: $(cat "$dir/m.err")"
"$bin" sweep --merge -o "$dir/mm.csv" "$dir/none1.csv" "$dir/none2.csv" 2>/dev/null; [ $? = 2 ]
check $? "missing merge input: not exit 2"
for args in "--matrix $dir/none.csv" "-p matrix"; do
  # shellcheck disable=SC2086
  "$bin" run builtin:hgx-h100 $args -b 1M -e 1M >/dev/null 2>&1; [ $? = 2 ]; check $? "run $args: not a usage error"
done

# progress: on a terminal a long run shows simulated time growing (between the completions of its
# one operation); written to a file, stderr holds no progress line
if command -v script >/dev/null 2>&1; then
  # a run of a few seconds, to its end (a time limit only against a hang: a loaded CI machine or a
  # sanitizer build may take many times longer before the first line)
  timeout 600 script -qec "$bin run $topo/nvl576.json --algo ring -b 1M -e 1M --explicit-ranks --model ideal >/dev/null" \
    "$dir/tty.log" >/dev/null 2>&1
  n=$(tr '\r' '\n' <"$dir/tty.log" | grep -ac '^simulating: 0/1 operations, [0-9.]* us simulated')
  [ "$n" -ge 1 ]; check $? "no progress line on a terminal ($n)"
  timeout 3 "$bin" run "$topo/nvl576.json" --algo ring -b 1G -e 1G --explicit-ranks --model ideal >/dev/null 2>"$dir/notty.err"
  ! grep -q simulating "$dir/notty.err"; check $? "a progress line in a file"
fi

# out of memory inside the simulator (an address-space limit): exit 3, as nvlsim's own allocations,
# with no output left behind (not in a sanitizer build: ASan needs terabytes of address space). The
# explicit 576-rank alltoall needs about 490 MB; below about 160 MB the shared libraries' own static
# initialisers (libns3, loaded by SimGrid) fail before main, which no program can report.
if ! nm -D "$bin" 2>/dev/null | grep -q __asan_init; then
  for v in 200000 250000; do
    (ulimit -v $v; "$bin" run "$topo/nvl576.json" -c alltoall -b 64M -e 64M --explicit-ranks --csv "$dir/oom.csv" >/dev/null 2>"$dir/oom.err")
    rc=$?
    [ $rc = 3 ] && grep -q "out of memory" "$dir/oom.err" && [ -z "$(ls "$dir" | grep oom.csv)" ]
    check $? "ulimit -v $v: exit $rc, $(tail -c 120 "$dir/oom.err")"
  done
fi

# link peaks: never above the link's capacity, never below its average over the run, and the
# bottleneck of a bandwidth-bound alltoall at full load; on a reduced run as on the explicit one
for x in "" --explicit-ranks; do
  # shellcheck disable=SC2086
  "$bin" run "$topo/fusion-gpu-asic.json" -c alltoall -b 64M -e 64M $x --link-stats "$dir/pk$x.csv" >/dev/null 2>&1
  python3 - "$dir/pk$x.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 400, len(rows)
for r in rows:
    u, p = float(r["utilization"]), float(r["peak_utilization"])
    assert u - 1e-6 <= p <= 1 + 1e-9, r
assert max(float(r["peak_utilization"]) for r in rows) > 1 - 1e-6
PY
  check $? "link peaks out of bounds ($x)"
done
cmp -s "$dir/pk.csv" "$dir/pk--explicit-ranks.csv"; check $? "reduced and explicit link statistics differ"

# RFC 4180 in every CSV writer: a design named, and a design file placed, with , and " (and a
# table cell with a line break) give rectangular files whose fields read back
q="$dir/we,ird \"dir\""
mkdir "$q"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["name"]="we,ird \"name\", two"; json.dump(d,open(sys.argv[2],"w"))' \
  "$topo/hgx-h100.json" "$q/d.json"
printf 'case,system,gpus,collective,algorithm,size_bytes,busbw_GBps,role,source\n"c,""1""\n2",HGX H100,8,all_reduce,ring,1048576,100,fitted,"s,rc"\n' >"$q/m.csv"
"$bin" run "$q/d.json" -b 1M -e 4M --csv "$q/run.csv" --link-stats "$q/links.csv" >/dev/null 2>&1
"$bin" llm "$q/d.json" --llm builtin:llama3.1-70b --mode decode --tp 8 --batch 8 --csv "$q/llm.csv" >/dev/null 2>&1
"$bin" compare "$q/d.json" builtin:hgx-h100 -b 1M -e 1M --csv "$q/cmp.csv" >/dev/null 2>&1
"$bin" validate-model --csv "$q/vm.csv" "$q/m.csv" >/dev/null 2>&1
for f in run links llm cmp vm; do
  python3 - "$q/$f.csv" "$q/d.json" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert len(rows) > 1 and len({len(r) for r in rows}) == 1, {len(r) for r in rows}
cells = {c for r in rows for c in r}
name = sys.argv[1].rsplit("/", 1)[1]
if name == "run.csv":
    assert 'we,ird "name", two' in cells, rows[1]
if name == "llm.csv":
    assert sys.argv[2] in cells, rows[1]
if name == "vm.csv":
    assert 'c,"1"\n2' in cells, rows[1]
PY
  check $? "$f CSV is not RFC 4180"
done
# Control characters (C0, DEL, C1: a terminal takes them for commands) in any text a user gives:
# a design, a model, a workload (keys or strings) and every CSV table are refused, naming where
# (a CSV field may hold a line break inside quotes, RFC 4180: the table's own line ends are not
# checked here)
cc="$dir/cc"
mkdir "$cc"
for c in '\u001b[2J' '\n' '\r' '\u0007' '\u007f' '\u009b'; do
  python3 - "$topo/hgx-h100.json" "$cc" "$c" <<'PY'
import json, sys
c = json.loads('"' + sys.argv[3] + '"')
d = json.load(open(sys.argv[1])); d["name"] = "x" + c; json.dump(d, open(sys.argv[2] + "/d.json", "w"))
d = json.load(open(sys.argv[1])); d["note" + c] = "x"; json.dump(d, open(sys.argv[2] + "/k.json", "w"))
json.dump({"name": "m" + c, "layers": 2, "hidden": 1024, "heads": 8, "ffn": 4096, "vocab": 1000},
          open(sys.argv[2] + "/m.json", "w"))
json.dump({"jobs": [{"name": "j" + c, "collective": "all_reduce", "size": "1 MiB"}]},
          open(sys.argv[2] + "/w.json", "w"))
open(sys.argv[2] + "/t.csv", "wb").write(
    ("case,system,gpus,collective,algorithm,size_bytes,busbw_GBps\nc" +
     (c if c not in "\r\n" else "\x1b") + ",s,8,all_reduce,ring,1048576,100\n").encode())
PY
  "$bin" validate "$cc/d.json" >/dev/null 2>"$cc/e1"; r1=$?
  "$bin" validate "$cc/k.json" >/dev/null 2>"$cc/e2"; r2=$?
  "$bin" llm --llm "$cc/m.json" >/dev/null 2>"$cc/e3"; r3=$?
  "$bin" run builtin:hgx-h100 --workload "$cc/w.json" >/dev/null 2>"$cc/e4"; r4=$?
  "$bin" validate-model "$cc/t.csv" >/dev/null 2>"$cc/e5"; r5=$?
  [ "$r1$r2$r3$r4$r5" = 11112 ] && grep -q '/name: holds the control character' "$cc/e1" &&
    grep -q 'holds the control character' "$cc/e2" && grep -q '/name: holds the control' "$cc/e3" &&
    grep -q '/jobs/0/name: holds the control' "$cc/e4" && grep -q 't.csv:2:.*control character' "$cc/e5" &&
    ! grep -q "$(printf '\033')" "$cc"/e*
  check $? "control character $c: exits $r1$r2$r3$r4$r5, $(cat "$cc"/e* | head -c 600)"
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
