#!/usr/bin/env bash
# Installs, as root, the Debian packages Lifeboat's build, tests and actions need, when missing;
# for the tests also the Temporal CLI (scripts/ensure-temporal.sh).
# Usage: scripts/ensure-tools.sh [build|test]
set -euo pipefail
mode="${1:-build}"

need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v tar >/dev/null 2>&1 || need+=(tar)
command -v gzip >/dev/null 2>&1 || need+=(gzip)
# fast gzip for archives (bound through JNA; without it Lifeboat falls back to the JDK's slower zlib)
compgen -G '/usr/lib/*/libdeflate.so.0' >/dev/null || compgen -G '/usr/lib/libdeflate.so.0' >/dev/null \
  || need+=(libdeflate0)
# ISA-L's igzip: float weights at several times libdeflate's speed, same size (JNA; libdeflate without it)
compgen -G '/usr/lib/*/libisal.so.2' >/dev/null || compgen -G '/usr/lib/libisal.so.2' >/dev/null \
  || need+=(libisal2)
# OpenSSL's SHA-256 (JNA; the JDK's is as fast only once the JIT has compiled it)
compgen -G '/usr/lib/*/libcrypto.so.3' >/dev/null || compgen -G '/usr/lib/libcrypto.so.3' >/dev/null \
  || need+=(libssl3)
if [ "$mode" = test ]; then
  command -v git >/dev/null 2>&1 || need+=(git)
  command -v ansible-playbook >/dev/null 2>&1 || need+=(ansible-core)
  command -v rclone >/dev/null 2>&1 || need+=(rclone)
  command -v pigz >/dev/null 2>&1 || need+=(pigz)
  command -v zstd >/dev/null 2>&1 || need+=(zstd)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
  # the deploy checks: compose file validation and alert rules
  command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
  command -v promtool >/dev/null 2>&1 || need+=(prometheus)
fi

install_packages() {
  echo "Installing Debian packages: ${need[*]}" >&2
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
  elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "These packages are missing and installing them needs root: ${need[*]}" >&2
    echo "Run as root: apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

if [ ${#need[@]} -gt 0 ]; then
  install_packages
fi
# The tests run against a real Temporal dev server; start.sh builds it itself and can fall back.
if [ "$mode" = test ]; then
  "$(dirname "$0")/ensure-temporal.sh" >/dev/null
fi
