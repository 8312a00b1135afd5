;; memory.copy reconciles its source range before copying in both memories;
;; fill and init write both; grow grows both and records the result. With a
;; memory the host cannot reach ($private, no shadow): a copy out of it
;; copies the same bytes into the destination's shadow, a copy into it only
;; reconciles its source, and its growth is recorded.
(module
  (memory (export "memory") 1)
  (memory $private 1)
  (data $d "abc")
  (func $bulk (param $p i32) (result i32)
    (memory.copy (local.get $p) (i32.const 0) (i32.const 16))
    (memory.fill (local.get $p) (i32.const 255) (i32.const 4))
    (memory.init $d (local.get $p) (i32.const 0) (i32.const 3))
    (memory.grow (i32.const 2)))
  (func $across (param $p i32) (result i32)
    (memory.copy 0 $private (local.get $p) (i32.const 0) (i32.const 8))
    (memory.copy $private 0 (i32.const 0) (local.get $p) (i32.const 8))
    (memory.fill $private (i32.const 0) (i32.const 1) (i32.const 4))
    (memory.grow $private (i32.const 1)))
)
