#!/usr/bin/env bash
# Prints the JVM flags of Lifeboat's JIT policy, for scripts/start.sh and bench/run.sh's child JVMs.
# LIFEBOAT_JIT picks it:
#   on (default)  c1 where OpenSSL's libcrypto is installed, else directives
#   c1            -XX:TieredStopAtLevel=1: C1 compiles everything once, C2 never runs. The engine's
#                 bytes go through native code (igzip, libdeflate, zstd, libcrypto's SHA-256, the
#                 kernel) and the JDK's CRC intrinsics, which C1 emits too; its Java code runs once
#                 per entry, and C2 compiling it only took cores from a fresh JVM's first backup.
#                 Against the directives, C1 also compiles each method once instead of twice (first
#                 with profiling, for a C2 the directives then refuse). Bench tree, 2 cores, fresh JVM,
#                 alternated: a 1 % change 1.88-2.00 s instead of 1.97-2.41, 2.2-2.4 CPU-s instead
#                 of 2.5-3.2; the full backup 4.18-4.44 s instead of 4.09-5.20
#   directives    scripts/jit-directives.json: C2 only for the JDK's SHA-256 (its SHA-NI intrinsic
#                 exists only in C2; without libcrypto, C1's SHA-256 is ten times slower) and the
#                 sampling loop, everything else with C1
#   off           the JVM's default
set -euo pipefail
mode="${LIFEBOAT_JIT:-on}"
if [ "$mode" = on ]; then
  if compgen -G '/usr/lib/*/libcrypto.so.3' >/dev/null || compgen -G '/usr/lib/libcrypto.so.3' >/dev/null \
    || compgen -G '/lib/*/libcrypto.so.3' >/dev/null; then
    mode=c1
  else
    mode=directives
  fi
fi
case "$mode" in
  c1) echo "-XX:TieredStopAtLevel=1" ;;
  # the JVM runs in the checkout's root; its own messages ("3 compiler directives added") go to
  # stderr, so that stdout carries only what Lifeboat prints
  directives) echo "-XX:+UnlockDiagnosticVMOptions -XX:CompilerDirectivesFile=scripts/jit-directives.json -XX:+DisplayVMOutputToStderr" ;;
  off) echo "" ;;
  *)
    echo "LIFEBOAT_JIT must be on, c1, directives or off, not '$mode'" >&2
    exit 2
    ;;
esac
