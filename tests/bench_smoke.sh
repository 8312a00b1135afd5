#!/usr/bin/env bash
# bench_smoke: the benchmark harness end to end, quickly (a smoke test of
# bench/shadowrr_bench.c, not a performance test: no number is judged).
# Runs `shadowrr-bench --quick --engine node` into a scratch folder, then
# checks that it succeeded, printed its table, and wrote a result JSON that
# `shadowrr-bench --check` accepts (it parses; every measured entry has
# positive plain, record and replay times, as many as the runs, with ratios
# that are their medians' quotients; the summary has record and replay
# geomeans; the SVG is beside it).
#
#   bench_smoke.sh SHADOWRR_BENCH SCRATCH_DIR
#
# Prints one line per failure and, last, "N passed, N failed". Exit 0 when
# nothing failed, 1 otherwise, 77 (skip) when node 24 is not installed.
set -u
bench="$1"
scratch="$2"
rm -rf "$scratch"
mkdir -p "$scratch" || { echo "FAIL cannot create $scratch"; echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

"$bench" --quick --engine node --out "$scratch" >"$scratch/bench.stdout" 2>"$scratch/bench.stderr"
rc=$?
if [ $rc -ne 0 ] && grep -q "engine not installed" "$scratch/bench.stderr"; then
  echo "SKIP: $(tail -1 "$scratch/bench.stderr")"
  exit 77
fi
if [ $rc -eq 0 ]; then pass; else fail "shadowrr-bench --quick exited $rc: $(tail -1 "$scratch/bench.stderr")"; fi
if grep -q "^geomean record/plain: " "$scratch/bench.stdout"; then pass; else fail "no record summary in the table on stdout"; fi
if grep -q "^geomean replay/plain: " "$scratch/bench.stdout"; then pass; else fail "no replay summary in the table on stdout"; fi

shopt -s nullglob
json=("$scratch"/*-node.json)
if [ ${#json[@]} -ne 1 ]; then
  fail "expected one <date>-node.json in $scratch, found ${#json[@]}"
  finish
fi
pass
check="$("$bench" --check "${json[0]}")"
# All but --check's own closing line, then its counts added to ours.
printf '%s\n' "$check" | sed '$d'
last="$(printf '%s\n' "$check" | tail -1)"
if [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
  passed=$((passed + BASH_REMATCH[1]))
  failed=$((failed + BASH_REMATCH[2]))
else
  fail "shadowrr-bench --check ended with '$last'"
fi
finish
