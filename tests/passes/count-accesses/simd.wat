;; SIMD: full-width, splat/extend/zero loads, and lane loads and stores.
(module
  (memory 1)
  (func $simd (param $p i32)
    (local $v v128)
    (local.set $v (v128.load (local.get $p)))
    (v128.store offset=16 (local.get $p) (local.get $v))
    (drop (v128.load8_splat (local.get $p)))
    (drop (v128.load16x4_u (local.get $p)))
    (drop (v128.load64_zero (local.get $p)))
    (local.set $v (v128.load32_lane 1 (local.get $p) (local.get $v)))
    (v128.store8_lane 15 (local.get $p) (local.get $v)))
)
