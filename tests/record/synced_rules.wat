;; What synced_rules.mjs drives: the host writes memory during an import and
;; between export calls, and the guest then reads those bytes from code that
;; cannot reach the host (which has an unchecked, synced copy): every rule
;; that lets the recorder skip a check must still record those bytes. The
;; memory's size (PAGES, set by the test) decides whether host events sync at
;; once (small) or leave the memory unsynced until the budget is spent.
(module
  (import "env" "fill" (func $fill (param i32 i32)))
  (memory (export "memory") PAGES)
  ;; Host-free: the sum of the bytes [p, p+n).
  (func $sum (export "sum") (param $p i32) (param $n i32) (result i32) (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $s))
  ;; An import writes; then a host-free loop in this function (which calls
  ;; the host, so only the loop is versioned) reads.
  (func (export "fill_then_sum") (param $p i32) (param $n i32) (result i32) (local $s i32)
    (call $fill (local.get $p) (local.get $n))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $s))
  ;; memory.copy of bytes the host wrote before the call, then a read of the
  ;; copy.
  (func (export "copy_then_sum") (param $d i32) (param $s i32) (param $n i32) (result i32)
    (memory.copy (local.get $d) (local.get $s) (local.get $n))
    (call $sum (local.get $d) (local.get $n)))
  ;; A loop long enough to spend the budget, then a read.
  (func (export "spin_then_sum") (param $p i32) (param $n i32) (param $iters i32) (result i32) (local $x i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $iters)))
        (local.set $x (i32.add (local.get $x) (i32.load8_u (i32.const 0))))
        (local.set $iters (i32.sub (local.get $iters) (i32.const 1)))
        (br $next)))
    (i32.add (local.get $x) (call $sum (local.get $p) (local.get $n))))
)
