#!/usr/bin/env bash
# wasmtime-run.sh: runs a WASI preview1 command module on Wasmtime, by way of
# wizer (npm @bytecodealliance/wizer-linux-x64, which embeds Wasmtime): wizer
# instantiates the module with WASI, runs `_start` as its "init function",
# and writes a snapshot we throw away (-o /dev/null).
#
# usage: wasmtime-run.sh [--dir HOST[::GUEST]]... [--env K=V]... [--inherit-env]
#                        [--stdin FILE] [--stdout FILE] [--stderr FILE]
#                        [--bench-times FILE] [--start-times FILE] module.wasm [args...]
#
# The same options as wasi-run.mjs, with these differences:
#  * ARGS ARE NOT PASSED. wizer gives its init function no command line: the
#    guest sees argc == 0 (not even argv[0]). Any args given here are ignored.
#  * Environment: the guest sees exactly the --env variables; wizer is run as
#    `env -i K=V... wizer --inherit-env true ...`, so nothing of this
#    script's environment leaks in. With --inherit-env the guest instead sees
#    wizer's environment, i.e. this script's (which bash has touched: PWD,
#    SHLVL, _); for an exact inherited environment prefer --env.
#  * bench.start / bench.end come from bench-stub.wat (preloaded); the
#    timestamps are Wasmtime's WASI monotonic clock (its own origin, so only
#    elapsed_ns compares with the JS hosts).
#  * --start-times FILE times the `_start` call alone (the same JSON shape).
#    wizer calls only its main module's init function, so then the main
#    module is a tiny wrapper (written into the temp dir below) whose `_start`
#    calls shadowrr_start_timer.begin, the program's `_start` and
#    shadowrr_start_timer.end; the program and start-timer.wat are preloaded
#    (compiled and instantiated before the wrapper runs, so outside the
#    timing), and the timer's stderr marker becomes the JSON. The fields are
#    null when `_start` does not return (proc_exit, even with 0, or a trap).
#    Unknown imports of the program are then a link error (exit 2), not a
#    trap at the call.
#  * Guest stdout goes straight to this script's stdout (or --stdout FILE).
#    Guest stderr is captured and written out at exit (after wizer's own
#    error report has been removed from it).
#
# What wizer 11 itself does (found by experiment):
#   _start returns          -> wizer exit 0, nothing added to stderr
#   proc_exit(N), any N     -> wizer exit 1, stderr gets (after the guest's
#                              own stderr) "Error: the `_start` function
#                              trapped\n\nCaused by:\n  0: error while
#                              executing at wasm backtrace: ...\n  1: Exited
#                              with i32 exit status N" (plus a Rust stack
#                              backtrace when RUST_BACKTRACE is set)
#                              -- even for proc_exit(0)
#   trap                    -> wizer exit 1, same report ending with
#                              "wasm trap: <what>"
#   unknown import          -> not a link error: the call traps with "unknown
#                              import: `mod::name` has not been defined"
#   invalid / missing file, no _start export -> exit 1, "Error: ..." alone
#   table.set (and the other reference-types instructions) in the main
#                              module -> exit 1, "unsupported `table.set`
#                              instruction", before anything runs; not in a
#                              preloaded module: such a program is run again,
#                              preloaded behind a wrapper (below)
# This script normalizes that to the wasi-run.mjs convention:
#   exit status = the guest's exit code (0 when _start returns);
#   trap -> "wasmtime-run: trap: <what>" on stderr, exit 134;
#   cannot read / validate / link the module -> one line
#   "wasmtime-run: <file>: <message>", exit 2; usage errors exit 2;
#   wizer killed by a signal -> its status (128+N) with a one-line note;
#   anything wizer reports that is none of these -> exit 70 with its text.
#
# The wizer binary is $SHADOWRR_WIZER, else
# ${XDG_CACHE_HOME:-$HOME/.cache}/shadowrr/engines/node_modules/@bytecodealliance/wizer-linux-x64/wizer.
# Needs bash and perl (perl-base is part of every Debian system).

set -u
PROG=wasmtime-run
HOSTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WIZER="${SHADOWRR_WIZER:-${XDG_CACHE_HOME:-$HOME/.cache}/shadowrr/engines/node_modules/@bytecodealliance/wizer-linux-x64/wizer}"

die() { printf '%s: %s\n' "$PROG" "$1" >&2; exit "${2:-2}"; }
usage() {
  die "usage: wasmtime-run.sh [--dir HOST[::GUEST]]... [--env K=V]... [--inherit-env] [--stdin FILE] [--stdout FILE] [--stderr FILE] [--bench-times FILE] [--start-times FILE] module.wasm [args...]"
}

dir_flags=()
env_vars=()
inherit_env=0
stdin_file=
stdout_file=
stderr_file=
bench_file=
start_file=
while [ $# -gt 0 ]; do
  opt="$1"
  val=
  has_inline=0
  case "$opt" in
    --*=*) val="${opt#*=}"; opt="${opt%%=*}"; has_inline=1 ;;
  esac
  case "$opt" in
    --dir|--env|--stdin|--stdout|--stderr|--bench-times|--start-times)
      if [ $has_inline = 0 ]; then
        [ $# -ge 2 ] || die "$opt needs a value"
        val="$2"; shift
      fi ;;
  esac
  case "$opt" in
    --dir)
      if [[ "$val" == *::* ]]; then
        host="${val%%::*}"; guest="${val#*::}"
      else
        host="$val"; guest="$val"
      fi
      [ -d "$host" ] || die "--dir $host: no such directory"
      if [ "$host" = "$guest" ]; then dir_flags+=(--dir "$host"); else dir_flags+=(--mapdir "$guest::$host"); fi ;;
    --env)
      [[ "$val" == ?*=* ]] || die "--env wants K=V, got '$val'"
      env_vars+=("$val") ;;
    --inherit-env) inherit_env=1 ;;
    --stdin) stdin_file="$val" ;;
    --stdout) stdout_file="$val" ;;
    --stderr) stderr_file="$val" ;;
    --bench-times) bench_file="$val" ;;
    --start-times) start_file="$val" ;;
    --) shift; break ;;
    -h|--help) usage ;;
    -?*) die "unknown option $opt" ;;
    *) break ;;
  esac
  shift
done
[ $# -ge 1 ] || usage
module="$1"
shift
# "$@" (the guest's args) is deliberately dropped: see the header.

[ -x "$WIZER" ] || die "wizer not found at $WIZER (run scripts/bootstrap.sh or set SHADOWRR_WIZER)" 2
if [ ! -f "$module" ] || [ ! -r "$module" ]; then die "$module: no such file" 2; fi
if [ -n "$stdin_file" ]; then [ -r "$stdin_file" ] || die "$stdin_file: cannot read"; fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/wasmtime-run.XXXXXX")" || die "cannot make a temp dir" 70
trap 'rm -rf "$tmp"' EXIT
errf="$tmp/stderr"

if [ $inherit_env = 1 ]; then
  envcmd=(env)
else
  envcmd=(env -i)
fi
# env treats its first non-assignment word as the command; an --env value
# with no '=' cannot reach here.
main_module=("$module")
if [ -n "$start_file" ]; then
  # The --start-times wrapper, in the text format:
  #   (module
  #     (import "shadowrr_start_timer" "begin" (func $begin))
  #     (import "shadowrr_app" "_start" (func $app))
  #     (import "shadowrr_start_timer" "end" (func $end))
  #     (func (export "_start") (call $begin) (call $app) (call $end)))
  wrapper='\x00asm\x01\x00\x00\x00'                                    # magic, version
  wrapper+='\x01\x04\x01\x60\x00\x00'                                  # type 0: [] -> []
  wrapper+='\x02\x4f\x03\x14shadowrr_start_timer\x05begin\x00\x00'     # 3 imports
  wrapper+='\x0cshadowrr_app\x06_start\x00\x00'
  wrapper+='\x14shadowrr_start_timer\x03end\x00\x00'
  wrapper+='\x03\x02\x01\x00'                                          # func 3: type 0
  wrapper+='\x07\x0a\x01\x06_start\x00\x03'                            # export _start
  wrapper+='\x0a\x0a\x01\x08\x00\x10\x00\x10\x01\x10\x02\x0b'          # call 0, 1, 2
  # shellcheck disable=SC2059  # the escapes are the point
  printf "$wrapper" >"$tmp/start-wrapper.wasm" \
    || die "cannot write $tmp/start-wrapper.wasm" 70
  main_module=(--preload "shadowrr_start_timer=$HOSTS_DIR/start-timer.wat"
    --preload "shadowrr_app=$module" "$tmp/start-wrapper.wasm")
fi
# One run of wizer on main_module: sets status (see below) and rc.
run_wizer() {
  cmd=("${envcmd[@]}" "${env_vars[@]}" "$WIZER"
    --allow-wasi --init-func _start --inherit-stdio true --inherit-env true
    --wasm-multi-memory true --wasm-simd true --wasm-bulk-memory true
    --preload "bench=$HOSTS_DIR/bench-stub.wat"
    "${dir_flags[@]}" -o /dev/null "${main_module[@]}")

  # wizer runs as a background child so that a signal sent to this script
  # (e.g. by `timeout`) can be passed on to it. The explicit `<&0` keeps our
  # stdin (bash would give a background job /dev/null).
  (
    if [ -n "$stdin_file" ]; then exec <"$stdin_file"; fi
    if [ -n "$stdout_file" ]; then exec >"$stdout_file" || exit 125; fi
    exec "${cmd[@]}" 2>"$errf"
  ) <&0 &
  child=$!
  for sig in TERM INT HUP; do
    # shellcheck disable=SC2064
    trap "kill -$sig $child 2>/dev/null" "$sig"
  done
  wait "$child"
  rc=$?
  while kill -0 "$child" 2>/dev/null; do  # wait was cut short by a signal
    wait "$child"
    rc=$?
  done
  trap - TERM INT HUP

  if [ -n "$stderr_file" ]; then
    guest_err="$stderr_file"
    # (Appended to, when it is also the --stdout file.)
    if [ "$stderr_file" != "$stdout_file" ]; then : >"$stderr_file" || die "$stderr_file: cannot write"; fi
  else
    guest_err=-
  fi

  # Split wizer's stderr into the guest's part and wizer's report; classify.
  # Prints one status line: "exit N", "trap MESSAGE", "load MESSAGE" or
  # "other MESSAGE".
  status="$(perl -e '
    use strict; no warnings "portable";
    my ($errf, $rc, $out, $bench, $start) = @ARGV;
    local $/; open(my $f, "<", $errf) or die; binmode $f; my $s = <$f>; close $f;
    $s = "" unless defined $s;
    for my $m (["bench", $bench], ["start", $start]) {
      my ($tag, $file) = @$m;
      my @b;
      while ($s =~ s/\x1eshadowrr-$tag ([0-9a-f]{16}) ([0-9a-f]{16})\x1e//) { @b = (hex($1), hex($2)); }
      next if $file eq "";
      open(my $bf, ">", $file) or die "$file: $!";
      if (@b) { printf $bf "{\"start_ns\":%s,\"end_ns\":%s,\"elapsed_ns\":%s}\n", $b[0], $b[1], $b[1] - $b[0]; }
      else { print $bf "{\"start_ns\":null,\"end_ns\":null,\"elapsed_ns\":null}\n"; }
      close $bf;
    }
    my ($guest, $report) = ($s, "");
    if ($rc != 0) {
      # The earliest "Error: " from which everything after its line looks like
      # wizer/anyhow output (blank, "Caused by:", "Stack backtrace:", indented).
      my $p = -1;
      while (($p = index($s, "Error: ", $p + 1)) >= 0) {
        my @l = split /\n/, substr($s, $p), -1;
        shift @l;
        next if grep { !/^(?:|Caused by:|Stack backtrace:|[ \t].*)$/ } @l;
        ($guest, $report) = (substr($s, 0, $p), substr($s, $p));
        last;
      }
    }
    if ($out eq "-") { binmode STDERR; print STDERR $guest; }
    else { open(my $o, ">>", $out) or die "$out: $!"; binmode $o; print $o $guest; close $o; }
    if ($rc == 0) { print "exit 0\n"; exit 0; }
    if ($report eq "" && $rc > 128) { printf "signal wizer was killed by signal %d\n", $rc - 128; exit 0; }
    if ($report eq "") { print "other wizer exited with status $rc\n"; exit 0; }
    my ($head) = $report =~ /\AError: ([^\n]*)/;
    my $bt = index($report, "\nStack backtrace:");
    $report = substr($report, 0, $bt) if $bt >= 0;
    my @causes = map { s/^\s*(?:\d+:\s*)?//r } grep { /^    (?:\d+: )?\S/ && !/^\s+\d+:\s+0x/ } split /\n/, $report;
    @causes = grep { !/^(?:error while executing at wasm backtrace:|note: )/ } @causes;
    if ($report =~ /Exited with i32 exit status (\d+)/) { print "exit $1\n"; }
    elsif ($report =~ /unknown import: `([^`]*)::([^`]*)` has not been defined/) { print "load unknown import: $1.$2 (function)\n"; }
    elsif ($report =~ /.*wasm trap: ([^\n]*)/s) { print "trap $1\n"; }
    elsif ($head =~ /^the `_start` function trapped/) { print "trap ", (@causes ? $causes[-1] : $head), "\n"; }
    elsif ($head =~ /^(?:wasm validation failed|failed to|the Wasm module)/) {
      my ($rest) = $report =~ /\nCaused by:\n(.*)\z/s;
      $rest = defined $rest ? join(" ", split(/\s+/, $rest)) : "";
      $rest =~ s/^\s+//; $rest =~ s/\s*\d+: / /g if $rest =~ /^\d+: /;
      print "load ", $head, ($rest ne "" ? ": $rest" : ""), "\n";
    }
    else { print "other ", join(": ", $head, @causes), "\n"; }
  ' "$errf" "$rc" "$guest_err" "$bench_file" "$start_file")" || die "cannot process wizer's output" 70
}

run_wizer
# wizer refuses some instructions (table.set and the other reference-types
# ones, found by experiment) in its main module, whose state it would
# snapshot, but not in a preloaded one, and refuses before anything runs. So
# a program it refused runs again, preloaded, behind a wrapper whose
# `_start` calls the program's:
#   (module (import "shadowrr_app" "_start" (func $app))
#     (func (export "_start") (call $app)))
if [ -z "$start_file" ] && [[ "$status" == "other "*"unsupported \`"*"\` instruction"* ]]; then
  wrapper='\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00'
  wrapper+='\x02\x17\x01\x0cshadowrr_app\x06_start\x00\x00\x03\x02\x01\x00'
  wrapper+='\x07\x0a\x01\x06_start\x00\x01\x0a\x06\x01\x04\x00\x10\x00\x0b'
  # shellcheck disable=SC2059  # the escapes are the point
  printf "$wrapper" >"$tmp/app-wrapper.wasm" || die "cannot write $tmp/app-wrapper.wasm" 70
  main_module=(--preload "shadowrr_app=$module" "$tmp/app-wrapper.wasm")
  run_wizer
fi

kind="${status%% *}"
msg="${status#* }"
case "$kind" in
  exit) exit "$msg" ;;
  trap) printf '%s: trap: %s\n' "$PROG" "$msg" >&2; exit 134 ;;
  load) printf '%s: %s: %s\n' "$PROG" "$module" "$msg" >&2; exit 2 ;;
  signal) printf '%s: %s: %s\n' "$PROG" "$module" "$msg" >&2; exit "$rc" ;;
  *) printf '%s: %s: %s\n' "$PROG" "$module" "$msg" >&2; exit 70 ;;
esac
