#!/usr/bin/env bash
# Prints the path of a Temporal CLI (the local durable server and its UI). Uses `temporal` from the
# PATH or .tools/bin, else builds the pinned version into .tools/bin with `go install` (one time:
# minutes; later versions of the CLI cannot be `go install`ed because their go.mod has a `replace`).
# Exits 1 with a message on stderr when none can be had.
set -euo pipefail
TEMPORAL_CLI_VERSION=v1.5.1
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.tools/bin"
if [ -x "$bin/temporal" ]; then
  echo "$bin/temporal"
  exit 0
fi
if command -v temporal >/dev/null 2>&1; then
  command -v temporal
  exit 0
fi
# Go's official tarball installs outside the default PATH
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  PATH="$PATH:/usr/local/go/bin"
fi
if ! command -v go >/dev/null 2>&1; then
  echo "No Temporal CLI: 'temporal' is not on the PATH nor in .tools/bin, and there is no 'go' to build it" >&2
  echo "(install Go 1.25 or later, or put a Temporal CLI on the PATH)." >&2
  exit 1
fi
echo "Building the Temporal CLI $TEMPORAL_CLI_VERSION into .tools/bin (one time; about 5 CPU-minutes," \
  "longer on a busy machine)..." >&2
mkdir -p "$bin"
if ! GOBIN="$bin" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" >&2; then
  echo "Building the Temporal CLI failed (see above)." >&2
  exit 1
fi
echo "$bin/temporal"
