#!/usr/bin/env bash
# bench-entities.sh SCALE: the market-entity figures behind the link row of
# gridsentry bench, on the database it built and linked
# (gridsentry_bench_SCALE; make bench, or make bench-quick for demo):
#   1. link accuracy against the generator's ground truth, by kind of noise;
#   2. tasks pushed by department (the scope rules at work).
# The link and bulk import times are rows of gridsentry bench.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scale=${1:?usage: bench-entities.sh demo|city}
db="gridsentry_bench_$scale"
url=$(bin/gridsentry cluster url)
dburl=${url/\/postgres\?/\/$db?}
psql=$(ls /usr/lib/postgresql/*/bin/psql | sort -V | tail -n 1)

echo "== link accuracy against the ground truth"
GRIDSENTRY_BENCH_DATABASE_URL=$dburl GRIDSENTRY_BENCH_SCALE=$scale \
	go test -count=1 -v -run '^TestLinkAccuracy$' ./postgres/ | sed -n 's/^ *link_accuracy_test.go:[0-9]*: //p'

echo "== tasks pushed by the scope rules, by department"
"$psql" -X -q -d "$dburl" -c "
	SELECT coalesce(d.name, t.kind) AS department, count(*) AS tasks,
	       count(*) FILTER (WHERE t.status = 'done') AS done,
	       count(*) FILTER (WHERE t.status IN ('pushed', 'received', 'feedback') AND t.due_at < now()) AS overdue
	FROM tasks t LEFT JOIN departments d ON d.code = t.department_code AND t.kind = 'permit'
	GROUP BY 1 ORDER BY 2 DESC"

printf 'machine: %s, %s cores, %s RAM; commit %s\n' \
	"$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)" "$(nproc)" \
	"$(free -g | awk '/^Mem:/ {print $2 " GiB"}')" "$(git describe --always --dirty 2>/dev/null || echo unknown)"
