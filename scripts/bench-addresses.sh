#!/usr/bin/env bash
# bench-addresses.sh [SCALE]: the address validation benchmarks against the
# SCALE city (default city) of the private cluster, loading it first if the
# database gridsentry_bench_SCALE does not hold it yet (gridsentry bench
# builds and reuses the same database):
#   - index build time and heap (BenchmarkLoadAddressIndex),
#   - in-process validation throughput on one core and accuracy (BenchmarkMatchCity),
#   - HTTP validate latency at 1,000 requests/s for 30 s (vegeta, on this machine),
#   - a batch of 2M lines through validate:batch (BenchmarkValidateBatch).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scale=${1:-city}
db="gridsentry_bench_$scale"
GO=${GO:-go}
port=18080

bin/gridsentry cluster start >/dev/null
url=$(bin/gridsentry cluster createdb --db "$db")
if ! bin/gridsentry demo --scale "$scale" --database "$db" --log-format text 2>/dev/null; then
	echo "bench-addresses: $db already holds the $scale-scale demo city (or it could not be loaded: see gridsentry bench -scale $scale -rebuild)"
fi
export GRIDSENTRY_BENCH_DATABASE_URL=$url GRIDSENTRY_BENCH_SCALE=$scale

echo "== index build and in-process validation ($scale)"
$GO test -run '^$' -bench 'LoadAddressIndex' -benchtime 1x ./postgres/ | grep -E '^Benchmark'
$GO test -run '^$' -bench 'MatchCity' -benchtime 3s ./postgres/ | grep -E '^Benchmark'

echo "== HTTP: POST /v1/addresses/validate at 1000 requests/s for 30 s"
bin/gridsentry serve -database-url "$url" -addr "127.0.0.1:$port" -log-level warn >/tmp/gridsentry-bench-serve.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
targets=$(mktemp)
bin/gridsentry demo-cases -scale "$scale" -n 20000 -format vegeta -url "http://127.0.0.1:$port" >"$targets"
for _ in $(seq 1 600); do
	if $GO tool vegeta attack -duration 1s -rate 1/s -targets <(echo "GET http://127.0.0.1:$port/readyz") 2>/dev/null |
		$GO tool vegeta report -type json | grep -q '"200":1'; then
		break
	fi
	sleep 1
done
$GO tool vegeta attack -format json -targets "$targets" -rate 1000/s -duration 30s -workers 50 |
	$GO tool vegeta report -type text
rm -f "$targets"
kill $server 2>/dev/null || true

echo "== batch: 2M lines through POST /v1/addresses/validate:batch"
$GO test -run '^$' -bench 'ValidateBatch' -benchtime 1x -timeout 30m ./api/ | grep -E '^Benchmark|^ok'
printf 'machine: %s, %s cores, %s RAM; commit %s\n' \
	"$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)" "$(nproc)" \
	"$(free -g | awk '/^Mem:/ {print $2 " GiB"}')" "$(git describe --always --dirty 2>/dev/null || echo unknown)"
