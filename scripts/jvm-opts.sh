#!/usr/bin/env bash
# Prints the JVM memory flags of scripts/start.sh, which bench/run.sh's child JVMs get too (unless
# given --jvm-opts), so that a benchmark measures the process a user runs; JAVA_OPTS overrides them.
# The engine holds at most 4 x cores MiB of data in flight, plus ~600 bytes of heap per entry of the
# tree being backed up: -Xmx512m takes trees up to ~490,000 entries (a larger one fails clearly at
# the scan), and a small young generation (-Xmn64m) keeps the resident size near what is live (~240
# MB for a 19,000-entry tree, ~750 MB at most); a small initial heap (-Xms128m) has old garbage
# collected as it comes instead of letting the heap fill up to its maximum first. A JVM out of
# memory exits (as the deploy manifests' does) rather than live on with threads the error killed,
# answering every run with an internal error; runs and archives survive it.
set -euo pipefail
echo "${JAVA_OPTS:--Xms128m -Xmx512m -Xmn64m -XX:MaxDirectMemorySize=64m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError}"
