;; Mutable globals the host can change (exported, or imported) get shadows;
;; the guest's own global.set writes both, and the event-boundary check
;; records a difference as GLOBAL_CHANGE. Immutable and private globals are
;; left alone.
(module
  (import "env" "tick" (global $tick (mut i64)))
  (global $counter (export "counter") (mut i32) (i32.const 5))
  (global $ratio (export "ratio") (mut f32) (f32.const 0.5))
  (global $private (mut i32) (i32.const 0))
  (global $const (export "limit") i32 (i32.const 10))
  (func $bump (param $x i32)
    (global.set $counter (local.get $x))
    (global.set $private (local.get $x))
    (global.set $tick (i64.const 1)))
)
