#!/usr/bin/env bash
# Runs the conformance suite (test/conformance) against real Conductor OSS and against Baton and
# prints a per-scenario table. `npm run conformance:both` builds first, then runs this.
#
#   CONFORMANCE_OUT   directory for the two jest JSON reports (default: $TMPDIR or /tmp)
#   CONDUCTOR_OSS_*   see run.sh (port, version, java, …)
#
# Starts Conductor with a fresh database unless one is already running (that one is used and left
# running); stops the one it started, whatever happens. Exit code: the comparison's (1 when a
# scenario failed on either server).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${CONFORMANCE_OUT:-${TMPDIR:-/tmp}}"
BATON_JSON="$OUT/baton-conformance.json"
CONDUCTOR_JSON="$OUT/conductor-conformance.json"
RUN="$HERE/run.sh"
JEST="$ROOT/node_modules/.bin/jest"

cd "$ROOT" || exit 1
mkdir -p "$OUT"
[[ -x "$JEST" ]] || { echo "conformance-both: $JEST missing; run npm ci" >&2; exit 1; }
[[ -f dist/engine/main.js ]] || { echo "conformance-both: dist/engine/main.js missing; run npm run build" >&2; exit 1; }

started=0
if url="$("$RUN" status 2>/dev/null)"; then
  echo "conformance-both: using the Conductor OSS already running at $url" >&2
else
  url="$("$RUN" start --fresh)" || exit 1
  started=1
fi
stop() { if ((started)); then "$RUN" stop; fi; }
trap stop EXIT
trap 'exit 130' INT TERM

suite() { # label url-or-empty json
  local t0=$SECONDS rc
  echo "conformance-both: suite against $1…" >&2
  rm -f "$3"
  CONDUCTOR_SERVER_URL="$2" "$JEST" test/conformance --forceExit --json --outputFile="$3" >"$3.log" 2>&1
  rc=$?
  echo "conformance-both: $1 done in $((SECONDS - t0)) s (jest exit $rc; output in $3.log)" >&2
}

suite conductor "$url" "$CONDUCTOR_JSON"
suite baton "" "$BATON_JSON"

node dist/scripts/conformance-compare.js "$BATON_JSON" "$CONDUCTOR_JSON"
