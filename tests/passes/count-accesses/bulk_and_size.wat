;; Bulk memory, data segments and the memory's size.
(module
  (memory 1)
  (data $d "hello")
  (func $bulk (param $p i32)
    (memory.init $d (local.get $p) (i32.const 0) (i32.const 5))
    (data.drop $d)
    (memory.copy (local.get $p) (i32.const 16) (i32.const 4))
    (memory.fill (local.get $p) (i32.const 0) (i32.const 8))
    (drop (memory.grow (i32.const 1)))
    (drop (memory.size)))
)
