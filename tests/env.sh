#!/bin/sh
# The environment nvlsim reads (sim/cli/env.h), once at start: a bad value of any variable is a
# usage error (exit 2) naming it, never an abort; NVLSIM_PLATFORM_XML=1 runs an LLM step unfolded,
# equal to --explicit-ranks. usage: env.sh NVLSIM
set -u
bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0
fail=0
check() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }
# refused: exit 2 and a message naming the variable (and what is wrong)
refused() { # VAR VALUE WORDS...
  var=$1 val=$2
  shift 2
  env "$var=$val" "$bin" run -b 1M -e 1M >"$dir/out" 2>"$dir/err"
  rc=$?
  [ $rc = 2 ] && grep -q "$var" "$dir/err" && grep -q "$*" "$dir/err" && [ ! -s "$dir/out" ]
  check $? "$var=$val: exit $rc, $(head -c 200 "$dir/err")"
}
refused NVLSIM_CALIBRATION /nonexistent "cannot read"
refused NVLSIM_CALIBRATION "$dir" "directory"
echo '{}' >"$dir/empty.json"
refused NVLSIM_CALIBRATION "$dir/empty.json" "protocols"
echo '{' >"$dir/broken.json"
refused NVLSIM_COMPUTE "$dir/broken.json" "compute: line"
refused NVLSIM_COMPUTE "$dir/empty.json" "host/launch"
refused NVLSIM_PLATFORM_XML yes "is not 0 or 1"
# accepted: 0 and the empty string mean off, as unset
for v in 0 ""; do
  NVLSIM_PLATFORM_XML=$v "$bin" run -b 1M -e 1M >/dev/null 2>&1
  check $? "NVLSIM_PLATFORM_XML=\"$v\" refused"
done
# commands that do not simulate do not read the model files
NVLSIM_CALIBRATION=/nonexistent "$bin" validate builtin:hgx-h100 >/dev/null 2>&1
check $? "validate read NVLSIM_CALIBRATION"
# an LLM step through the XML platform: nothing folded, the explicit run's figures
args="llm -g 16 --llm builtin:llama3.1-70b --tp 4 --pp 2 --dp 2 --microbatches 2 --batch 4 --seq 1024 --model ideal"
# shellcheck disable=SC2086
NVLSIM_PLATFORM_XML=1 "$bin" $args >"$dir/xml" 2>"$dir/xml.err"
check $? "llm under NVLSIM_PLATFORM_XML=1 failed"
# shellcheck disable=SC2086
"$bin" $args --explicit-ranks >"$dir/explicit" 2>/dev/null
grep -q "alike copies" "$dir/xml"
[ $? != 0 ]; check $? "NVLSIM_PLATFORM_XML=1 reported folding"
cmp -s "$dir/xml" "$dir/explicit"; check $? "NVLSIM_PLATFORM_XML=1 differs from --explicit-ranks: $(diff "$dir/xml" "$dir/explicit" | head -5)"
echo "env: $pass passed, $fail failed"
[ "$fail" = 0 ]
