;; Two memories, one imported: each access counts once, whichever memory it uses.
(module
  (import "env" "shared" (memory $a 1))
  (memory $b 2)
  (func $both (param $p i32)
    (i32.store $a (local.get $p) (i32.load $b (local.get $p)))
    (memory.copy $a $b (i32.const 0) (i32.const 0) (i32.const 4))
    (drop (memory.size $b)))
)
