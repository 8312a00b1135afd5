#!/usr/bin/env bash
# The main job, from a fresh machine: sets up (scripts/bootstrap.sh), builds,
# and runs shadowrr on a bundled example program.
#
# Today this is the identity transform: the example module is parsed,
# validated and written back by `shadowrr instrument --mode identity`, and the
# original and the round-tripped module are run side by side on node 24 to
# show they behave the same. Recording and replaying come with the record and
# replay work (see README.md, "Status").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SHADOWRR_BUILD_DIR:-$root/build}"
"$root/scripts/bootstrap.sh"
"$root/scripts/build.sh"
source "$root/runtime-support/hosts/engines.sh"

example="$build/tests/programs/files.wasm"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
shadowrr="$build/replayer/shadowrr"

echo "== shadowrr inspect $example"
"$shadowrr" inspect "$example"
echo
echo "== shadowrr instrument --mode identity"
"$shadowrr" instrument --mode identity "$example" -o "$work/files.identity.wasm"
ls -l "$example" "$work/files.identity.wasm" | awk '{print $5, $9}'
for m in "$example" "$work/files.identity.wasm"; do
  mkdir -p "$work/run" && rm -rf "$work/run"/*
  echo
  echo "== run $(basename "$m") on node 24"
  (cd "$work/run" && $(engine_cmd node24) --dir . "$m")
done
