#!/usr/bin/env bash
# The main job, from a fresh machine: sets up (scripts/bootstrap.sh), builds,
# then records a bundled example program and replays it.
#
# The example (tests/programs/random.c) prints host entropy and derived
# numbers: every run prints something else. Its recording is replayed on
# node 24, bun and Wasmtime, and each replay prints exactly what the
# recording printed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SHADOWRR_BUILD_DIR:-$root/build}"
"$root/scripts/bootstrap.sh"
"$root/scripts/build.sh"

shadowrr="$build/replayer/shadowrr"
example="$build/tests/programs/random.wasm"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "== two plain runs differ:"
source "$root/runtime-support/hosts/engines.sh"
engine_argv node24
"${ENGINE_ARGV[@]}" "$example" | head -1
"${ENGINE_ARGV[@]}" "$example" | head -1

echo
echo "== shadowrr record -o random.srr random.wasm"
"$shadowrr" record -o random.srr "$example" | tee recorded.txt
echo
"$shadowrr" info random.srr
for engine in node bun wasmtime; do
  echo
  echo "== shadowrr replay --runtime $engine random.srr"
  "$shadowrr" replay --runtime "$engine" --module "$example" random.srr | tee "replayed-$engine.txt"
  if cmp -s recorded.txt "replayed-$engine.txt"; then
    echo "-> identical to the recording"
  else
    echo "-> DIFFERENT from the recording" >&2
    exit 1
  fi
done
