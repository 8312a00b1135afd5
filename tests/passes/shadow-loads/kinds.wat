;; Loads compare the memory's bytes with the shadow's (floats by their bits,
;; vectors whole) and call the recorder's slow path when they differ.
(module
  (memory (export "memory") 1)
  (func $loads (param $p i32) (result i32)
    (local $v v128)
    (drop (i32.load16_s offset=2 (local.get $p)))
    (drop (f64.load (i32.add (local.get $p) (i32.const 8))))
    (local.set $v (v128.load32_zero (local.get $p)))
    (local.set $v (v128.load8_lane 5 (local.get $p) (local.get $v)))
    (drop (i64.atomic.rmw.add (local.get $p) (i64.const 1)))
    (i32.load (i32.const 64)))
)
