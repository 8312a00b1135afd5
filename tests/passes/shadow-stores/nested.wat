;; Stores share scratch locals for their address and value, except a store
;; whose value holds another store: that inner store runs between the outer
;; one's address and its use, so the outer store takes locals of its own.
(module
  (memory (export "memory") 1)
  (func $nested (param $p i32)
    (i32.store (local.get $p)
      (block (result i32)
        (i32.store offset=4 (local.get $p) (i32.const 1))
        (i32.const 2)))
    (i32.store offset=8 (local.get $p) (i32.const 3)))
)
