#!/usr/bin/env bash
# Shared by start.sh, stop.sh and test.sh: start, check and stop a local Temporal dev server
# (SQLite file, UI) that runs in the background as its own process, tracked by a pid file.

# Is the process in pid file $1 alive and a Temporal server (not a reused pid)?
temporal_alive() {
  local pid
  [ -f "$1" ] || return 1
  pid="$(cat "$1" 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'start-dev'
}

# Waits until the server at $2 answers, using CLI $1; $3 seconds at most. Returns 1 on timeout.
temporal_wait() {
  local cli="$1" address="$2" deadline=$((SECONDS + ${3:-60}))
  until "$cli" operator cluster health --address "$address" --command-timeout 3s >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      return 1
    fi
    sleep 0.5
  done
}

# temporal_start CLI DB IP PORT UI_PORT LOG PIDFILE: starts the dev server in its own session so it
# outlives the shell and the Lifeboat that started it; loopback only.
temporal_start() {
  local cli="$1" db="$2" ip="$3" port="$4" uiport="$5" log="$6" pidfile="$7"
  mkdir -p "$(dirname "$db")" "$(dirname "$log")" "$(dirname "$pidfile")"
  setsid nohup "$cli" server start-dev --db-filename "$db" --ip "$ip" --port "$port" --ui-port "$uiport" \
    --log-level warn </dev/null >>"$log" 2>&1 &
  echo $! >"$pidfile"
}

# Stops the process in pid file $1 (TERM, then KILL after $2 seconds) and removes the pid file.
stop_pidfile() {
  local pidfile="$1" grace="${2:-30}" pid deadline
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + grace))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
      sleep 0.2
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}
