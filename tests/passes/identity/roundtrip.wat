;; instrument --mode identity: imports, exports, a data segment, a table and a
;; start-less WASI-style entry survive the binary round trip.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 8) "hi\n")
  (table 1 funcref)
  (elem (i32.const 0) $main)
  (global $counter (mut i32) (i32.const 0))
  (func $main (export "_start")
    (i32.store (i32.const 0) (i32.const 8))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
    (global.set $counter (i32.add (global.get $counter) (i32.const 1))))
)
