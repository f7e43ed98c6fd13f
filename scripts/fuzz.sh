#!/usr/bin/env bash
# fuzz.sh [DURATION]: runs every Go fuzz target of the module (every
# `func FuzzX(f *testing.F)` in a *_test.go file) for DURATION each (default
# 30s, any -fuzztime value: 10m, 50000x), one after another, and stops at the
# first failure, naming the target. A failing input is written to the
# package's testdata/fuzz/FuzzX/: fix the parser, keep the file as the
# regression seed (give it a name that says what broke). The seed corpora
# run as ordinary tests in `make test`; this is the long run (`make soak`).
#
# FUZZ_PARALLEL=N sets the number of fuzzing processes (default: one per
# core).
#
# Go 1.26's fuzzing coordinator can end a run that found nothing with a bare
# "context deadline exceeded" when a busy machine delays a worker at the end
# of -fuzztime (https://go.dev/issue/75804, fixed in Go 1.27). Such a run is
# counted as passed only when it wrote no failing input and the target's seed
# corpus then passes; anything else fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
duration=${1:-30s}
parallel=()
if [[ -n ${FUZZ_PARALLEL:-} ]]; then
	parallel=(-parallel "$FUZZ_PARALLEL")
fi

# "package-dir target" lines, in a stable order.
targets=$(grep -rHo --include='*_test.go' --exclude-dir=node_modules --exclude-dir=.git \
	'^func Fuzz[A-Za-z0-9_]*(f \*testing\.F)' . |
	while IFS=: read -r file decl; do
		name=${decl#func }
		echo "$(dirname "$file") ${name%%(*}"
	done | sort -u)
if [[ -z $targets ]]; then
	echo "fuzz.sh: no fuzz targets found" >&2
	exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
summary=()
while read -r dir name; do
	corpus="$dir/testdata/fuzz/$name"
	before=$(ls "$corpus" 2>/dev/null | sort || true)
	echo "== $name $dir ($duration)"
	status=0
	go test -run '^$' -fuzz "^$name\$" -fuzztime "$duration" "${parallel[@]}" "$dir" >"$log" 2>&1 || status=$?
	execs=$(grep -o 'execs: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2 || true)
	if ((status != 0)); then
		after=$(ls "$corpus" 2>/dev/null | sort || true)
		if [[ $before == "$after" ]] && grep -q 'context deadline exceeded' "$log" &&
			! grep -q -e 'Failing input written' -e '^panic:' -e '_test\.go:[0-9]*:' "$log" &&
			go test -count=1 -run "^$name\$" "$dir" >/dev/null 2>&1; then
			echo "   ended by the coordinator's deadline (go.dev/issue/75804); nothing found, seed corpus passes"
		else
			cat "$log"
			echo "fuzz.sh: FAIL $name ($dir)" >&2
			exit 1
		fi
	fi
	tail -n 1 "$log"
	summary+=("$(printf '%-24s %-14s %12s execs' "$name" "$dir" "${execs:-?}")")
done <<<"$targets"

echo "== every target passed ($duration each)"
printf '%s\n' "${summary[@]}"
