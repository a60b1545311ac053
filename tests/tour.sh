#!/bin/bash
# README's tour: every line of its first command block runs (exit 0), in order, from a scratch
# folder that sees the checkout's topologies/ and tools/, with a design.json and a jobs.json of
# its own. usage: tour.sh NVLSIM SOURCE_DIR
. "$(dirname "$0")/scratch.sh"
cp "$src/topologies/hgx-h100.json" "$dir/work/design.json"
printf '%s\n' '{"jobs": [{"name": "a", "collective": "all_reduce", "ranks": "gpu[0:4]", "size": "64 MiB"}, {"name": "b", "collective": "alltoall", "ranks": "gpu[4:8]", "size": "64 MiB"}]}' >"$dir/work/jobs.json"
awk '/^## A tour/ { on = 1 } on && /^```sh/ { block = 1; next } block && /^```/ { exit } block' \
  "$src/README.md" | sed 's/  *# .*$//' >"$dir/lines"
[ "$(grep -c '^nvlsim ' "$dir/lines")" -ge 10 ]; check $? "the tour block was not found"
while IFS= read -r line; do
  [ -z "$line" ] && continue
  (cd "$dir/work" && PATH="$dir/bin:$PATH" NVLSIM_NO_HUGEPAGES=1 bash -c "$line" >"$dir/out" 2>&1)
  check $? "tour: $line: $(tail -n 3 "$dir/out")"
done <"$dir/lines"
echo "tour: $pass passed, $fail failed"
[ "$fail" = 0 ]
