;; Every use of an import (call, table, export) goes to a wrapper that
;; records the call and the return, then checks the memories' sizes.
;; proc_exit finishes the trace before it is called.
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "env" "pair" (func $pair (param f32 v128) (result i32 f64)))
  (memory (export "memory") 1)
  (table 1 funcref)
  (elem (i32.const 0) $clock)
  (func $main
    (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 8)))
    (call $pair (f32.const 1) (v128.const i64x2 1 2))
    drop
    drop
    (call $exit (i32.const 3)))
)
