#!/bin/sh
# Runs one data-driven case: tests/cases/<kind>/<case>/
#   args       the nvlsim arguments, one line (default: validate design.json)
#   expected   first line "exit N", then the exact combined stdout+stderr
# Runs inside the case folder so that file names in messages are stable.
set -u
bin=$1
dir=$2
cd "$dir" || exit 1
if [ -f args ]; then args=$(cat args); else args="validate design.json"; fi
out=$(mktemp)
# shellcheck disable=SC2086
${NVL_WRAPPER:-} "$bin" $args >"$out.raw" 2>&1
rc=$?
# ASan's notice about SimGrid's context switches (sanitizer builds only) is not our output
grep -v -e 'ASan is ignoring requested __asan_handle_no_return' \
        -e '^False positive error reports may follow' \
        -e '^For details see https://github.com/google/sanitizers/issues/189' "$out.raw" >"$out"
rm -f "$out.raw"
want_rc=$(head -n 1 expected | sed -n 's/^exit \([0-9]*\)$/\1/p')
status=0
if [ "$rc" != "$want_rc" ]; then
  echo "exit status $rc, expected $want_rc"
  status=1
fi
if ! tail -n +2 expected | diff -u - "$out"; then
  echo "output differs from $dir/expected (- expected, + actual)"
  status=1
fi
rm -f "$out"
exit $status
