#!/usr/bin/env bash
# Runs every test: installs the Debian packages the tests use (as root), then the Maven build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-tools.sh test
exec mvn -B verify "$@"
