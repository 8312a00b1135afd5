;; A reactor driven by a JS host (host_interaction.mjs) that does everything a
;; host can do behind the guest's back: writes memory during an import, grows
;; memory, changes an exported global, calls back into an export from inside
;; an import (re-entrancy), and returns values of every type; and traps
;; (in the guest, in an export called back during an import, in the host
;; during an import), after which the host goes on calling it; passes it
;; references (recorded as whether they are null), and writes and grows a
;; table of them.
(module
  (import "env" "fill" (func $fill (param i32 i32)))          ;; host writes [ptr, ptr+len)
  (import "env" "grow" (func $grow (param i32) (result i32))) ;; host grows memory
  (import "env" "callback" (func $callback (param i32) (result i32))) ;; host calls "twice"
  (import "env" "values" (func $values (param i64 f32 f64) (result f64)))
  (memory (export "memory") 1)
  (global $counter (export "counter") (mut i32) (i32.const 0))
  ;; sum of bytes [ptr, ptr+len) after the host filled them
  (func (export "sum") (param $ptr i32) (param $len i32) (result i32)
    (local $i i32) (local $s i32)
    (call $fill (local.get $ptr) (local.get $len))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $s (i32.add (local.get $s)
          (i32.load8_u (i32.add (local.get $ptr) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $s))
  (func (export "grow_by_host") (param $pages i32) (result i32)
    (drop (call $grow (local.get $pages)))
    (memory.size))
  (func (export "twice") (param $x i32) (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (i32.mul (local.get $x) (i32.const 2)))
  (func (export "reenter") (param $x i32) (result i32)
    (i32.add (call $callback (local.get $x)) (i32.const 1)))
  (func (export "read_counter") (result i32) (global.get $counter))
  ;; traps when $b is 0
  (func (export "divide") (param $a i32) (param $b i32) (result i32)
    (i32.div_s (local.get $a) (local.get $b)))
  ;; keeps $r; says which of $r (1) and $f (2) are null; gives $f back
  (table $kept (export "kept_table") 1 externref)
  (func (export "keep") (param $r externref) (param $f funcref) (result i32 funcref)
    (table.set $kept (i32.const 0) (local.get $r))
    (i32.or (ref.is_null (local.get $r)) (i32.shl (ref.is_null (local.get $f)) (i32.const 1)))
    (local.get $f))
  (func (export "kept") (result externref) (table.get $kept (i32.const 0)))
  (func (export "kept_size") (result i32) (table.size $kept))
  (func (export "mixed") (param $a i64) (result f64)
    (call $values (local.get $a) (f32.const 1.5) (f64.const -0.25)))
)
