;; timed.wat: a program with a timed region the way sightglass marks one
;; (bench.start / bench.end imports around it), for the passthrough test of
;; replay_programs.mjs: its replay with --passthrough bench.start
;; --passthrough bench.end must call the host's bench.start and bench.end
;; (the launcher's --bench-times then has a time), print what was recorded,
;; and end as recorded. It reads the clock (an import with a host write the
;; replay answers from the trace) and prints "region <n>\n" with n from the
;; clock's low bits, so a replay that took the real clock instead of the
;; recorded one would print something else. The clock is read before the
;; region, which holds nothing but the guest's own work: an engine that
;; compiles lazily must compile nothing of the recorder's or replayer's in it
;; (replay_programs.mjs).
(module
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "bench" "start" (func $bench_start))
  (import "bench" "end" (func $bench_end))
  (memory (export "memory") 1)
  ;; 0: clock (i64)  16: iovec  24: nwritten  64: text "region " + digits + "\n"
  (data (i32.const 64) "region ")

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))

  (func (export "_start")
    (local $n i32) (local $i i32) (local $sum i32)
    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 0)))
    (call $bench_start)
    ;; some work: sum of 0..999999
    (loop $more
      (local.set $sum (i32.add (local.get $sum) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $more (i32.lt_u (local.get $i) (i32.const 1000000))))
    (call $bench_end)
    ;; "region " and the clock's nanoseconds mod 10^6, six digits
    (local.set $n (i32.rem_u (i32.wrap_i64 (i64.load (i32.const 0))) (i32.const 1000000)))
    (local.set $i (i32.const 6))
    (loop $digit
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (i32.const 71) (local.get $i))
        (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digit (local.get $i)))
    (i32.store8 (i32.const 77) (i32.const 10))
    (call $write (i32.const 64) (i32.const 14))
    (drop (local.get $sum))))
