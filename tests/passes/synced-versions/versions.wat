;; A function that cannot reach the host gets a synced copy inline and its
;; checked copy out of line ($leaf$checked, with a budget tick); a function
;; that calls an import keeps its code but its host-free loop is versioned
;; per iteration; an indirect call to a type whose only table entry calls the
;; host keeps its loop unversioned; code without loads is left alone. A
;; host-free loop whose only load has a fixed address ($calls) is not
;; versioned: that load is checked once, before the loop.
;; Checked code ($caller$checked, and the checked arm of a versioned loop)
;; calls $leaf$checked directly; the synced copies call $leaf.
(module
  (import "env" "host" (func $host (param i32)))
  (type $t (func (param i32)))
  (memory (export "memory") 1)
  (table 1 funcref)
  (elem (i32.const 0) $calls_host)
  (func $leaf (param $p i32) (result i32)
    (i32.load (local.get $p)))
  (func $calls_host (param $p i32)
    (call $host (local.get $p))
    (loop $again
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $again (i32.load8_u (local.get $p))))
    (loop $calls
      (br_if $calls (i32.add (call $leaf (local.get $p)) (i32.load8_u offset=1 (local.get $p))))))
  (func $caller (param $p i32) (result i32)
    (i32.add (call $leaf (local.get $p)) (i32.load offset=4 (local.get $p))))
  (func $indirect (param $p i32)
    (loop $again
      (call_indirect (type $t) (local.get $p) (i32.const 0))
      (br_if $again (i32.load8_u (local.get $p)))))
  (func $no_loads (param $p i32)
    (i32.store (local.get $p) (i32.const 1)))
)
