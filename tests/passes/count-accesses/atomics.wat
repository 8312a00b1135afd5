;; Atomics on an unshared memory are valid wasm, so they must be counted (and
;; later instrumented) although shared memories are refused.
(module
  (memory 1 1)
  (func $atomics (param $p i32)
    (drop (i32.atomic.load (local.get $p)))
    (i64.atomic.store8 (local.get $p) (i64.const 1))
    (drop (i32.atomic.rmw.add (local.get $p) (i32.const 1)))
    (drop (i64.atomic.rmw16.cmpxchg_u (local.get $p) (i64.const 0) (i64.const 1)))
    (drop (memory.atomic.notify (local.get $p) (i32.const 1)))
    (drop (memory.atomic.wait32 (local.get $p) (i32.const 0) (i64.const 0))))
)
