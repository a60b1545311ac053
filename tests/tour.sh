#!/bin/bash
# README's tour: every line of its first command block runs (exit 0), in order, from a scratch
# folder that sees the checkout's topologies/ and tools/, with a design.json and a jobs.json of
# its own. usage: tour.sh NVLSIM SOURCE_DIR
set -u
bin=$1
src=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0
fail=0
check() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }
mkdir "$dir/bin" "$dir/work"
ln -s "$bin" "$dir/bin/nvlsim"
ln -s "$src/topologies" "$dir/work/topologies"
ln -s "$src/tools" "$dir/work/tools"
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
