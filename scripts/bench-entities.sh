#!/usr/bin/env bash
# bench-entities.sh SCALE: the market-entity benchmarks on the city loaded by
# bench-load.sh SCALE (database gridsentry_bench_SCALE):
#   1. link every entity (gridsentry link -all) and its throughput;
#   2. link accuracy against the generator's ground truth, by kind of noise;
#   3. tasks pushed by department (the scope rules at work);
#   4. bulk import throughput: the entities written out as NDJSON and
#      imported into a copy of the database emptied of entities.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scale=${1:?usage: bench-entities.sh demo|city}
db="gridsentry_bench_$scale"
copy="${db}_import"
url=$(bin/gridsentry cluster url)
dburl=${url/\/postgres\?/\/$db?}
copyurl=${url/\/postgres\?/\/$copy?}
psql=$(ls /usr/lib/postgresql/*/bin/psql | sort -V | tail -n 1)
work=var/bench
mkdir -p "$work"

echo "== link every entity ($scale scale)"
bin/gridsentry link -all --database "$db" --log-format text 2>&1 | tr '\r' '\n' | grep -v '^linking\|^ *$' || true

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

echo "== bulk import: write the entities as NDJSON, import them into an emptied copy"
"$psql" -X -q -d "$dburl" -c "\\copy (SELECT json_build_object('uscc', uscc, 'name', name, 'kind', kind, 'status', status,
	'registered_at', registered_at, 'address_text', address_text, 'scope', scope, 'industry', industry,
	'legal_rep', legal_rep, 'phone', phone, 'id_number', id_number, 'report_year', report_year,
	'changed_at', to_char(changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')) FROM entities) TO '$work/entities-$scale.ndjson'"
ls -l "$work/entities-$scale.ndjson" | awk '{printf "%s: %d MB\n", $9, $5 / 1048576}'
"$psql" -X -q -d "$url" -c "DROP DATABASE IF EXISTS $copy" -c "CREATE DATABASE $copy TEMPLATE $db STRATEGY FILE_COPY"
"$psql" -X -q -d "$copyurl" -c "TRUNCATE entities CASCADE"
bin/gridsentry import entities "$work/entities-$scale.ndjson" --no-push --database "$copy" --log-format text 2>&1 |
	tr '\r' '\n' | grep -v '^importing\|^ *$' || true
"$psql" -X -q -d "$url" -c "DROP DATABASE $copy"
printf 'machine: %s, %s cores, %s RAM; commit %s\n' \
	"$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)" "$(nproc)" \
	"$(free -g | awk '/^Mem:/ {print $2 " GiB"}')" "$(git describe --always --dirty 2>/dev/null || echo unknown)"
