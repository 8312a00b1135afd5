;; A funcref table the host can write (imported here; exported ones too), in
;; a module that imports no function (one that does is refused): it is
;; shadowed as an externref table is, by null-ness, and a call_indirect
;; through it checks the element it calls first, recording a host write
;; (HOST_TABLE_SET) before the call. The module's own element segment on the
;; imported table is copied into the shadow by shadow-init, once the shadow
;; has the table's real size.
(module
  (type $ii (func (param i32) (result i32)))
  (import "host" "table" (table $t 1 funcref))
  (elem (table $t) (i32.const 0) func $double)
  (func $double (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (func (export "call") (param $i i32) (param $x i32) (result i32)
    (call_indirect $t (type $ii) (local.get $x) (local.get $i)))
)
