#!/usr/bin/env bash
# Builds Lifeboat if needed and starts it against a durable local Temporal dev server (SQLite under
# $LIFEBOAT_DATA, the Temporal UI on $LIFEBOAT_TEMPORAL_UI_PORT, both on loopback). The dev server
# runs in the background as its own process and is reused by the next start; Lifeboat runs in the
# foreground (this script's process becomes Lifeboat's). With LIFEBOAT_TEMPORAL_ADDRESS set, no local
# server is started. Extra arguments go to `java -jar lifeboat.jar`. scripts/stop.sh stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/temporal-dev.sh
scripts/ensure-tools.sh build
jar=api/target/lifeboat.jar
if [ ! -f "$jar" ] || [ -n "$(find pom.xml workflows activities worker api -newer "$jar" -type f -not -path '*/target/*' -print -quit)" ]; then
  echo "Building Lifeboat (first start takes a few minutes)..." >&2
  mvn -B -q -DskipTests package
fi
if [ $# -eq 0 ]; then
  set -- server
fi

data="${LIFEBOAT_DATA:-data}"
mkdir -p "$data/run"
data="$(cd "$data" && pwd)"
export LIFEBOAT_DATA="$data"
export LIFEBOAT_REPOSITORY="${LIFEBOAT_REPOSITORY:-$data/repository}"
# One server (or worker) per data folder: a second start failed to bind its port, but only after it
# had put its own pid in lifeboat.pid, so scripts/stop.sh no longer found the running one.
pidfile_lifeboat="$data/run/lifeboat.pid"
if { [ "$1" = server ] || [ "$1" = worker ]; } && [ -f "$pidfile_lifeboat" ]; then
  running="$(cat "$pidfile_lifeboat")"
  if kill -0 "$running" 2>/dev/null && tr '\0' ' ' <"/proc/$running/cmdline" 2>/dev/null | grep -q 'lifeboat'; then
    echo "Lifeboat is already running (pid $running) with LIFEBOAT_DATA=$data; scripts/stop.sh stops it" >&2
    exit 1
  fi
fi

if [ -z "${LIFEBOAT_TEMPORAL_ADDRESS:-}" ]; then
  port="${LIFEBOAT_TEMPORAL_PORT:-7233}"
  uiport="${LIFEBOAT_TEMPORAL_UI_PORT:-8233}"
  address="127.0.0.1:$port"
  pidfile="$data/run/temporal.pid"
  if cli="$(scripts/ensure-temporal.sh)"; then
    if temporal_alive "$pidfile"; then
      echo "Reusing the Temporal dev server $(cat "$pidfile") on $address" >&2
    else
      echo "Starting a Temporal dev server on $address (database $data/temporal.db, UI http://127.0.0.1:$uiport," \
        "log $data/temporal.log)" >&2
      temporal_start "$cli" "$data/temporal.db" 127.0.0.1 "$port" "$uiport" "$data/temporal.log" "$pidfile"
    fi
    if ! temporal_wait "$cli" "$address" 90; then
      echo "The Temporal dev server on $address did not answer within 90 s; its log:" >&2
      tail -n 30 "$data/temporal.log" >&2 || true
      exit 1
    fi
    export LIFEBOAT_TEMPORAL_ADDRESS="$address"
    export LIFEBOAT_TEMPORAL_MODE=dev-server
    export LIFEBOAT_TEMPORAL_UI_URL="${LIFEBOAT_TEMPORAL_UI_URL:-http://127.0.0.1:$uiport}"
  else
    echo "WARNING: no Temporal CLI could be had; Lifeboat falls back to its in-memory Temporal test server:" \
      "RUNS ARE LOST WHEN LIFEBOAT STOPS." >&2
  fi
fi

if [ "$1" = server ] || [ "$1" = worker ]; then
  echo $$ >"$pidfile_lifeboat"
fi
# The JVM reads file names in the locale's encoding: under C/POSIX (a bare container, a service)
# every name that is not ASCII would be unreadable to it.
case "$(locale charmap 2>/dev/null)" in
  UTF-8) ;;
  *) export LC_ALL=C.UTF-8 ;;
esac
# JVM flags in one place (scripts/jvm-opts.sh, where the reasons are); JAVA_OPTS overrides them.
opts="$(scripts/jvm-opts.sh)"
# Class data sharing (the JDK's dynamic CDS): the server's or worker's first start records the classes it
# loaded into an archive when it stops; later starts map that archive instead of loading, verifying and
# linking them again (the server answered ~1.5 s sooner here, and the first backup of a fresh JVM took
# ~0.5 s less). One archive per jar, named by its digest; one the JVM cannot map (a start killed while it
# was written) is recorded again. LIFEBOAT_CDS=off leaves it out.
cds=""
if [ "${LIFEBOAT_CDS:-on}" != off ] && { [ "$1" = server ] || [ "$1" = worker ]; }; then
  jsa="$data/run/lifeboat-$(sha256sum "$jar" | cut -c1-16).jsa"
  for old in "$data"/run/lifeboat-*.jsa; do
    if [ "$old" != "$jsa" ]; then rm -f "$old"; fi
  done
  quiet="-Xlog:cds=off -Xlog:cds+dynamic=off"
  # shellcheck disable=SC2086
  if [ -f "$jsa" ] && java $opts -XX:SharedArchiveFile="$jsa" -Xshare:on $quiet -cp "$jar" -version >/dev/null 2>&1; then
    cds="-XX:SharedArchiveFile=$jsa $quiet"
  else
    rm -f "$jsa"
    cds="-XX:ArchiveClassesAtExit=$jsa $quiet"
  fi
fi
# The JIT policy (scripts/jit-flags.sh, where the reasons are): C1 only where libcrypto is installed,
# else C2 only for the loops that touch every byte; LIFEBOAT_JIT=c1, directives or off chooses.
jit="$(scripts/jit-flags.sh)"
# shellcheck disable=SC2086
exec java $opts $jit $cds -jar "$jar" "$@"
