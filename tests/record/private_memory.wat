;; What private_memory.mjs drives: a memory the host can write ($shared,
;; exported) and one it cannot ($private, neither imported nor exported, so
;; the recording gives it no shadow and instruments none of its accesses).
;; Bytes cross between the two by memory.copy in both directions; the guest
;; reports what it read through an import, whose arguments the replay checks.
(module
  (import "env" "fill" (func $fill (param i32 i32)))
  (import "env" "report" (func $report (param i32)))
  (memory $shared (export "memory") 1)
  (memory $private 1 4)
  (func $sum_private (param $p i32) (param $n i32) (result i32) (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (i32.add (local.get $s) (i32.load8_u $private (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $s))
  (func $sum_shared (param $p i32) (param $n i32) (result i32) (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (i32.add (local.get $s) (i32.load8_u $shared (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $s))
  ;; The host writes $shared during an import; the guest copies the bytes
  ;; into $private and reads them there: the copy's source is recorded.
  (func (export "copy_in") (param $p i32) (param $n i32) (result i32) (local $s i32)
    (call $fill (local.get $p) (local.get $n))
    (memory.copy $private $shared (i32.const 4096) (local.get $p) (local.get $n))
    (local.set $s (call $sum_private (i32.const 4096) (local.get $n)))
    (call $report (local.get $s))
    (local.get $s))
  ;; The guest writes $private, copies it into $shared and reads it there:
  ;; the shadow of $shared gets the same bytes, so nothing is recorded.
  (func (export "copy_out") (param $p i32) (param $n i32) (result i32) (local $i i32) (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 $private (i32.add (i32.const 8192) (local.get $i))
                    (i32.add (i32.mul (local.get $i) (i32.const 3)) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (memory.copy $shared $private (local.get $p) (i32.const 8192) (local.get $n))
    (local.set $s (call $sum_shared (local.get $p) (local.get $n)))
    (call $report (local.get $s))
    (local.get $s))
  ;; Growing $private: the result is still recorded.
  (func (export "grow") (result i32)
    (memory.grow $private (i32.const 1)))
)
