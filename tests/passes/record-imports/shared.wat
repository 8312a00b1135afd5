;; Imports alike but for their names (not WASI's, of one signature, neither
;; declared pure) share one wrapper, which takes the import's number: the
;; module's direct calls pass it, and each import keeps a wrapper of its own
;; that forwards to the shared one, for the table, ref.func and the export.
(module
  (import "env" "start" (func $start (param i32) (result i32)))
  (import "env" "end" (func $end (param i32) (result i32)))
  (import "env" "other" (func $other (param i64) (result i32)))
  (memory (export "memory") 1)
  (table 1 funcref)
  (elem (i32.const 0) $end)
  (export "end" (func $end))
  (func $main (result i32)
    (drop (call $start (i32.const 1)))
    (drop (call $other (i64.const 2)))
    (call $end (i32.const 3)))
)
