#!/usr/bin/env bash
# bench-flags.sh SCALE: the flag benchmarks on the city loaded by
# bench-load.sh SCALE and linked by bench-entities.sh SCALE (database
# gridsentry_bench_SCALE):
#   1. the full evaluation of every rule over every entity, twice: the first
#      raises every flag, the second is the steady state serve repeats;
#   2. precision and recall per kind against the anomalies the generator
#      injected (demo_flag_truth), evaluated as of the day the history ends;
#   3. check-ins with their off-site verdict, p50 and p99.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scale=${1:?usage: bench-flags.sh demo|city}
db="gridsentry_bench_$scale"
url=$(bin/gridsentry cluster url)
dburl=${url/\/postgres\?/\/$db?}

bin/gridsentry migrate up --database "$db" --log-format text 2>&1 | grep -i 'applied\|error' || true

echo "== full evaluation of the flag rules ($scale scale), first and steady state"
for run in first again; do
	bin/gridsentry flags recompute --database "$db" --log-format text 2>&1 | tr '\r' '\n' |
		sed -n 's/.*msg="flags evaluated" //p' | sed "s/^/$run: /"
done

echo "== precision and recall per kind against the injected anomalies"
GRIDSENTRY_BENCH_DATABASE_URL=$dburl GRIDSENTRY_BENCH_SCALE=$scale \
	go test -count=1 -v -run '^TestFlagQuality$' ./postgres/ | sed -n 's/^ *flag_quality_test.go:[0-9]*: //p'

echo "== check-ins with their off-site verdict (one in four 800 m away)"
GRIDSENTRY_BENCH_DATABASE_URL=$dburl GRIDSENTRY_BENCH_SCALE=$scale \
	go test -run '^$' -bench '^BenchmarkCheckIn$' -benchtime 2000x ./postgres/ | grep '^Benchmark'
printf 'machine: %s, %s cores, %s RAM; commit %s\n' \
	"$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)" "$(nproc)" \
	"$(free -g | awk '/^Mem:/ {print $2 " GiB"}')" "$(git describe --always --dirty 2>/dev/null || echo unknown)"
