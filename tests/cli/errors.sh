#!/usr/bin/env bash
# Bad input to the shadowrr CLI: every case must print exactly one line on
# stderr (naming the file, for file problems), exit non-zero with the
# documented code, and leave no output file behind.
#
#   errors.sh SHADOWRR_BINARY SCRATCH_DIR
set -u
shadowrr="$1"
scratch="$2"
rm -rf "$scratch" && mkdir -p "$scratch"
cd "$scratch"

passed=0
failed=0
# expect NAME CODE PATTERN -- ARGS...: exit code CODE, one stderr line
# matching the extended regex PATTERN, and no out.wasm.
expect() {
  local name="$1" code="$2" pattern="$3"
  shift 4
  rm -f out.wasm
  "$shadowrr" "$@" >stdout.txt 2>stderr.txt
  local rc=$? lines
  lines=$(grep -c '' stderr.txt)
  local problem=""
  if [ "$rc" != "$code" ]; then problem="exit code $rc, expected $code"
  elif [ "$lines" != 1 ]; then problem="$lines lines on stderr"
  elif ! grep -Eq -- "$pattern" stderr.txt; then problem="message '$(cat stderr.txt)' does not match '$pattern'"
  elif [ -e out.wasm ]; then problem="left out.wasm behind"
  fi
  if [ -n "$problem" ]; then
    echo "FAIL $name: $problem"
    failed=$((failed + 1))
  else
    echo "ok   $name: $(cat stderr.txt)"
    passed=$((passed + 1))
  fi
}

: > empty.wasm
printf 'not wasm at all' > text.wasm
printf '\0asm\1\0\0\0\1\5' > truncated.wasm          # section cut short
printf '\0asm\2\0\0\0' > version2.wasm
printf '\0asm\x0d\0\1\0' > component.wasm
mkdir -p adir
printf '(module (memory 1 1 shared))' > shared.wat
printf '(module (memory i64 1))' > mem64.wat
printf '(module (func (result i32) (i64.const 1)))' > invalid.wat
printf '(module (func $f (nop))' > unbalanced.wat
printf '(module (memory (export "memory") 1))' > ok.wat

for v in inspect instrument; do
  if [ "$v" = inspect ]; then pre=(inspect); post=(); else pre=(instrument --mode identity); post=(-o out.wasm); fi
  expect "$v missing file"  1 '^shadowrr: missing\.wasm: no such file$' -- "${pre[@]}" missing.wasm "${post[@]}"
  expect "$v empty file"    1 '^shadowrr: empty\.wasm: empty file'      -- "${pre[@]}" empty.wasm "${post[@]}"
  expect "$v directory"     1 '^shadowrr: adir: is a directory'         -- "${pre[@]}" adir "${post[@]}"
  expect "$v not wasm"      1 '^shadowrr: text\.wasm: .*not a WebAssembly module' -- "${pre[@]}" text.wasm "${post[@]}"
  expect "$v truncated"     1 '^shadowrr: truncated\.wasm: malformed module' -- "${pre[@]}" truncated.wasm "${post[@]}"
  expect "$v version 2"     1 '^shadowrr: version2\.wasm: malformed module: unsupported binary version 2' -- "${pre[@]}" version2.wasm "${post[@]}"
  expect "$v component"     1 '^shadowrr: component\.wasm: .*a component' -- "${pre[@]}" component.wasm "${post[@]}"
  expect "$v shared memory" 1 '^shadowrr: shared\.wat: unsupported: memory 0 .* is shared' -- "${pre[@]}" shared.wat "${post[@]}"
  expect "$v memory64"      1 '^shadowrr: mem64\.wat: unsupported: memory 0 .* 64-bit' -- "${pre[@]}" mem64.wat "${post[@]}"
  expect "$v invalid"       1 '^shadowrr: invalid\.wat: invalid module' -- "${pre[@]}" invalid.wat "${post[@]}"
  expect "$v bad text"      1 '^shadowrr: unbalanced\.wat: malformed module' -- "${pre[@]}" unbalanced.wat "${post[@]}"
done
# Usage errors.
expect "no command"        2 '^shadowrr: no command given'                              -- 
expect "unknown command"   2 "^shadowrr: unknown command 'frobnicate'"         -- frobnicate
expect "unknown flag"      2 "^shadowrr instrument: unknown option '--frob'"   -- instrument --frob ok.wat -o out.wasm
expect "unknown mode"      2 "^shadowrr instrument: unknown mode 'fast'"       -- instrument --mode fast ok.wat -o out.wasm
expect "missing -o"        2 '^shadowrr instrument: no output given'           -- instrument ok.wat
expect "-o needs a value"  2 "^shadowrr instrument: option '-o' needs a value" -- instrument ok.wat -o
expect "two inputs"        2 '^shadowrr instrument: unexpected argument .ok\.wat.'     -- instrument ok.wat ok.wat -o out.wasm
expect "inspect no module" 2 '^shadowrr inspect: no module given'              -- inspect
expect "output is a dir"   1 '^shadowrr: adir: cannot write: is a directory'   -- instrument ok.wat -o adir
expect "unwritable output" 1 '^shadowrr: nodir/out\.wasm: cannot write: '      -- instrument ok.wat -o nodir/out.wasm

# record: problems found before anything runs.
printf '(module (memory (export "memory") 1) (func (export "_start")))' > app.wat
expect "record missing module"  1 '^shadowrr: missing\.wasm: no such file$'            -- record missing.wasm -o t.srr
expect "record no trace dir"    1 '^shadowrr: nodir/t\.srr: cannot write the trace: no such directory' -- record -o nodir/t.srr app.wat
expect "record output is dir"   1 '^shadowrr: adir: is a directory'                      -- record --force -o adir app.wat
expect "record bad runtime"     2 "^shadowrr record: unknown runtime 'v8'"               -- record --runtime v8 app.wat
expect "record bad env"         2 "^shadowrr record: --env takes K=V"                    -- record --env NOEQUALS app.wat
printf 'old' > t.srr
expect "record keeps a trace"   1 '^shadowrr: t\.srr: already exists \(use --force'      -- record -o t.srr app.wat
if [ "$(cat t.srr)" = old ]; then echo "ok   the existing trace is untouched"; passed=$((passed + 1));
else echo "FAIL the existing trace was changed"; failed=$((failed + 1)); fi
expect "empty trace path"       2 '^shadowrr instrument: --trace-path needs a path'      -- instrument --trace-path= app.wat -o out.wasm
expect "passthrough not replay" 2 '^shadowrr instrument: .*--passthrough go with --mode replay' -- instrument --passthrough bench.start app.wat -o out.wasm
expect "passthrough no import"  1 '^shadowrr: app\.wat: passthrough import bench\.start: the module has no such function import' -- instrument --mode replay --passthrough bench.start app.wat -o out.wasm
expect "pure import not record" 2 '^shadowrr instrument: .*--pure-import go with --mode record' -- instrument --mode replay --pure-import bench.start app.wat -o out.wasm
expect "pure import no import" 1 '^shadowrr: app\.wat: pure import bench\.start: the module has no such function import' -- instrument --pure-import bench.start app.wat -o out.wasm
expect "host writes not record" 2 '^shadowrr instrument: .*--host-writes-in-calls' -- instrument --mode identity --host-writes-in-calls app.wat -o out.wasm
printf '(module (import "env" "m" (memory 1)) (memory 1))' > imported2.wat
printf '(module (global $g i32 (i32.const 0)) (memory 1) (memory 1) (data (memory 1) (global.get $g) "x"))' > dyndata.wat
expect "single memory imported" 1 '^shadowrr: imported2\.wat: single memory: memory 0 .* is imported' -- instrument --mode identity --single-memory imported2.wat -o out.wasm
expect "single memory segment"  1 '^shadowrr: dyndata\.wat: single memory: data segment 0 .* not a constant' -- instrument --mode identity --single-memory dyndata.wat -o out.wasm
expect "threads refused"        1 '^shadowrr: shared\.wat: unsupported: memory 0 .* is shared' -- instrument shared.wat -o out.wasm

# And the good path: an existing output is replaced whole, no temp file stays.
printf 'old' > out.wasm
if "$shadowrr" instrument --mode identity ok.wat -o out.wasm 2>stderr.txt && head -c 4 out.wasm | od -An -c | grep -q 'a   s   m' \
   && [ -z "$(ls | grep '\.tmp\.')" ]; then
  echo "ok   identity replaces the output atomically"; passed=$((passed + 1))
else
  echo "FAIL identity output: $(cat stderr.txt)"; failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
