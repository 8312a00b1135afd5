;; What host_declarations.mjs records with an exported funcref table and no
;; import: with --host-writes-in-calls the host cannot put a function of its
;; own into the table while the guest runs, so the table needs no shadow and
;; the calls through it cannot reach the host.
(module
  (type $step (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 2 funcref)
  (elem (i32.const 0) $double $load)
  (func $double (type $step) (i32.shl (local.get 0) (i32.const 1)))
  (func $load (type $step) (i32.load8_u (local.get 0)))
  ;; Sums f(p), f(p+1), ... for n bytes, f chosen by the byte's parity.
  (func (export "run") (param $p i32) (param $n i32) (result i32) (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (i32.add (local.get $s)
          (call_indirect (type $step) (local.get $p)
            (i32.and (i32.load8_u (local.get $p)) (i32.const 1)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $s)))
