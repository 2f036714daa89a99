#!/usr/bin/env bash
# Runs every test: installs the Debian packages and the Temporal CLI the tests use, starts a Temporal
# dev server on free loopback ports with a throw-away SQLite file for the durability tests, runs the
# Maven build, and stops the server again.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/temporal-dev.sh
scripts/ensure-tools.sh test

# A port nothing listens on, from the ephemeral range.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
}

if [ -z "${LIFEBOAT_TEST_TEMPORAL_ADDRESS:-}" ]; then
  cli="$(scripts/ensure-temporal.sh)"
  tmp="$(mktemp -d -t lifeboat-test-temporal.XXXXXX)"
  port="$(free_port)"
  uiport="$(free_port)"
  trap 'stop_pidfile "$tmp/temporal.pid" 10; rm -rf "$tmp"' EXIT
  temporal_start "$cli" "$tmp/temporal.db" 127.0.0.1 "$port" "$uiport" "$tmp/temporal.log" "$tmp/temporal.pid"
  if ! temporal_wait "$cli" "127.0.0.1:$port" 120; then
    echo "The test Temporal dev server did not answer; its log:" >&2
    tail -n 30 "$tmp/temporal.log" >&2 || true
    exit 1
  fi
  export LIFEBOAT_TEST_TEMPORAL_ADDRESS="127.0.0.1:$port"
  export LIFEBOAT_TEST_TEMPORAL_UI_URL="http://127.0.0.1:$uiport"
  export LIFEBOAT_TEST_TEMPORAL_CLI="$cli"
fi
mvn -B verify "$@"
