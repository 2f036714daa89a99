#!/usr/bin/env bash
# Stops what scripts/start.sh started (same LIFEBOAT_DATA): Lifeboat, then the local Temporal dev
# server. Runs and their history stay in $LIFEBOAT_DATA/temporal.db for the next start.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/temporal-dev.sh
data="${LIFEBOAT_DATA:-data}"
run="$data/run"
if [ -f "$run/lifeboat.pid" ]; then
  pid="$(cat "$run/lifeboat.pid")"
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'lifeboat'; then
    echo "Stopping Lifeboat ($pid)" >&2
    stop_pidfile "$run/lifeboat.pid" 30
  else
    rm -f "$run/lifeboat.pid"
  fi
fi
if temporal_alive "$run/temporal.pid"; then
  echo "Stopping the Temporal dev server ($(cat "$run/temporal.pid"))" >&2
  stop_pidfile "$run/temporal.pid" 30
else
  rm -f "$run/temporal.pid"
fi
