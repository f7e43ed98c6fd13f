#!/usr/bin/env bash
# bench-load.sh SCALE [SEED]: loads the demo city at SCALE (demo or city) into a
# fresh database of the private cluster and prints how long it took. The
# database (gridsentry_bench_SCALE) is kept for later benchmarks.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scale=${1:?usage: bench-load.sh demo|city [seed]}
seed=${2:-1}
db="gridsentry_bench_$scale"
bin/gridsentry cluster createdb --db "$db" --fresh >/dev/null
start=$(date +%s%N)
set +e
bin/gridsentry demo --scale "$scale" --seed "$seed" --database "$db" --log-format text 2>&1 |
	tr '\r' '\n' | sed 's/^loading.*gridsentry:/gridsentry:/' | grep -v '^loading\|^ *$'
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
	echo "bench-load: loading the $scale city failed" >&2
	exit "$status"
fi
end=$(date +%s%N)
ms=$(((end - start) / 1000000))
printf 'load %s scale (seed %s) into an empty database: %d.%01d s wall, including migrations\n' \
	"$scale" "$seed" $((ms / 1000)) $((ms % 1000 / 100))
printf 'machine: %s, %s cores, %s RAM; commit %s\n' \
	"$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)" "$(nproc)" \
	"$(free -g | awk '/^Mem:/ {print $2 " GiB"}')" "$(git describe --always --dirty 2>/dev/null || echo unknown)"
