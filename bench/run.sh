#!/usr/bin/env bash
# Builds the benchmark harness (profile "bench", nothing installed) and runs it; options go to the harness:
#   bench/run.sh [--quick | --size-mb N] [--repeat N] [--label TEXT] [--keep] [--work-dir DIR] [--jvm-opts 'OPTS']
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ "${BENCH_SKIP_BUILD:-}" != 1 ]]; then
  mvn -B -o -q -Pbench -pl bench -am package -DskipTests
fi
jar="bench/target/lifeboat-bench.jar"
export LIFEBOAT_COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- activities 2>/dev/null || echo -dirty)"
exec java -jar "$jar" "$@"
