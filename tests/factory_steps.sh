#!/bin/sh
# `factory --steps FILE`: a rerun with the same log prints the same frontier without simulating
# (the log grows by nothing), a log cut short mid-line (an interrupted run) is resumed (the cut
# step simulated again, the result the same), and a log that cannot be one (unwritable, a FIFO,
# a folder) is a usage error (exit 2) with a message, never a hang.
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
mkfifo "$d/fifo"
mkdir "$d/dir"
for bad in "$d/no/such/dir/log" "$d/fifo" "$d/dir"; do # unwritable, a FIFO (no hang), a folder
  if timeout 60 "$nv" factory builtin:hgx-h100 --llm builtin:llama3.1-8b --steps "$bad" \
    >/dev/null 2>"$d/err"; then
    echo "factory_steps: $bad was taken as a log"; exit 1
  else
    rc=$?
    [ $rc -eq 2 ] || { echo "factory_steps: $bad: exit $rc, not 2"; cat "$d/err"; exit 1; }
    grep -q "steps" "$d/err" || { echo "factory_steps: $bad: no message"; exit 1; }
  fi
done
echo "factory_steps: reruns and resumes agree"
