#!/usr/bin/env bash
# Builds Lifeboat if needed and starts it on the embedded default: API, web page, worker and an
# in-process Temporal test server (state in memory). Extra arguments go to `java -jar lifeboat.jar`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh build
jar=api/target/lifeboat.jar
if [ ! -f "$jar" ] || [ -n "$(find pom.xml workflows activities worker api -newer "$jar" -type f -not -path '*/target/*' -print -quit)" ]; then
  echo "Building Lifeboat (first start takes a few minutes)..." >&2
  mvn -B -q -DskipTests package
fi
if [ $# -eq 0 ]; then
  set -- server
fi
# JVM flags in one place: a bounded heap keeps the server's resident size under ~400 MB whatever it archives
# (the archive engine itself holds at most 4 x cores MiB of data in flight); override with JAVA_OPTS.
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:--Xmx256m -XX:MaxDirectMemorySize=64m -XX:+UseSerialGC} -jar "$jar" "$@"
