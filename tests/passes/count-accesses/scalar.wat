;; Plain loads and stores of every width and type, on one memory.
(module
  (memory 1)
  (func $widths (param $p i32)
    (drop (i32.load (local.get $p)))
    (drop (i32.load8_s offset=1 (local.get $p)))
    (drop (i32.load16_u align=1 (local.get $p)))
    (drop (i64.load32_s (local.get $p)))
    (drop (f32.load (local.get $p)))
    (drop (f64.load (local.get $p)))
    (i32.store8 (local.get $p) (i32.const 1))
    (i64.store32 (local.get $p) (i64.const 2))
    (f64.store (local.get $p) (f64.const 3)))
)
