;; binaryen drops declarative element segments when it reads a binary, which
;; shifts later segment indexes. shadowrr keeps them (as passive segments
;; dropped at start). Each export's result or trap must be the same before
;; and after `shadowrr instrument --mode identity`.
(module
  (type $t (func (result i32)))
  (table $tab 4 funcref)
  (func $one (type $t) (i32.const 1))
  (func $two (type $t) (i32.const 2))
  (elem $declared declare func $one)
  (elem $passive func $two)
  (global $seen (mut i32) (i32.const 0))
  (func $start (global.set $seen (i32.const 7)))
  (start $start)
  ;; table.init of the passive segment (index 1): fills slot 0 with $two.
  (func (export "init_passive") (result i32)
    (table.init $tab $passive (i32.const 0) (i32.const 0) (i32.const 1))
    (call_indirect (type $t) (i32.const 0)))
  ;; table.init of the declarative segment: it counts as dropped, so copying
  ;; one element traps.
  (func (export "init_declared") (result i32)
    (table.init $tab $declared (i32.const 0) (i32.const 0) (i32.const 1))
    (i32.const 0))
  ;; Copying zero elements of a dropped segment is allowed.
  (func (export "init_declared_empty") (result i32)
    (table.init $tab $declared (i32.const 0) (i32.const 0) (i32.const 0))
    (i32.const 3))
  ;; The module's own start function still ran.
  (func (export "start_ran") (result i32) (global.get $seen))
  (func (export "ref_is_null") (result i32) (ref.is_null (ref.func $one)))
)
