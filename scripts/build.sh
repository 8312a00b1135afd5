#!/usr/bin/env bash
# Configures and builds shadowrr into build/ (or $SHADOWRR_BUILD_DIR).
# Extra arguments go to CMake's configure step, e.g. -DSHADOWRR_SANITIZE=ON.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SHADOWRR_BUILD_DIR:-$root/build}"
generator=()
if command -v ninja >/dev/null && [ ! -f "$build/CMakeCache.txt" ]; then generator=(-G Ninja); fi
cmake -S "$root" -B "$build" "${generator[@]}" "$@" >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)"
