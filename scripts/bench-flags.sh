#!/usr/bin/env bash
# bench-flags.sh SCALE: the flag figures behind the flag rows of gridsentry
# bench, on the database it built and linked (gridsentry_bench_SCALE; make
# bench, or make bench-quick for demo):
#   1. precision and recall per kind against the anomalies the generator
#      injected (demo_flag_truth), evaluated as of the day the history ends;
#   2. check-ins with their off-site verdict, p50 and p99.
# The full evaluation's time is a row of gridsentry bench.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scale=${1:?usage: bench-flags.sh demo|city}
db="gridsentry_bench_$scale"
url=$(bin/gridsentry cluster url)
dburl=${url/\/postgres\?/\/$db?}

bin/gridsentry migrate up --database "$db" --log-format text 2>&1 | grep -i 'applied\|error' || true

echo "== precision and recall per kind against the injected anomalies"
GRIDSENTRY_BENCH_DATABASE_URL=$dburl GRIDSENTRY_BENCH_SCALE=$scale \
	go test -count=1 -v -run '^TestFlagQuality$' ./postgres/ | sed -n 's/^ *flag_quality_test.go:[0-9]*: //p'

echo "== check-ins with their off-site verdict (one in four 800 m away)"
GRIDSENTRY_BENCH_DATABASE_URL=$dburl GRIDSENTRY_BENCH_SCALE=$scale \
	go test -run '^$' -bench '^BenchmarkCheckIn$' -benchtime 2000x ./postgres/ | grep '^Benchmark'
printf 'machine: %s, %s cores, %s RAM; commit %s\n' \
	"$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)" "$(nproc)" \
	"$(free -g | awk '/^Mem:/ {print $2 " GiB"}')" "$(git describe --always --dirty 2>/dev/null || echo unknown)"
