#!/bin/sh
# `factory --steps FILE`: a rerun with the same log prints the same frontier without simulating
# (the log grows by nothing), a log cut short mid-line (an interrupted run) is resumed (the cut
# step simulated again, the result the same), and an unwritable log is a usage error (exit 2).
# Usage: factory_steps.sh NVLSIM
set -eu
nv=$1
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
run() { "$nv" factory builtin:hgx-h100 --llm builtin:llama3.1-8b --gpus 1,8 --batch 1,64 \
  --steps "$d/log" >"$d/$1" 2>&1; }
run a
n=$(wc -l <"$d/log")
[ "$n" -eq 6 ] || { echo "factory_steps: $n steps logged, 6 expected"; exit 1; }
run b
cmp "$d/a" "$d/b"
[ "$(wc -l <"$d/log")" -eq "$n" ] || { echo "factory_steps: the rerun simulated again"; exit 1; }
size=$(wc -c <"$d/log")
head -c $((size - 20)) "$d/log" >"$d/cut" && mv "$d/cut" "$d/log"
run c
cmp "$d/a" "$d/c"
[ "$(grep -c . "$d/log")" -eq 7 ] || { echo "factory_steps: the cut step not logged again"; exit 1; }
if "$nv" factory builtin:hgx-h100 --llm builtin:llama3.1-8b --steps "$d/no/such/dir/log" \
  >/dev/null 2>&1; then
  echo "factory_steps: an unwritable log was taken"; exit 1
else
  [ $? -eq 2 ] || { echo "factory_steps: an unwritable log is not exit 2"; exit 1; }
fi
echo "factory_steps: reruns and resumes agree"
