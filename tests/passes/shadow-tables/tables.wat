;; An externref table the host can write (exported here; imported ones too)
;; gets a shadow table that follows the guest's own writes: a read that finds
;; an element null where its shadow is not, or the other way round, records
;; the host's write (HOST_TABLE_SET); a table larger than its shadow, the
;; host's growth (srr$table-sync). table.copy first reconciles its source
;; range. A private table is left alone.
(module
  (table $t (export "t") 2 externref)
  (table $p 2 externref)
  (elem (table $t) (i32.const 1) externref (ref.null extern))
  (elem $passive externref (ref.null extern))
  (func $get (param $i i32) (result externref)
    (table.get $t (local.get $i)))
  (func $set (param $i i32) (param $r externref)
    (table.set $t (local.get $i) (local.get $r)))
  (func $more (param $n i32) (result i32)
    (table.fill $t (i32.const 0) (ref.null extern) (table.size $t))
    (table.init $t $passive (i32.const 0) (i32.const 0) (i32.const 1))
    (table.grow $t (ref.null extern) (local.get $n)))
  (func $copy
    (table.copy $p $t (i32.const 0) (i32.const 0) (i32.const 2))
    (table.copy $t $p (i32.const 0) (i32.const 1) (i32.const 1)))
  (func $private (result externref)
    (table.get $p (i32.const 0)))
)
