#!/usr/bin/env bash
# Runs a real Conductor OSS server locally, without Docker, as the oracle for Baton's
# conformance suite (test/conformance). SQLite persistence, loopback only.
#
#   tools/conductor-oss/run.sh start [--fresh]   fetch the jar on first use, start, wait until
#                                               healthy, print the base URL (…/api) on stdout
#   tools/conductor-oss/run.sh stop              stop the server started by `start`
#   tools/conductor-oss/run.sh status            exit 0 and print the URL when it answers
#   tools/conductor-oss/run.sh java              print the JDK 21+ it would use (exit 1: none)
#   tools/conductor-oss/run.sh fetch             only fetch the jar into lib/ (exit 1: failed)
#
# Environment (all optional):
#   CONDUCTOR_OSS_PORT            port on 127.0.0.1 (default 8127)
#   CONDUCTOR_OSS_VERSION         org.conductoross:conductor-server version (default: the pom's)
#   CONDUCTOR_OSS_DATA            data directory: SQLite file, log, pid file
#                                 (default tools/conductor-oss/data)
#   CONDUCTOR_OSS_JAVA            java executable (default: the first JDK >= 21 found in
#                                 JAVA_HOME, PATH or /usr/lib/jvm)
#   CONDUCTOR_OSS_HEAP            maximum heap (default 1g)
#   CONDUCTOR_OSS_JAVA_OPTS       extra JVM options
#   CONDUCTOR_OSS_START_TIMEOUT   seconds to wait for health (default 180)
#
# Messages go to stderr; only the URL goes to stdout, so URL=$(run.sh start) works.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PORT="${CONDUCTOR_OSS_PORT:-8127}"
DATA="${CONDUCTOR_OSS_DATA:-$HERE/data}"
HEAP="${CONDUCTOR_OSS_HEAP:-1g}"
START_TIMEOUT="${CONDUCTOR_OSS_START_TIMEOUT:-180}"
DEFAULT_VERSION="$(sed -n 's:.*<conductor.version>\(.*\)</conductor.version>.*:\1:p' "$HERE/pom.xml" | head -n1)"
VERSION="${CONDUCTOR_OSS_VERSION:-$DEFAULT_VERSION}"
JAR="$HERE/lib/conductor-server-$VERSION-boot.jar"
PIDFILE="$DATA/conductor.pid"
LOG="$DATA/server.log"
ROOT_URL="http://127.0.0.1:$PORT"
API_URL="$ROOT_URL/api"
MIN_JAVA=21

say() { echo "conductor-oss: $*" >&2; }
die() { say "$*"; exit 1; }

# --- helpers -----------------------------------------------------------------------------------

java_major() { # prints the major version of the java executable $1 (8 for 1.8)
  local v
  v="$("$1" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n1)" || return 1
  [[ -n "$v" ]] || return 1
  case "$v" in 1.*) v="${v#1.}" ;; esac
  echo "${v%%[.+-]*}"
}

find_java() {
  if [[ -n "${CONDUCTOR_OSS_JAVA:-}" ]]; then
    local m; m="$(java_major "$CONDUCTOR_OSS_JAVA")" || die "CONDUCTOR_OSS_JAVA=$CONDUCTOR_OSS_JAVA does not run"
    (( m >= MIN_JAVA )) || die "CONDUCTOR_OSS_JAVA is Java $m; Conductor $VERSION needs Java $MIN_JAVA or newer"
    echo "$CONDUCTOR_OSS_JAVA"; return
  fi
  local c m
  for c in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java || true)" /usr/lib/jvm/*/bin/java; do
    [[ -n "$c" && -x "$c" ]] || continue
    m="$(java_major "$c")" || continue
    if (( m >= MIN_JAVA )); then echo "$c"; return; fi
  done
  die "no Java $MIN_JAVA+ found (JAVA_HOME, PATH, /usr/lib/jvm); Conductor $VERSION is compiled for Java 21. Set CONDUCTOR_OSS_JAVA."
}

running_pid() { # prints the pid when the pid file names a live process
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && { echo "$pid"; return 0; }
  return 1
}

healthy() { curl -fsS --max-time 2 "$ROOT_URL/health" 2>/dev/null | grep -q '"healthy":true'; }

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

fetch_jar() {
  [[ -s "$JAR" ]] && return 0
  command -v mvn >/dev/null || die "mvn not found: it fetches org.conductoross:conductor-server:$VERSION:boot"
  say "fetching org.conductoross:conductor-server:$VERSION (classifier boot) with Maven…"
  local t0=$SECONDS
  local out; out="$(mktemp)"
  if ! mvn -q -B -Dstyle.color=never -f "$HERE/pom.xml" package -Dconductor.version="$VERSION" >"$out" 2>&1; then
    cat "$out" >&2; rm -f "$out"
    die "mvn could not fetch conductor-server $VERSION"
  fi
  rm -f "$out"
  [[ -s "$JAR" ]] || die "mvn finished but $JAR is missing"
  say "fetched $(du -h "$JAR" | cut -f1) in $((SECONDS - t0)) s"
}

# --- subcommands -------------------------------------------------------------------------------

cmd_start() {
  local fresh=0
  for a in "$@"; do
    case "$a" in --fresh) fresh=1 ;; *) die "unknown option for start: $a" ;; esac
  done
  if pid="$(running_pid)"; then
    if healthy; then say "already running (pid $pid)"; echo "$API_URL"; return 0; fi
    die "pid $pid from $PIDFILE is alive but $ROOT_URL/health does not answer; run '$0 stop' first"
  fi
  port_taken && die "127.0.0.1:$PORT is already in use by another process (set CONDUCTOR_OSS_PORT)"

  local java; java="$(find_java)"
  fetch_jar
  mkdir -p "$DATA"
  if (( fresh )); then rm -f "$DATA"/conductor.db "$DATA"/conductor.db-wal "$DATA"/conductor.db-shm; fi

  say "starting Conductor OSS $VERSION with $java (Java $(java_major "$java")) on $ROOT_URL, data in $DATA"
  local t0; t0="$(date +%s%N)"
  # cwd = data dir, so anything the server writes relative to its working directory stays there
  (
    cd "$DATA"
    # shellcheck disable=SC2086
    CONDUCTOR_CONFIG_FILE="$HERE/conductor.properties" exec nohup "$java" \
      -Xms128m -Xmx"$HEAP" -XX:+UseSerialGC -Djava.awt.headless=true \
      --enable-native-access=ALL-UNNAMED \
      ${CONDUCTOR_OSS_JAVA_OPTS:-} \
      -jar "$JAR" \
      --server.address=127.0.0.1 \
      --server.port="$PORT" \
      "--spring.datasource.url=jdbc:sqlite:$DATA/conductor.db?busy_timeout=15000&journal_mode=WAL" \
      >"$LOG" 2>&1 </dev/null
  ) &
  local pid=$!
  echo "$pid" >"$PIDFILE"

  local deadline=$((SECONDS + START_TIMEOUT))
  until healthy; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PIDFILE"
      say "the server exited during start-up; last lines of $LOG:"
      tail -n 30 "$LOG" >&2 || true
      exit 1
    fi
    if (( SECONDS >= deadline )); then
      say "not healthy within ${START_TIMEOUT} s; stopping it. Last lines of $LOG:"
      tail -n 30 "$LOG" >&2 || true
      cmd_stop
      exit 1
    fi
    sleep 0.5
  done
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  say "healthy after $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s (pid $pid, log $LOG)"
  echo "$API_URL"
}

cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PIDFILE"
    say "not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 120; i++)); do # Spring's graceful shutdown: up to 60 s, then SIGKILL
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid ignored SIGTERM for 60 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  fi
  rm -f "$PIDFILE"
  say "stopped (pid $pid)"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    if healthy; then say "running, healthy (pid $pid, version $VERSION)"; echo "$API_URL"; return 0; fi
    say "running (pid $pid) but $ROOT_URL/health does not answer healthy"
    return 1
  fi
  say "not running"
  return 3
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  java) find_java ;;
  fetch) fetch_jar ;;
  *) echo "usage: $0 start [--fresh] | stop | status | java | fetch" >&2; exit 2 ;;
esac
