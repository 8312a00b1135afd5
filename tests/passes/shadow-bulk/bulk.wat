;; memory.copy reconciles its source range before copying in both memories;
;; fill and init write both; grow grows both and records the result.
(module
  (memory 1)
  (data $d "abc")
  (func $bulk (param $p i32) (result i32)
    (memory.copy (local.get $p) (i32.const 0) (i32.const 16))
    (memory.fill (local.get $p) (i32.const 255) (i32.const 4))
    (memory.init $d (local.get $p) (i32.const 0) (i32.const 3))
    (memory.grow (i32.const 2)))
)
