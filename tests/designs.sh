#!/bin/sh
# Every reference design through validate, info, export and a short run (default model), built
# in and from its file. Under the sanitizer build this is the "no error, no leak on every
# reference design" check. The run takes the first 144 ranks of designs larger than that
# (a ring over all 1,152 GPUs of 16 racks is a benchmark, not a check). usage: designs.sh NVLSIM
# TOPOLOGIES_DIR
set -u
bin=$1
topo=$2
pass=0
fail=0
check() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }
for f in "$topo"/*.json; do
  case $f in *schema.json) continue ;; esac
  name=$(basename "$f" .json)
  ${NVL_WRAPPER:-} "$bin" validate "$f" >/dev/null 2>&1; check $? "validate $name"
  info=$(${NVL_WRAPPER:-} "$bin" info "builtin:$name" 2>&1); check $? "info $name"
  ${NVL_WRAPPER:-} "$bin" export --format graphml "$f" >/dev/null 2>&1; check $? "export $name"
  gpus=$(printf '%s\n' "$info" | sed -n 's/^fabric .*(\([0-9]*\) .*/\1/p')
  g=""
  if [ "${gpus:-0}" -gt 576 ]; then g="-g 144"; fi
  # shellcheck disable=SC2086
  ${NVL_WRAPPER:-} "$bin" run "builtin:$name" $g -b 1M -e 4M -f 4 >/dev/null 2>&1; check $? "run $name"
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
