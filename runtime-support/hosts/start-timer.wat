;; start-timer.wat: times the `_start` call for `wasmtime-run.sh --start-times`.
;;
;; wizer runs only its main module's init function, so for --start-times
;; wasmtime-run.sh makes the main module a 123-byte wrapper (built in the
;; script) whose `_start` calls, in order:
;;   shadowrr_start_timer.begin   (this module, preloaded)
;;   shadowrr_app._start          (the program, preloaded: compiled and
;;                                 instantiated before, so outside the timing)
;;   shadowrr_start_timer.end
;; end writes one marker to the guest's stderr (fd 2), as bench-stub.wat does
;; for bench.start/bench.end but with its own tag:
;;   "\1eshadowrr-start " <begin: 16 hex digits> " " <end: 16 hex digits> "\1e"
;; A separate module (own memory) so that the program's own bench.start /
;; bench.end calls cannot disturb these timestamps. If the program ends with
;; proc_exit or a trap, end never runs and there is no marker.
(module
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0: begin (i64)  8: end (i64)  16: iovec  24: nwritten  64..113: marker
  (data (i32.const 64) "\1eshadowrr-start ")

  ;; Writes $v as 16 lowercase hex digits at $at.
  (func $hex (param $v i64) (param $at i32)
    (local $i i32) (local $d i32)
    (loop $next
      (local.set $d
        (i32.wrap_i64
          (i64.and
            (i64.shr_u (local.get $v)
              (i64.extend_i32_u (i32.shl (i32.sub (i32.const 15) (local.get $i)) (i32.const 2))))
            (i64.const 15))))
      (i32.store8 (i32.add (local.get $at) (local.get $i))
        (select (i32.add (local.get $d) (i32.const 48))
                (i32.add (local.get $d) (i32.const 87))
                (i32.lt_u (local.get $d) (i32.const 10))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 16)))))

  (func (export "begin")
    ;; clock 1 = monotonic
    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 0))))

  (func (export "end")
    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 8)))
    (call $hex (i64.load (i32.const 0)) (i32.const 80))
    (i32.store8 (i32.const 96) (i32.const 32))
    (call $hex (i64.load (i32.const 8)) (i32.const 97))
    (i32.store8 (i32.const 113) (i32.const 0x1e))
    (i32.store (i32.const 16) (i32.const 64))
    (i32.store (i32.const 20) (i32.const 50))
    (drop (call $fd_write (i32.const 2) (i32.const 16) (i32.const 1) (i32.const 24)))))
