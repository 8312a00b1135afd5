#!/usr/bin/env bash
# run_programs.sh: runs every wasm32-wasi test program (tests/programs) under
# every engine (node24, node20, bun, deno through hosts/wasi-run.mjs; wasmtime
# through hosts/wasmtime-run.sh) and checks exit codes, stdout and stderr.
#
# usage: run_programs.sh --programs DIR --hosts DIR
#                        [--engines "node24 node20 bun deno wasmtime"]
#                        [--variants "O2 O0"] [--expected DIR] [--keep]
#
#   --programs DIR  the built programs (NAME.wasm = -O2, NAME.O0.wasm = -O0)
#   --hosts DIR     runtime-support/hosts
#   --engines LIST  engines to try (default: all five)
#   --variants LIST O2 and/or O0 (default: both; O0 is skipped when its
#                   .O0.wasm file is absent)
#   --expected DIR  expected outputs (default: expected/ next to this script)
#   --keep          keep the temporary directory and print where it is
#
# Each run gets a fresh working directory (preopened as "."), a copy of the
# module named NAME.wasm (so argv[0] is the same for both variants), stdout
# and stderr in files, and an empty environment plus fixed --env values.
# Checks per program:
#   exact stdout   args_env files big_read grow exit_code trap stdin_echo
#                  print_lots (expected/NAME.stdout, or NAME.stdout.sha256
#                  holding "<sha256>  <size>" for big outputs; print_lots
#                  also runs with its stdout through a pipe)
#   format         clock, random (regular expressions; random also: the seed
#                  line agrees with the bytes, and two runs differ)
#   stderr         exact when expected/NAME.stderr exists, the one trap line
#                  for trap, else empty (no engine noise allowed)
#   exit status    0; 3 for exit_code; 134 for trap
# Engines that pass no args (wasmtime, via wizer) are checked against
# expected/NAME.noargs.stdout where that exists.
# Output: one line per program x engine x variant ("ok", "FAIL <reason>",
# "SKIP <reason>"), then "N passed, N failed, N skipped". Exit status 1 on
# any failure, 77 when everything was skipped (no engine installed), else 0.

set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
programs_dir=
hosts_dir=
engines="node24 node20 bun deno wasmtime"
variants="O2 O0"
expected_dir="$here/expected"
keep=0

die() { printf 'run_programs.sh: %s\n' "$1" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --programs) programs_dir="${2:?}"; shift 2 ;;
    --hosts) hosts_dir="${2:?}"; shift 2 ;;
    --engines) engines="${2:?}"; shift 2 ;;
    --variants) variants="${2:?}"; shift 2 ;;
    --expected) expected_dir="${2:?}"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done
[ -n "$programs_dir" ] || die "--programs DIR is required"
[ -n "$hosts_dir" ] || die "--hosts DIR is required"
[ -d "$programs_dir" ] || die "no programs directory $programs_dir (build the test_programs target)"
[ -f "$hosts_dir/engines.sh" ] || die "no $hosts_dir/engines.sh"
[ -d "$expected_dir" ] || die "no expected-output directory $expected_dir"
programs_dir="$(cd "$programs_dir" && pwd)"
expected_dir="$(cd "$expected_dir" && pwd)"

# shellcheck source=/dev/null
. "$hosts_dir/engines.sh"

PROGRAMS=(clock random args_env files big_read grow exit_code trap print_lots stdin_echo)
# Engines whose runner drops the guest's args.
NOARGS_ENGINES=" wasmtime "
TIMEOUT="${SHADOWRR_TEST_TIMEOUT:-120}"

tmp_root="$(mktemp -d "${TMPDIR:-/tmp}/shadowrr-engines.XXXXXX")" || die "mktemp failed"
if [ $keep = 1 ]; then
  printf 'keeping %s\n' "$tmp_root"
else
  trap 'rm -rf "$tmp_root"' EXIT
fi

passed=0
failed=0
skipped=0
report() { # STATUS ENGINE CASE [REASON]
  local st="$1" eng="$2" case_="$3" why="${4:-}"
  case "$st" in
    ok) passed=$((passed + 1)); printf 'ok   %-8s %s\n' "$eng" "$case_" ;;
    FAIL) failed=$((failed + 1)); printf 'FAIL %-8s %s: %s\n' "$eng" "$case_" "$why" ;;
    SKIP) skipped=$((skipped + 1)); printf 'SKIP %-8s %s: %s\n' "$eng" "$case_" "$why" ;;
  esac
}

# Fixed inputs.
inputs="$tmp_root/inputs"
mkdir -p "$inputs"
printf 'first line of the input file\nsecond line\n' >"$inputs/input.txt"
{ printf 'first line of stdin\n'; for i in $(seq 1 3000); do printf 'stdin line %d\n' "$i"; done; } >"$inputs/stdin.txt"

ARGS_ENV_ARGS=(alpha "with space" "x=y")
ARGS_ENV_ENV=(--env SHADOWRR_TEST=hello --env "B_VAR=a b" --env EMPTY= --env ZED=last)

# run_case ENGINE VARIANT PROG RUNID [STDOUT_VIA_PIPE] -- sets RUN_DIR, RUN_RC.
# Output in $RUN_DIR/stdout, $RUN_DIR/stderr.
run_case() {
  local engine="$1" variant="$2" prog="$3" runid="$4" viapipe="${5:-0}"
  local src="$programs_dir/$prog.wasm"
  [ "$variant" = O0 ] && src="$programs_dir/$prog.O0.wasm"
  RUN_DIR="$tmp_root/$engine.$variant.$prog.$runid"
  mkdir -p "$RUN_DIR/bin" "$RUN_DIR/cwd"
  cp "$src" "$RUN_DIR/bin/$prog.wasm"
  local opts=(--dir .) args=()
  case "$prog" in
    args_env) opts+=("${ARGS_ENV_ENV[@]}"); args=("${ARGS_ENV_ARGS[@]}") ;;
    files) cp "$inputs/input.txt" "$RUN_DIR/cwd/input.txt"; args=(input.txt) ;;
  esac
  engine_argv "$engine"
  local cmd=(timeout "$TIMEOUT" "${ENGINE_ARGV[@]}" "${opts[@]}" "$RUN_DIR/bin/$prog.wasm" "${args[@]}")
  (
    cd "$RUN_DIR/cwd" || exit 99
    if [ "$prog" = stdin_echo ]; then
      # stdin through a pipe, the harder case for a host.
      # shellcheck disable=SC2002
      cat "$inputs/stdin.txt" | "${cmd[@]}" >"$RUN_DIR/stdout" 2>"$RUN_DIR/stderr"
      exit "${PIPESTATUS[1]}"
    elif [ "$viapipe" = 1 ]; then
      "${cmd[@]}" </dev/null 2>"$RUN_DIR/stderr" | cat >"$RUN_DIR/stdout"
      exit "${PIPESTATUS[0]}"
    else
      exec "${cmd[@]}" </dev/null >"$RUN_DIR/stdout" 2>"$RUN_DIR/stderr"
    fi
  )
  RUN_RC=$?
}

# Prints the first difference between two files, briefly.
first_diff() {
  local d
  d="$(diff "$1" "$2" 2>&1 | sed -n '1,4p' | tr '\n' '|' | cut -c1-200)"
  printf '%s' "${d:-differ}"
}

# check_exact_stdout FILE EXPECTED_BASE: compares with BASE or BASE.sha256.
# Sets WHY on failure.
check_exact_stdout() {
  local got="$1" base="$2"
  if [ -f "$base" ]; then
    cmp -s "$got" "$base" && return 0
    WHY="stdout differs from ${base#"$expected_dir"/}: $(first_diff "$base" "$got")"
    return 1
  elif [ -f "$base.sha256" ]; then
    local want_sum want_size got_sum got_size
    read -r want_sum want_size <"$base.sha256"
    got_sum="$(sha256sum <"$got" | cut -d' ' -f1)"
    got_size="$(wc -c <"$got" | tr -d ' ')"
    [ "$got_sum" = "$want_sum" ] && [ "$got_size" = "$want_size" ] && return 0
    WHY="stdout sha256/size $got_sum $got_size, expected $want_sum $want_size ($(head -c 60 "$got" | tr '\n' '|'))"
    return 1
  fi
  WHY="no expected file ${base#"$expected_dir"/}"
  return 1
}

# (No {n} intervals in these regexps: Debian's default awk, mawk, lacks them.)
check_clock() {
  awk '
    function fail(m) { print m; bad = 1; exit 1 }
    BEGIN { d9 = "[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]" }
    NR <= 3 {
      if ($0 !~ ("^clock_gettime [0-2] realtime [0-9]+\\." d9 " monotonic [0-9]+\\." d9 "$")) fail("line " NR ": " $0)
      split($4, r, "."); if (r[1] + 0 < 1500000000) fail("realtime implausible: " $4)
      m = $6; gsub(/\./, "", m); m = m + 0; if (NR > 1 && m < lastm) fail("monotonic went back at line " NR); lastm = m
      next
    }
    NR <= 6 {
      if ($0 !~ /^clock_time_get [0-2] realtime [0-9]+ \(errno 0\) monotonic [0-9]+ \(errno 0\)$/) fail("line " NR ": " $0)
      next
    }
    NR == 7 { if ($0 !~ /^clock_res_get monotonic [0-9]+ \(errno 0\)$/) fail("line 7: " $0); next }
    { fail("extra line " NR ": " $0) }
    END { if (!bad && NR != 7) { print "expected 7 lines, got " NR; exit 1 } }
  ' "$1"
}

check_random() {
  local out
  out="$(awk '
    function fail(m) { print m; bad = 1; exit 1 }
    function hex(s, n) { return s ~ /^[0-9a-f]+$/ && length(s) == n }
    NR == 1 { if (NF != 2 || $1 != "getentropy" || !hex($2, 64)) fail("line 1: " $0); bytes = $2; next }
    NR == 2 { if ($0 != "random_get errno 0") fail("line 2: " $0); next }
    NR == 3 { if (NF != 2 || $1 != "random_get" || !hex($2, 32)) fail("line 3: " $0); next }
    NR == 4 { if ($0 !~ /^seed [0-9]+ rand [0-9]+ [0-9]+ [0-9]+ [0-9]+$/) fail("line 4: " $0); seed = $2; next }
    { fail("extra line " NR) }
    END { if (!bad) { if (NR != 4) { print "expected 4 lines, got " NR; exit 1 } print bytes " " seed } }
  ' "$1")" || { printf '%s' "$out"; return 1; }
  local bytes="${out% *}" seed="${out#* }"
  # The seed is the first four entropy bytes, little-endian.
  local le="${bytes:6:2}${bytes:4:2}${bytes:2:2}${bytes:0:2}"
  if [ "$((16#$le))" != "$seed" ]; then
    printf 'seed %s does not match the bytes %s' "$seed" "${bytes:0:8}"
    return 1
  fi
}

# check_stderr PROG ENGINE FILE: sets WHY on failure.
check_stderr() {
  local prog="$1" file="$3"
  if [ "$prog" = trap ]; then
    if [ "$(wc -l <"$file")" -ne 1 ] || ! grep -Eq '^(wasi-run|wasmtime-run): trap: .+$' "$file"; then
      WHY="stderr is not the one trap line: $(head -c 200 "$file" | tr '\n' '|')"
      return 1
    fi
    return 0
  fi
  if [ -f "$expected_dir/$prog.stderr" ]; then
    cmp -s "$file" "$expected_dir/$prog.stderr" && return 0
    WHY="stderr differs: $(first_diff "$expected_dir/$prog.stderr" "$file")"
    return 1
  fi
  if [ -s "$file" ]; then
    WHY="unexpected stderr: $(head -c 200 "$file" | tr '\n' '|')"
    return 1
  fi
  return 0
}

expected_status() {
  case "$1" in
    exit_code) echo 3 ;;
    trap) echo 134 ;;
    *) echo 0 ;;
  esac
}

for engine in $engines; do
  if ! engine_bin "$engine" >/dev/null 2>&1; then
    report SKIP "$engine" "all programs" "unknown engine"
    continue
  fi
  if ! engine_available "$engine"; then
    for prog in "${PROGRAMS[@]}"; do
      report SKIP "$engine" "$prog" "engine not installed ($(engine_bin "$engine")); run scripts/bootstrap.sh"
    done
    continue
  fi
  printf '# %s\n' "$(engine_version "$engine")"
  noargs=0
  if [[ "$NOARGS_ENGINES" == *" $engine "* ]]; then
    noargs=1
    printf '# %s passes no args to the guest: args_env and files are checked against *.noargs.stdout\n' "$engine"
  fi
  for variant in $variants; do
    for prog in "${PROGRAMS[@]}"; do
      case_="$prog"
      [ "$variant" = O2 ] || case_="$prog.$variant"
      src="$programs_dir/$prog.wasm"
      [ "$variant" = O0 ] && src="$programs_dir/$prog.O0.wasm"
      if [ ! -f "$src" ]; then
        report SKIP "$engine" "$case_" "no $src"
        continue
      fi
      viapipe=0
      [ "$prog" = print_lots ] && viapipe=1
      run_case "$engine" "$variant" "$prog" 1 "$viapipe"
      WHY=
      want="$(expected_status "$prog")"
      if [ "$RUN_RC" -ne "$want" ]; then
        WHY="exit status $RUN_RC, expected $want; stderr: $(head -c 200 "$RUN_DIR/stderr" | tr '\n' '|')"
      elif ! check_stderr "$prog" "$engine" "$RUN_DIR/stderr"; then
        :
      else
        case "$prog" in
          clock)
            if ! r="$(check_clock "$RUN_DIR/stdout")"; then WHY="stdout format: $r"; fi ;;
          random)
            if ! r="$(check_random "$RUN_DIR/stdout")"; then
              WHY="stdout format: $r"
            else
              first="$RUN_DIR/stdout"
              run_case "$engine" "$variant" "$prog" 2
              if [ "$RUN_RC" -ne 0 ]; then
                WHY="second run: exit status $RUN_RC"
              elif ! r="$(check_random "$RUN_DIR/stdout")"; then
                WHY="second run: stdout format: $r"
              elif [ "$(head -1 "$first")" = "$(head -1 "$RUN_DIR/stdout")" ] ||
                   [ "$(sed -n 3p "$first")" = "$(sed -n 3p "$RUN_DIR/stdout")" ]; then
                WHY="two runs produced the same random bytes"
              fi
            fi ;;
          *)
            base="$expected_dir/$prog.stdout"
            if [ $noargs = 1 ] && { [ -f "$expected_dir/$prog.noargs.stdout" ] || [ -f "$expected_dir/$prog.noargs.stdout.sha256" ]; }; then
              base="$expected_dir/$prog.noargs.stdout"
            fi
            check_exact_stdout "$RUN_DIR/stdout" "$base" || true ;;
        esac
      fi
      if [ -z "$WHY" ]; then
        report ok "$engine" "$case_"
      else
        report FAIL "$engine" "$case_" "$WHY"
      fi
    done
  done
done

printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ] || exit 1
# Nothing ran at all (no engine installed): 77, CTest's SKIP_RETURN_CODE.
if [ "$passed" -eq 0 ] && [ "$skipped" -gt 0 ]; then exit 77; fi
exit 0
