#!/usr/bin/env bash
# shadowrr info, dump, dump --json and pack on the sample trace
# (tests/trace/trace_builder.c), and their answers to bad traces: one line on
# stderr, exit 1 (foreign, corrupt, missing) or 3 (truncated, after printing
# what the trace holds).
#
#   cli.sh SHADOWRR_BINARY MAKE_SAMPLE_TRACE NODE SCRATCH_DIR
set -u
shadowrr="$1"
make_sample="$2"
node="$3"
scratch="$4"
rm -rf "$scratch" && mkdir -p "$scratch"
cd "$scratch" || exit 1

passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

# run NAME CODE PATTERN -- ARGS...: runs shadowrr ARGS (stdout to out.txt,
# stderr to err.txt); expects exit code CODE and, if PATTERN is not empty,
# exactly one stderr line matching the extended regex PATTERN, else none.
run() {
  local name="$1" code="$2" pattern="$3"
  shift 4
  "$shadowrr" "$@" >out.txt 2>err.txt
  local rc=$? lines
  lines=$(grep -c '' err.txt)
  if [ "$rc" != "$code" ]; then fail "$name" "exit code $rc, expected $code ($(head -c 300 err.txt))"
  elif [ -z "$pattern" ] && [ "$lines" != 0 ]; then fail "$name" "stderr: $(cat err.txt)"
  elif [ -n "$pattern" ] && [ "$lines" != 1 ]; then fail "$name" "$lines lines on stderr: $(head -c 300 err.txt)"
  elif [ -n "$pattern" ] && ! grep -Eq -- "$pattern" err.txt; then fail "$name" "stderr '$(cat err.txt)' does not match '$pattern'"
  else ok "$name${pattern:+: $(cat err.txt)}"
  fi
}

# has NAME FILE LINE: FILE holds exactly this line.
has() {
  if grep -Fxq -- "$3" "$2"; then ok "$1"; else fail "$1" "no line '$3' in $2"; fi
}

# json NAME FILE EXPRESSION: FILE parses as JSON, and the JavaScript
# EXPRESSION on it (as j) is true.
json() {
  local result
  result=$("$node" -e '
    const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(('"$3"') ? "yes" : "no: " + JSON.stringify(j).slice(0, 300));
  ' "$2" 2>&1)
  if [ "$result" = yes ]; then ok "$1"; else fail "$1" "$result"; fi
}

for mode in sample incomplete corrupt newer bad-event; do
  "$make_sample" "$mode" "$mode.srr" || { echo "make_sample_trace $mode failed"; exit 1; }
done
size=$(stat -c %s sample.srr)

# --- info --------------------------------------------------------------------
run "info sample" 0 "" -- info sample.srr
cp out.txt info.txt
has "info: module" info.txt "module:         sample.wasm"
has "info: sha256" info.txt "module sha256:  01080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3da"
has "info: recorder" info.txt "recorder:       shadowrr-test 1.0"
has "info: flags" info.txt "flags:          durable"
has "info: imports" info.txt "imports:        4"
has "info: exports" info.txt "exports:        2"
has "info: memories" info.txt "  memory 1: pages initial 1, max 4"
has "info: events" info.txt "events:         19"
has "info: import calls" info.txt "  import_call        4"
has "info: memory writes" info.txt "  memory_write       2"
has "info: trap" info.txt "  trap               1"
has "info: memory write bytes" info.txt "memory writes:  4100 bytes"
has "info: file size" info.txt "file size:      $size bytes"
has "info: chunks" info.txt "chunks:         3 (3 raw, 0 lz4)"
has "info: complete" info.txt "status:         complete (goes on after 1 trap)"
run "info incomplete" 0 "" -- info incomplete.srr
has "info: incomplete" out.txt "status:         incomplete (no END or TRAP event: the run was stopped between chunks)"

# --- dump --------------------------------------------------------------------
run "dump sample" 0 "" -- dump sample.srr
cp out.txt dump.txt
if [ "$(grep -c '^#' dump.txt)" = 19 ]; then ok "dump: 19 events"; else fail "dump: 19 events" "$(grep -c '^#' dump.txt)"; fi
has "dump: import signature" dump.txt "import 0: wasi_snapshot_preview1.fd_write (i32, i32, i32, i32) -> (i32)"
has "dump: import call" dump.txt "#1 import_call 0 wasi_snapshot_preview1.fd_write(1, 1024, 1, 1040)"
has "dump: memory write" dump.txt "#2 memory_write mem 0 @1040 len 4: 0c 00 00 00"
has "dump: import return" dump.txt "#3 import_return 0 wasi_snapshot_preview1.fd_write -> 12"
has "dump: NaN payloads" dump.txt "#4 import_call 1 env.floats(nan:0x200001, -nan:0x8000000000123)"
has "dump: floats exactly" dump.txt "#5 import_return 1 env.floats -> (1.10000002, 0.10000000000000001)"
has "dump: i64 and v128" dump.txt "#6 import_call 2 env.wide(-1, i32x4 0x03020100 0x07060504 0x0b0a0908 0x0f0e0d0c)"
has "dump: failed grow" dump.txt "#9 memory_grow mem 1 delta 10 -> -1"
has "dump: host grow" dump.txt "#10 host_memory_grow mem 0 -> 5 pages"
has "dump: global" dump.txt "#12 global_change 1 ratio = 2.5"
has "dump: long write abbreviated" dump.txt \
  "#13 memory_write mem 1 @65536 len 4096: 00 01 02 03 04 05 06 07 00 01 02 03 04 05 06 07 ... (4080 more)"
has "dump: export return" dump.txt "#15 export_return 1 add -> 5"
has "dump: trap escaped" dump.txt '#17 trap "unreachable \"executed\"\n"'
has "dump: end" dump.txt "#18 end"

run "dump --json sample" 0 "" -- dump --json sample.srr
cp out.txt dump.json
json "json: header" dump.json 'j.header.module_name === "sample.wasm" && j.header.imports.length === 4 &&
  j.header.imports[1].params.join() === "f32,f64" && j.header.memories[1].max_pages === 4 && j.header.durable'
json "json: events" dump.json 'j.events.length === 19 && j.complete === true && j.truncated === null'
json "json: memory bytes as hex" dump.json 'j.events[2].kind === "memory_write" && j.events[2].bytes === "0c000000" &&
  j.events[13].bytes.length === 8192'
json "json: values" dump.json 'j.events[1].values.map(v => v.value).join() === "1,1024,1,1040" &&
  j.events[4].values[0].bits === "0x7fa00001" && j.events[4].values[1].bits === "0xfff8000000000123" &&
  j.events[5].values[1].value === 0.1 && j.events[6].values[1].value === "000102030405060708090a0b0c0d0e0f"'
json "json: trap message" dump.json 'j.events[17].message === "unreachable \"executed\"\n"'

# --- pack --------------------------------------------------------------------
cp sample.srr packed.srr
run "pack in place" 0 "" -- pack packed.srr
packed_size=$(stat -c %s packed.srr)
if [ "$packed_size" -lt $((size / 4)) ]; then ok "pack: $size -> $packed_size bytes"
else fail "pack: smaller" "$size -> $packed_size bytes"; fi
run "dump packed" 0 "" -- dump packed.srr
if diff <(sed 1d dump.txt) <(sed 1d out.txt) >/dev/null; then ok "pack: same events"
else fail "pack: same events" "$(diff <(sed 1d dump.txt) <(sed 1d out.txt) | head -5)"; fi
run "dump --json packed" 0 "" -- dump --json packed.srr
if diff <(sed 1d dump.json) <(sed 1d out.txt) >/dev/null; then ok "pack: same JSON"
else fail "pack: same JSON" "$(diff <(sed 1d dump.json) <(sed 1d out.txt) | head -5)"; fi
run "info packed" 0 "" -- info packed.srr
if grep -Eq '^chunks: +3 \([0-2] raw, [1-3] lz4\)$' out.txt; then ok "pack: lz4 chunks"
else fail "pack: lz4 chunks" "$(grep '^chunks' out.txt)"; fi
cp sample.srr sample.copy
run "pack -o" 0 "" -- pack sample.srr -o other.srr
if cmp -s sample.srr sample.copy && cmp -s other.srr packed.srr; then ok "pack -o: input kept, same output"
else fail "pack -o" "input changed or output differs"; fi
cp packed.srr packed.copy
run "pack again" 0 "" -- pack packed.srr
if cmp -s packed.srr packed.copy; then ok "pack: packing twice changes nothing"; else fail "pack twice" "differs"; fi
if ls ./*.tmp.* >/dev/null 2>&1; then fail "pack: no temporary files" "$(ls ./*.tmp.*)"; else ok "pack: no temporary files"; fi

# --- bad traces --------------------------------------------------------------
: > empty.srr
printf 'hello, not a trace\n' > text.srr
printf '\0asm\1\0\0\0' > module.srr
mkdir -p adir
head -c $((size - 100)) sample.srr > truncated.srr
head -c 10 sample.srr > header_cut.srr
head -c $((packed_size - 10)) packed.srr > packed_truncated.srr
for cmd in info dump "dump --json" pack; do
  # shellcheck disable=SC2086 # $cmd is one or two words on purpose
  set -- $cmd
  run "$cmd missing file" 1 '^shadowrr: missing\.srr: no such file$' -- "$@" missing.srr
  run "$cmd directory" 1 '^shadowrr: adir: is a directory' -- "$@" adir
  run "$cmd empty file" 1 '^shadowrr: empty\.srr: foreign file: not a shadowrr trace \(empty file\)$' -- "$@" empty.srr
  run "$cmd text file" 1 '^shadowrr: text\.srr: foreign file: not a shadowrr trace$' -- "$@" text.srr
  run "$cmd wasm module" 1 '^shadowrr: module\.srr: foreign file: not a shadowrr trace$' -- "$@" module.srr
  run "$cmd newer version" 1 '^shadowrr: newer\.srr: trace format version 2\.0 is newer than this shadowrr \(1\.3\)$' -- "$@" newer.srr
  run "$cmd bad CRC" 1 '^shadowrr: corrupt\.srr: corrupt trace: chunk 1 at byte [0-9]+: checksum mismatch$' -- "$@" corrupt.srr
  run "$cmd bad event" 1 '^shadowrr: bad-event\.srr: corrupt trace: event 1 at byte 2: unknown import 9$' -- "$@" bad-event.srr
  run "$cmd header cut" 3 '^shadowrr: header_cut\.srr: truncated trace: the file ends inside its header \(after 10 bytes\)$' -- "$@" header_cut.srr
  [ -s out.txt ] && fail "$cmd header cut" "printed something"
done
if cmp -s corrupt.srr <("$make_sample" corrupt /dev/stdout); then ok "pack: corrupt trace left alone"
else fail "pack: corrupt trace left alone" "changed"; fi

run "info truncated" 3 '^shadowrr: truncated\.srr: truncated trace: chunk 2 at byte [0-9]+ is cut short: the file ends after [0-9]+ of its [0-9]+ bytes$' -- info truncated.srr
has "info truncated: events so far" out.txt "events:         13"
if grep -Eq '^status: +truncated at byte [0-9]+: chunk 2' out.txt; then ok "info truncated: status"
else fail "info truncated: status" "$(grep '^status' out.txt)"; fi
run "dump truncated" 3 '^shadowrr: truncated\.srr: truncated trace: chunk 2 at byte' -- dump truncated.srr
if diff <(sed 1d out.txt) <(sed 1d dump.txt | grep -v '^#1[3-8] ') >/dev/null; then ok "dump truncated: the 13 whole events"
else fail "dump truncated" "$(diff <(sed 1d out.txt) <(sed 1d dump.txt) | head -5)"; fi
run "dump --json truncated" 3 '^shadowrr: truncated\.srr: truncated trace: chunk 2 at byte' -- dump --json truncated.srr
json "json truncated" out.txt 'j.events.length === 13 && j.complete === false &&
  /^chunk 2 at byte \d+ is cut short/.test(j.truncated.reason) && j.truncated.offset > 0'
run "dump packed truncated" 3 '^shadowrr: packed_truncated\.srr: truncated trace: (last )?chunk 2 at byte' -- dump packed_truncated.srr
if [ "$(grep -c '^#' out.txt)" = 13 ]; then ok "dump packed truncated: 13 events"; else fail "dump packed truncated" "$(grep -c '^#' out.txt) events"; fi
cp truncated.srr truncated_packed.srr
run "pack truncated" 3 '^shadowrr: truncated_packed\.srr: truncated trace: chunk 2 at byte' -- pack truncated_packed.srr
run "dump truncated, packed" 3 '^shadowrr: truncated_packed\.srr: truncated trace: chunk 2 at byte' -- dump truncated_packed.srr
if [ "$(grep -c '^#' out.txt)" = 13 ]; then ok "pack truncated: the same 13 events"; else fail "pack truncated" "$(grep -c '^#' out.txt) events"; fi

# --- usage -------------------------------------------------------------------
run "dump without a trace" 2 '^shadowrr dump: no trace given' -- dump
run "info, two traces" 2 '^shadowrr info: unexpected argument .b.srr.' -- info a.srr b.srr
run "dump, unknown option" 2 "^shadowrr dump: unknown option '--yaml'" -- dump --yaml sample.srr
run "pack -o without value" 2 "^shadowrr pack: option '-o' needs a value" -- pack sample.srr -o
run "info --help" 0 "" -- info --help

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
