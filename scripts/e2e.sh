#!/usr/bin/env bash
# e2e.sh runs the console's end-to-end tests (web/e2e/run.mjs, headless
# Debian Chromium through playwright-core) against the real server on a
# fresh demo city: it creates the database gridsentry_e2e in the private
# cluster, serves it with `gridsentry dev` on a free port, waits until the
# server is ready and the city is linked (coverage tiles have features), runs
# the tests, and stops the server whatever their outcome. Screenshots go to
# web/e2e/screenshots/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'e2e: %s\n' "$*" >&2; }

bin/gridsentry cluster createdb --db gridsentry_e2e --fresh >/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
log=$(mktemp)
bin/gridsentry dev --database gridsentry_e2e --addr "127.0.0.1:$port" --log-format text >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT

# Ready: the address index loaded (/readyz), then the demo entities linked
# (they show in /v1/entities as matched) and their flags evaluated.
deadline=$((SECONDS + 300))
until curl -sf "$url/readyz" >/dev/null 2>&1; do
	if ! kill -0 "$server" 2>/dev/null; then say "the server stopped:"; cat "$log" >&2; exit 1; fi
	if ((SECONDS > deadline)); then say "the server was not ready in 300 s:"; tail -n 50 "$log" >&2; exit 1; fi
	sleep 1
done
until curl -sf "$url/v1/entities?link_status=matched&limit=1" | grep -q '"uscc"'; do
	if ((SECONDS > deadline)); then say "the demo city was not linked in 300 s:"; tail -n 50 "$log" >&2; exit 1; fi
	sleep 2
done
# The flag evaluator's first full run follows the linking.
until curl -sf "$url/v1/flags?status=open&limit=1" | grep -q '"id"'; do
	if ((SECONDS > deadline)); then say "no open flags in 300 s:"; tail -n 50 "$log" >&2; exit 1; fi
	sleep 2
done
say "server ready at $url"
GRIDSENTRY_E2E_URL=$url node web/e2e/run.mjs
