#!/bin/sh
# Every command's help shows working examples (lines "  nvlsim ..." of `nvlsim help CMD`), and
# each runs: from a scratch folder that sees the checkout's topologies/ and tools/, exit 0.
# usage: examples.sh NVLSIM SOURCE_DIR
. "$(dirname "$0")/scratch.sh"
cmds=$("$bin" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
[ -n "$cmds" ]; check $? "no commands listed by nvlsim --help"
for c in $cmds; do
  [ "$c" = help ] && continue
  "$bin" help "$c" | sed -n 's/^  \(nvlsim .*\)$/\1/p' >"$dir/ex"
  [ -s "$dir/ex" ]; check $? "nvlsim help $c shows no example"
  while IFS= read -r line; do
    (cd "$dir/work" && PATH="$dir/bin:$PATH" NVLSIM_NO_HUGEPAGES=1 sh -c "$line" >"$dir/out" 2>&1)
    check $? "example of $c exits non-zero: $line: $(tail -n 3 "$dir/out")"
  done <"$dir/ex"
done
echo "examples: $pass passed, $fail failed"
[ "$fail" = 0 ]
