#!/usr/bin/env bash
# bench-tiles.sh SCALE: the vector tile benchmark in detail (gridsentry bench
# has its rows by zoom), on the database gridsentry bench built and linked
# (gridsentry_bench_SCALE; make bench, or make bench-quick for demo): a
# fixed list of tiles (the tile holding the first
# located entity of each town, zooms 8 to 16) for a building view, the
# style's table layers and its coverage layers, each built cold and served
# warm, with sizes; the largest tile of a sweep of the city from z6 to z12;
# and cached tiles per second over HTTP on this machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scale=${1:?usage: bench-tiles.sh demo|city}
db="gridsentry_bench_$scale"

bin/gridsentry migrate up --database "$db" --log-format text 2>&1 | grep -i 'applied\|error' || true
echo "== vector tiles ($scale scale)"
bin/gridsentry tiles bench --database "$db" --log-format text --sweep-zoom 12 2>&1 | grep -v 'private PostgreSQL cluster\|reusing the running'
printf 'machine: %s, %s cores, %s RAM; commit %s\n' \
	"$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)" "$(nproc)" \
	"$(free -g | awk '/^Mem:/ {print $2 " GiB"}')" "$(git describe --always --dirty 2>/dev/null || echo unknown)"
