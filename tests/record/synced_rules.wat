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
  ;; Host-free loops whose loads have the same address in every iteration:
  ;; their checks run once, before the loop (loop_invariant_checks.cpp).
  ;; Reads the 16 bytes [p, p+16) `iters` times, in four widths; the loads
  ;; under the condition never run and are out of bounds (the hoisted check
  ;; must not trap).
  (func (export "fixed_sum") (param $p i32) (param $iters i32) (result i32) (local $s i32) (local $w i64)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $iters)))
        (local.set $w (i64.load offset=4 (local.get $p)))
        (local.set $s (i32.add (local.get $s) (i32.add (i32.load (local.get $p))
          (i32.add (i32.wrap_i64 (local.get $w)) (i32.wrap_i64 (i64.shr_u (local.get $w) (i64.const 32)))))))
        (local.set $s (i32.add (local.get $s) (i32.add (i32.load16_u offset=12 (local.get $p))
          (i32.add (i32.load8_u offset=14 (local.get $p)) (i32.load8_u offset=15 (local.get $p))))))
        (if (i32.eq (local.get $iters) (i32.const -1))
          (then (local.set $s (i32.add (i32.load (i32.const -4)) (i32.load offset=65536 (i32.const -65536))))))
        (local.set $iters (i32.sub (local.get $iters) (i32.const 1)))
        (br $next)))
    (local.get $s))
  ;; Nested loops: the inner loop reads the same word `iters` times, the outer
  ;; one moves to the next word: hoisted out of the inner loop only.
  (func (export "rows_sum") (param $p i32) (param $rows i32) (param $iters i32) (result i32) (local $s i32) (local $i i32)
    (block $done
      (loop $row
        (br_if $done (i32.eqz (local.get $rows)))
        (local.set $i (local.get $iters))
        (block $row_done
          (loop $again
            (br_if $row_done (i32.eqz (local.get $i)))
            (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
            (local.set $i (i32.sub (local.get $i) (i32.const 1)))
            (br $again)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $row)))
    (local.get $s))
  ;; A loop long enough to spend the budget, then a read.
  (func (export "spin_then_sum") (param $p i32) (param $n i32) (param $iters i32) (result i32) (local $x i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $iters)))
        ;; an address that changes, so this loop's loads stay checked (a
        ;; fixed one would be checked once, before the loop, and spend nothing)
        (local.set $x (i32.add (local.get $x) (i32.load8_u (i32.and (local.get $iters) (i32.const 255)))))
        (local.set $iters (i32.sub (local.get $iters) (i32.const 1)))
        (br $next)))
    (i32.add (local.get $x) (call $sum (local.get $p) (local.get $n))))
)
