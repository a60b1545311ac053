#!/bin/sh
# `factory --shard i/N --steps FILE`: shards simulate disjoint replica sizes of all designs into
# their own logs; the logs joined give the unsharded frontier byte for byte without simulating
# anything (the joined log grows by nothing); sharding without a log, or with --csv, is refused.
# Usage: factory_shards.sh NVLSIM
set -eu
nv=$1
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
args="builtin:hgx-h100 builtin:hgx-a100 --llm builtin:llama3.1-8b --isl 512 --osl 128 --gpus 1,2,8 --batch 1,16 --disagg"
# shellcheck disable=SC2086
"$nv" factory $args --csv "$d/one.csv" >"$d/one.txt"
for i in 0 1 2; do
  # shellcheck disable=SC2086
  "$nv" factory $args --shard "$i/3" --steps "$d/log$i" >"$d/shard$i.txt"
  grep -q "shard $i/3 simulated" "$d/shard$i.txt" || { echo "factory_shards: shard $i said nothing"; exit 1; }
done
total=$(cat "$d/log0" "$d/log1" "$d/log2" | wc -l)
twice=$(cat "$d/log0" "$d/log1" "$d/log2" | cut -f1 | sort | uniq -d | wc -l)
[ "$twice" -eq 0 ] || { echo "factory_shards: $twice steps in two shards"; exit 1; }
for i in 0 1 2; do
  [ -s "$d/log$i" ] || { echo "factory_shards: shard $i simulated nothing"; exit 1; }
done
cat "$d/log0" "$d/log1" "$d/log2" >"$d/all"
# shellcheck disable=SC2086
"$nv" factory $args --steps "$d/all" --csv "$d/joined.csv" >"$d/joined.txt"
cmp "$d/one.csv" "$d/joined.csv"
cmp "$d/one.txt" "$d/joined.txt"
[ "$(wc -l <"$d/all")" -eq "$total" ] || { echo "factory_shards: the joined run simulated again"; exit 1; }
for bad in "--shard 0/2" "--shard 0/2 --steps $d/x --csv $d/y.csv" "--shard 2/2 --steps $d/x"; do
  # shellcheck disable=SC2086
  if "$nv" factory --llm builtin:llama3.1-8b $bad >/dev/null 2>"$d/err"; then
    echo "factory_shards: $bad was taken"; exit 1
  fi
  grep -q "shard" "$d/err" || { echo "factory_shards: $bad: no message"; cat "$d/err"; exit 1; }
done
echo "factory_shards: $total steps over 3 shards give the one-shot frontier"
