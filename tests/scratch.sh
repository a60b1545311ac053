# Sourced by tests that run nvlsim as a user would (examples.sh, tour.sh): $1 the binary, $2 the
# checkout; a scratch folder $dir (removed at exit) with bin/nvlsim and a work/ that sees the
# checkout's topologies/ and tools/; check STATUS MESSAGE counts passes and failures.
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
