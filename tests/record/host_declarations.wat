;; What host_declarations.mjs drives: the guest reads what the host wrote
;; through WASI's argument and environment lists (whose sizes an earlier
;; *_sizes_get call gave), between export calls, from inside an import that
;; calls back into an export, and after an import declared pure. Every read
;; is host-free code, which runs unchecked while the memory is synced.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "env" "callback" (func $callback (param i32 i32) (result i32)))
  (import "env" "tick" (func $tick))
  ;; 64 pages: more than the eager allowance, so an unknown host event leaves
  ;; the memory unsynced and only the bytes read are recorded.
  (memory (export "memory") 64)
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
  ;; Host-free: the first pointer of a list and the first byte it points to.
  (func $first (param $list i32) (result i32)
    (i32.add (i32.load (local.get $list)) (i32.load8_u (i32.load (local.get $list)))))
  ;; Sizes at 256 and 260, the argument list at 512, its strings at 1024; the
  ;; environment's at 264/268, 2048 and 4096. Reads only the first entry of
  ;; each list: the rest of what the host wrote is in the trace only if the
  ;; calls' writes were reconciled as they returned.
  (func (export "lists") (result i32) (local $s i32)
    (local.set $s (call $args_sizes_get (i32.const 256) (i32.const 260)))
    (local.set $s (i32.add (local.get $s) (call $args_get (i32.const 512) (i32.const 1024))))
    (local.set $s (i32.add (local.get $s) (call $environ_sizes_get (i32.const 264) (i32.const 268))))
    (local.set $s (i32.add (local.get $s) (call $environ_get (i32.const 2048) (i32.const 4096))))
    (i32.add (local.get $s) (i32.add (call $first (i32.const 512)) (call $first (i32.const 2048)))))
  ;; The host writes [p, p+n) and calls "sum" back from inside the import.
  (func (export "callback_sum") (param $p i32) (param $n i32) (result i32)
    (call $callback (local.get $p) (local.get $n)))
  ;; An import declared pure, then a read.
  (func (export "tick_then_sum") (param $p i32) (param $n i32) (result i32)
    (call $tick)
    (call $sum (local.get $p) (local.get $n))))
