#!/bin/sh
# cmake --install: the program (its --version the project's), the man page with a section per
# command of --help, the manual and reference designs; the installed program runs from anywhere.
# usage: install.sh BUILD_DIR VERSION
set -u
build=$1
version=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0
fail=0
check() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }

cmake --install "$build" --prefix "$dir/p" >/dev/null; check $? "cmake --install failed"
bin="$dir/p/bin/nvlsim"
[ "$("$bin" --version)" = "nvlsim $version" ]; check $? "--version: $("$bin" --version)"
man="$dir/p/share/man/man1/nvlsim.1"
head -n 1 "$man" | grep -q "^.TH NVLSIM 1 .*nvlsim $version"; check $? "man page header"
for c in $("$bin" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p' | grep -v '^help$'); do
  grep -q "^.SS $c\$" "$man"; check $? "man page has no section for $c"
done
# the man page's text is the command's help, word for word
"$bin" help sweep | head -n 3 >"$dir/h"
grep -A4 '^.SS sweep$' "$man" | sed -n '3,5p' | sed 's/\\e/\\/g; s/^\\&//' >"$dir/m"
cmp -s "$dir/h" "$dir/m"; check $? "man page sweep section differs from nvlsim help sweep"
doc="$dir/p/share/doc/nvlsim"
[ -s "$doc/README.md" ] && [ -s "$doc/docs/design-format.md" ]; check $? "manual not installed"
(cd / && "$bin" validate builtin:gb200-nvl72 >/dev/null); check $? "installed nvlsim outside the tree"
[ -s "$doc/topologies/nvlsim-design.schema.json" ]; check $? "schema not installed"
"$bin" validate $(ls "$doc"/topologies/*.json | grep -v schema) >/dev/null 2>&1; check $? "installed reference designs"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
