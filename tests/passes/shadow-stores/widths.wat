;; Stores of each kind write the memory and, at the same address with the
;; offset moved by 2048, the shadow. Address and value are evaluated once.
(module
  (memory (export "memory") 1)
  (func $stores (param $p i32) (param $v v128)
    (i32.store8 offset=3 (local.get $p) (i32.const 7))
    (i64.store (local.get $p) (i64.const -1))
    (f32.store offset=4294967295 (local.get $p) (f32.const 1.5))
    (v128.store (local.get $p) (local.get $v))
    (v128.store16_lane 3 (local.get $p) (local.get $v))
    (i32.atomic.store (local.get $p) (i32.const 9)))
)
