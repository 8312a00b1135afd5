;; Exports passing funcref and externref are wrapped too: a reference goes
;; into the trace as whether it is null (1 for a non-null one). The guest can
;; only store, pass on, call and test for null what it is given.
(module
  (table $t 2 externref)
  (func $keep (export "keep") (param $r externref) (param $f funcref) (result i32 funcref)
    (table.set $t (i32.const 0) (local.get $r))
    (i32.const 7)
    (local.get $f))
  (func $get (export "get") (param $i i32) (result externref)
    (table.get $t (local.get $i)))
)
