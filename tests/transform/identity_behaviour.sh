#!/usr/bin/env bash
# For each tests/transform/*.wat: compile it with wabt (independent of
# binaryen), run `shadowrr instrument --mode identity`, and require that every
# export returns or traps the same way before and after under node 24. A wat
# with the line ";; single-memory: same behaviour" is also lowered to one
# memory (--single-memory) and must behave the same that way too.
#
#   identity_behaviour.sh SHADOWRR_BINARY NODE SCRATCH_DIR
set -u
shadowrr="$1" node="$2" scratch="$3"
here="$(cd "$(dirname "$0")" && pwd)"
rm -rf "$scratch" && mkdir -p "$scratch"
passed=0 failed=0
for wat in "$here"/*.wat; do
  name="$(basename "$wat" .wat)"
  if ! wat2wasm --enable-all "$wat" -o "$scratch/$name.wasm" 2>"$scratch/$name.err"; then
    echo "FAIL $name: wat2wasm: $(head -1 "$scratch/$name.err")"; failed=$((failed + 1)); continue
  fi
  "$node" "$here/invoke_all.mjs" "$scratch/$name.wasm" >"$scratch/$name.before" 2>&1
  variants=(identity)
  if grep -q '^;; single-memory: same behaviour$' "$wat"; then variants+=(single-memory); fi
  for variant in "${variants[@]}"; do
    flags=(--mode identity)
    [ "$variant" = single-memory ] && flags+=(--single-memory)
    if ! "$shadowrr" instrument "${flags[@]}" "$scratch/$name.wasm" -o "$scratch/$name.$variant.wasm"; then
      echo "FAIL $name ($variant): instrument failed"; failed=$((failed + 1)); continue
    fi
    "$node" "$here/invoke_all.mjs" "$scratch/$name.$variant.wasm" >"$scratch/$name.$variant.after" 2>&1
    if [ ! -s "$scratch/$name.before" ]; then
      echo "FAIL $name: no exports ran"; failed=$((failed + 1))
    elif cmp -s "$scratch/$name.before" "$scratch/$name.$variant.after"; then
      echo "ok   $name, $variant ($(wc -l <"$scratch/$name.before") exports)"; passed=$((passed + 1))
    else
      echo "FAIL $name ($variant): behaviour differs:"
      diff "$scratch/$name.before" "$scratch/$name.$variant.after" | sed 's/^/    /'
      failed=$((failed + 1))
    fi
  done
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
