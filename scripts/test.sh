#!/usr/bin/env bash
# The test command: sets up what is missing (scripts/bootstrap.sh), builds,
# and runs every test with CTest. Extra arguments go to ctest, e.g.
#   scripts/test.sh -L unit         only the fast tests
#   scripts/test.sh -R identity     tests whose name matches
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/bootstrap.sh"
"$root/scripts/build.sh"
ctest --test-dir "${SHADOWRR_BUILD_DIR:-$root/build}" --output-on-failure "$@"
