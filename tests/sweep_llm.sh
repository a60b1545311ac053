#!/bin/sh
# nvlsim sweep with an LLM workload: LLM parameters as axes, one row per point in the llm CSV
# columns, a layout the model cannot take recorded as invalid, spec errors refused with their
# pointer. usage: sweep_llm.sh NVLSIM SPEC_DIR
set -u
bin=$1
spec=$2/llm.json
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0
fail=0
check() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }
col() { head -n 1 "$1" | tr , '\n' | grep -nx "$2" | cut -d: -f1; }

"$bin" sweep "$spec" -o "$dir/o.csv" -j 2 2>/dev/null; check $? "llm sweep failed"
head -n 1 "$dir/o.csv" | grep -q '^point,tensor_parallel,prec,status,design,llm,mode,precision,attn_precision,'
check $? "header"
[ "$(tail -n +2 "$dir/o.csv" | wc -l)" = 6 ]; check $? "expected 6 rows"
[ "$(grep -c ',invalid,' "$dir/o.csv")" = 2 ]; check $? "tp 3 must give 2 invalid rows"
grep -q '^2,3,bf16,invalid,.*tp 3 x pp 1 = 3 does not divide' "$dir/o.csv"; check $? "tp 3 reason"
# tp 1 is compute only: FP8 doubles the GEMMs' peak, so the step is faster, but by less than 2
# (attention stays BF16, memory-bound operations and FP8 casts do not speed up)
s=$(col "$dir/o.csv" step_time_us)
c=$(col "$dir/o.csv" comm_us)
a=$(awk -F, -v s="$s" '$1 == 0 {print $s}' "$dir/o.csv")
b=$(awk -F, -v s="$s" '$1 == 1 {print $s}' "$dir/o.csv")
awk -v a="$a" -v b="$b" 'BEGIN { r = a / b; exit !(r > 1.2 && r < 2) }'
check $? "tp 1: bf16 / fp8 step $a / $b is not between 1.2 and 2"
# tp 8 adds its all_reduces, the same in both precisions (activations travel in BF16)
c4=$(awk -F, -v c="$c" '$1 == 4 {print $c}' "$dir/o.csv")
c5=$(awk -F, -v c="$c" '$1 == 5 {print $c}' "$dir/o.csv")
awk -v a="$c4" -v b="$c5" 'BEGIN { exit !(a > 0 && a == b) }'; check $? "tp 8 comm $c4 vs $c5"
# the points are those of `nvlsim llm`
"$bin" llm --llm builtin:llama3.1-70b --mode prefill --seq 2048 --batch 8 --ranks 'gpu[0:8]' \
  --tp 8 --precision fp8 --csv "$dir/one.csv" >/dev/null 2>&1; check $? "nvlsim llm"
t=$(awk -F, -v s="$(col "$dir/one.csv" step_time_us)" 'NR == 2 {print $s}' "$dir/one.csv")
u=$(awk -F, -v s="$s" '$1 == 5 {print $s}' "$dir/o.csv")
[ "$t" = "$u" ]; check $? "sweep point $u differs from nvlsim llm $t"

# spec errors: each class refused (exit 1) with its pointer
bad() { # NAME JSON POINTER
  printf '%s\n' "$2" >"$dir/$1.json"
  "$bin" sweep "$dir/$1.json" -o "$dir/$1.csv" 2>"$dir/$1.err"
  [ $? = 1 ] && grep -q "$3" "$dir/$1.err" && [ ! -e "$dir/$1.csv" ]
  check $? "$1: $(cat "$dir/$1.err")"
}
ax='"axes": [{"name": "t", "param": "tp", "values": [1]}]'
bad collective-key "{\"base\": \"builtin:gb200-nvl72\", \"workload\": {\"llm\": \"builtin:llama3.1-70b\", \"sizes\": [\"1 MiB\"]}, $ax}" '/workload/sizes'
bad llm-param-without-llm "{\"base\": \"builtin:gb200-nvl72\", \"workload\": {\"collective\": \"all_reduce\"}, $ax}" '/axes/0: param is size'
bad size-param-in-llm "{\"base\": \"builtin:gb200-nvl72\", \"workload\": {\"llm\": \"builtin:llama3.1-70b\"}, \"axes\": [{\"name\": \"s\", \"param\": \"size\", \"values\": [\"1 MiB\"]}]}" '/axes/0: param of an LLM sweep'
bad unknown-model "{\"base\": \"builtin:gb200-nvl72\", \"workload\": {\"llm\": \"builtin:gpt-9\"}, $ax}" '/workload/llm: .*unknown built-in model'
bad model-outside "{\"base\": \"builtin:gb200-nvl72\", \"workload\": {\"llm\": \"../m.json\"}, $ax}" '/workload/llm: .*spec.s folder'
bad bad-value "{\"base\": \"builtin:gb200-nvl72\", \"workload\": {\"llm\": \"builtin:llama3.1-70b\", \"ep\": -1}, $ax}" '/workload/ep: ep: -1 is not a whole number'
bad bad-mode "{\"base\": \"builtin:gb200-nvl72\", \"workload\": {\"llm\": \"builtin:llama3.1-70b\", \"mode\": \"serve\"}, $ax}" '/workload/mode: mode: "serve" is not train'
bad axis-named-column "{\"base\": \"builtin:gb200-nvl72\", \"workload\": {\"llm\": \"builtin:llama3.1-70b\"}, \"axes\": [{\"name\": \"tokens_per_s\", \"param\": \"tp\", \"values\": [1]}]}" 'already a column'
# a bad axis value is the point's, recorded as invalid
printf '%s\n' "{\"base\": \"builtin:gb200-nvl72\", \"workload\": {\"llm\": \"builtin:llama3.1-70b\", \"mode\": \"prefill\", \"ranks\": \"gpu[0:8]\"}, \"axes\": [{\"name\": \"t\", \"param\": \"tp\", \"values\": [0, \"8\", 8]}]}" >"$dir/v.json"
"$bin" sweep "$dir/v.json" -o "$dir/v.csv" 2>/dev/null; check $? "bad axis values"
[ "$(grep -c ',invalid,.*is not a whole number' "$dir/v.csv")" = 2 ] && grep -q '^2,8,ok,' "$dir/v.csv"
check $? "bad axis values: $(cat "$dir/v.csv")"

# rows name the base design and a model file as the spec writes them: shards run from different
# folders (the spec given as s/spec.json, spec.json, and by its absolute path) merge into the
# one-shot sweep's bytes
mkdir -p "$dir/w/s"
cp "$(dirname "$spec")/../../topologies/hgx-h100.json" "$dir/w/s/d.json"
cp "$(dirname "$spec")/../../models/llm/mpt-1b.json" "$dir/w/s/m.json"
printf '%s\n' '{"base": "d.json", "workload": {"llm": "m.json", "mode": "prefill", "seq": 512, "batch": 8}, "axes": [{"name": "t", "param": "tp", "values": [1, 2, 4]}]}' >"$dir/w/s/spec.json"
(cd "$dir/w" && "$bin" sweep s/spec.json -o one.csv 2>/dev/null); check $? "one-shot sweep of files"
(cd "$dir/w/s" && "$bin" sweep spec.json -o ../s0.csv --shard 0/2 2>/dev/null); check $? "shard 0"
(cd / && "$bin" sweep "$dir/w/s/spec.json" -o "$dir/w/s1.csv" --shard 1/2 2>/dev/null); check $? "shard 1"
"$bin" sweep --merge -o "$dir/w/merged.csv" "$dir/w/s0.csv" "$dir/w/s1.csv" 2>/dev/null &&
  cmp -s "$dir/w/merged.csv" "$dir/w/one.csv"
check $? "shards from other folders differ from the one-shot sweep: $(diff "$dir/w/merged.csv" "$dir/w/one.csv" | head -4)"
d=$(col "$dir/w/one.csv" design); l=$(col "$dir/w/one.csv" llm)
[ "$(awk -F, -v d="$d" -v l="$l" 'NR > 1 {print $d "|" $l}' "$dir/w/one.csv" | sort -u)" = "d.json|m.json" ]
check $? "rows do not name d.json and m.json as the spec does"

# DeepEP's kernels as an axis: the low-latency dispatch of a decode batch is the shorter one
printf '%s\n' '{"base": "builtin:gb200-nvl72", "workload": {"llm": "builtin:deepseek-v3", "mode": "decode", "ep": 8, "ranks": "gpu[0:8]", "seq": 1024, "batch": 64, "precision": "fp8"}, "axes": [{"name": "k", "param": "ep_kernel", "values": ["normal", "low-latency", "fast"]}]}' >"$dir/ek.json"
"$bin" sweep "$dir/ek.json" -o "$dir/ek.csv" 2>/dev/null
e=$(col "$dir/ek.csv" ep_dispatch_us)
n=$(awk -F, -v e="$e" '$1 == 0 {print $e}' "$dir/ek.csv"); l=$(awk -F, -v e="$e" '$1 == 1 {print $e}' "$dir/ek.csv")
awk -v n="$n" -v l="$l" 'BEGIN { exit !(l > 0 && l < n) }' && grep -q '^2,fast,invalid,.*is not normal or low-latency' "$dir/ek.csv"
check $? "ep_kernel axis: normal $n us, low-latency $l us"

# recomputation as an axis: full recomputation costs step time; a bad value is its point's error
printf '%s\n' '{"base": "builtin:gb200-nvl72", "workload": {"llm": "builtin:llama3.1-8b", "mode": "train", "seq": 2048, "batch": 8, "ranks": "gpu[0:8]"}, "axes": [{"name": "rc", "param": "recompute", "values": ["none", "full", "partial"]}]}' >"$dir/rc.json"
"$bin" sweep "$dir/rc.json" -o "$dir/rc.csv" 2>/dev/null
e=$(col "$dir/rc.csv" step_time_us)
n=$(awk -F, -v e="$e" '$1 == 0 {print $e}' "$dir/rc.csv"); f=$(awk -F, -v e="$e" '$1 == 1 {print $e}' "$dir/rc.csv")
awk -v n="$n" -v f="$f" 'BEGIN { exit !(n > 0 && f > n) }' && grep -q '^2,partial,invalid,.*none, selective or full' "$dir/rc.csv"
check $? "recompute axis: none $n us, full $f us"

echo "sweep_llm: $pass passed, $fail failed"
[ "$fail" = 0 ]
