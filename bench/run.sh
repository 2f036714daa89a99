#!/usr/bin/env bash
# Builds the benchmark harness (profile "bench", nothing installed) and runs it; options go to the harness:
#   bench/run.sh [--quick | --size-mb N] [--repeat N] [--label TEXT] [--keep] [--work-dir DIR] [--jvm-opts 'OPTS']
#                [--incremental] [--no-peers] [--zstd] [--warm] [--no-cds] [--no-jit]
# The Lifeboat child JVMs get scripts/start.sh's flags (scripts/jvm-opts.sh) unless --jvm-opts is given.
set -euo pipefail
cd "$(dirname "$0")/.."
# what the server itself gets (JDK, Maven, libdeflate, ISA-L's igzip, libcrypto): without them Lifeboat
# measures its fallbacks (a fresh machine without libisal2 backed up the bench tree 3x slower)
scripts/ensure-tools.sh build
# the peers are Debian packages; install what is missing (as root)
missing=()
for tool in tar gzip pigz zstd restic; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing: ${missing[*]}; run as root: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [[ "${BENCH_SKIP_BUILD:-}" != 1 ]]; then
  mvn -B -q -Pbench -pl bench -am package -DskipTests
fi
jar="bench/target/lifeboat-bench.jar"
export LIFEBOAT_COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- activities 2>/dev/null || echo -dirty)"
# the harness itself stays light: its JIT and GC threads would run on the cores being measured
exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$jar" "$@"
