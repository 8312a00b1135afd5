;; A store whose operand never yields (it is typed unreachable) never writes:
;; it stays as it is, without a shadow store (the spec's br, return and
;; unreachable tests have such stores).
(module
  (memory (export "memory") 1)
  (func $unreachable_stores (param $p i32) (param $v v128)
    (block $out
      (i32.store (br $out) (i32.const 1))
      (i64.store (local.get $p) (br $out))
      (v128.store32_lane 1 (local.get $p) (unreachable))
      (i32.store (local.get $p) (i32.const 2))))
)
