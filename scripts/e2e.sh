#!/usr/bin/env bash
# e2e.sh runs the console's end-to-end tests (web/e2e/run.mjs, headless
# Debian Chromium through playwright-core) against the real server on a
# fresh demo city: it creates the database gridsentry_e2e (or
# $GRIDSENTRY_E2E_DATABASE) in the private cluster, serves it with
# `gridsentry dev` on a free port, takes the local admin token the server
# prints, waits until the server is ready and the city is linked (coverage
# tiles have features), makes a clerk's and a town grid manager's tokens,
# runs the tests, and stops the server whatever their outcome. Screenshots
# go to web/e2e/screenshots/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'e2e: %s\n' "$*" >&2; }

db=${GRIDSENTRY_E2E_DATABASE:-gridsentry_e2e}
bin/gridsentry cluster createdb --db "$db" --fresh >/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
# What the server prints for people (its URL, the admin token) goes to
# stdout, its log to stderr: keep them apart to find the token.
out=$(mktemp)
log=$(mktemp)
hdr=$(mktemp) # the token's header for curl, in a file rather than in ps
bin/gridsentry dev --database "$db" --addr "127.0.0.1:$port" --log-format text >"$out" 2>"$log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$out" "$log" "$hdr"' EXIT

stopped() { say "$1"; cat "$out" >&2; tail -n 50 "$log" >&2; exit 1; }

# Ready: the address index loaded (/readyz), then the demo entities linked
# (they show in /v1/entities as matched) and their flags evaluated. Loading
# the city takes most of it: minutes on a busy machine.
limit=${GRIDSENTRY_E2E_WAIT:-600}
deadline=$((SECONDS + limit))
until curl -sf "$url/readyz" >/dev/null 2>&1; do
	if ! kill -0 "$server" 2>/dev/null; then stopped "the server stopped:"; fi
	if ((SECONDS > deadline)); then stopped "the server was not ready in $limit s:"; fi
	sleep 1
done
# The line `local admin token (24 h): gs_...` follows "gridsentry is serving at".
token=
until [[ -n $token ]]; do
	token=$(sed -n 's/^local admin token (24 h): \(gs_[A-Za-z0-9_-]*\)$/\1/p' "$out" | head -n 1)
	if [[ -n $token ]]; then break; fi
	if ! kill -0 "$server" 2>/dev/null; then stopped "the server stopped:"; fi
	if ((SECONDS > deadline)); then stopped "the server printed no admin token in $limit s:"; fi
	sleep 1
done
printf 'Authorization: Bearer %s\n' "$token" >"$hdr"
until curl -sf -H @"$hdr" "$url/v1/entities?link_status=matched&limit=1" | grep -q '"uscc"'; do
	if ((SECONDS > deadline)); then stopped "the demo city was not linked in $limit s:"; fi
	sleep 2
done
# The flag evaluator's first full run follows the linking.
until curl -sf -H @"$hdr" "$url/v1/flags?status=open&limit=1" | grep -q '"id"'; do
	if ((SECONDS > deadline)); then stopped "no open flags in $limit s:"; fi
	sleep 2
done

# A clerk (no flags, no unmasking) and the grid manager of the town of an
# open flag, to check what the console shows each role.
# (The first open flag with a town: a flag of no town, such as one about an
# entity not linked yet, names none.)
town=$(curl -sf -H @"$hdr" "$url/v1/flags?status=open&limit=100" |
	python3 -c 'import json, sys; print(next(f["town_code"] for f in json.load(sys.stdin)["items"] if f.get("town_code")))')
maketoken() { bin/gridsentry token create --database "$db" -ttl 1h -note e2e "$@" 2>>"$log"; }
clerk=$(maketoken -role clerk) || stopped "token create -role clerk failed:"
manager=$(maketoken -role grid_manager -town "$town") || stopped "token create -role grid_manager failed:"

say "server ready at $url"
GRIDSENTRY_E2E_URL=$url GRIDSENTRY_E2E_TOKEN=$token GRIDSENTRY_E2E_CLERK_TOKEN=$clerk \
	GRIDSENTRY_E2E_TOWN_TOKEN=$manager GRIDSENTRY_E2E_TOWN=$town node web/e2e/run.mjs
