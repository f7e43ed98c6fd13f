#!/usr/bin/env bash
# soak.sh is the load part of the reliability suite (make soak): it creates
# the database gridsentry_soak afresh in the private cluster, serves the
# demo city from it with `gridsentry dev` on a free port, waits until the
# server is ready, the city linked and the flags evaluated (so that no
# start-up work runs during the soak), issues an admin token, and runs
# `gridsentry soak` against the server: SOAK_RATE requests/s (default 500)
# of address validations, vector tiles and entity queries for SOAK_DURATION
# (default 10m). It fails when a request fails or is dropped, or the server's
# heap grows; the figures go to stdout and, as JSON, to SOAK_REPORT (default
# var/soak.json). The server is stopped whatever the outcome. It builds
# nothing: make soak builds bin/gridsentry first. The server reads its
# settings from the environment as usual (GRIDSENTRY_DB_MAX_CONNS=16, say).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'soak: %s\n' "$*" >&2; }

rate=${SOAK_RATE:-500}
duration=${SOAK_DURATION:-10m}
report=${SOAK_REPORT:-var/soak.json}
db=gridsentry_soak

bin/gridsentry cluster createdb --db "$db" --fresh >/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
log=$(mktemp)
hdr=$(mktemp) # the token's header for curl, in a file rather than in ps
# One token drives the load of a whole city's users here: no per-token
# rate limit on this server (unless the caller sets one).
GRIDSENTRY_RATE_LIMIT=${GRIDSENTRY_RATE_LIMIT:-0} \
	bin/gridsentry dev --database "$db" --addr "127.0.0.1:$port" --log-format text >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log" "$hdr"' EXIT

# Ready: the address index loaded (/readyz), then the demo entities linked
# (they show in /v1/entities as matched) and the flag evaluator's first full
# run done (open flags listed): both are heavy and happen once, at start.
deadline=$((SECONDS + 300))
until curl -sf "$url/readyz" >/dev/null 2>&1; do
	if ! kill -0 "$server" 2>/dev/null; then say "the server stopped:"; cat "$log" >&2; exit 1; fi
	if ((SECONDS > deadline)); then say "the server was not ready in 300 s:"; tail -n 50 "$log" >&2; exit 1; fi
	sleep 1
done
token=$(bin/gridsentry token create --database "$db" -role admin -ttl 2h -note soak 2>/dev/null)
printf 'Authorization: Bearer %s\n' "$token" >"$hdr"
until curl -sf -H @"$hdr" "$url/v1/entities?link_status=matched&limit=1" | grep -q '"uscc"'; do
	if ((SECONDS > deadline)); then say "the demo city was not linked in 300 s:"; tail -n 50 "$log" >&2; exit 1; fi
	sleep 2
done
until curl -sf -H @"$hdr" "$url/v1/flags?status=open&limit=1" | grep -q '"id"'; do
	if ((SECONDS > deadline)); then say "no open flags in 300 s:"; tail -n 50 "$log" >&2; exit 1; fi
	sleep 2
done
say "server ready at $url; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the soak"
mkdir -p "$(dirname "$report")"
status=0
GRIDSENTRY_TOKEN=$token bin/gridsentry soak -url "$url" -rate "$rate" -duration "$duration" -report "$report" || status=$?
say "load average $(cut -d' ' -f1-3 /proc/loadavg) after the soak; figures in $report"
if ((status != 0)); then
	say "the server's log, less its request lines, ends:"
	grep -v 'msg=request' "$log" | tail -n 30 >&2 || true
fi
exit "$status"
