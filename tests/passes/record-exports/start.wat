;; Exports are reached through wrappers recording the host's call and the
;; return; _start's wrapper finishes the trace when it returns. The module's
;; own calls to the functions are not wrapped.
(module
  (memory (export "memory") 1)
  (func $add (export "add") (param $a i32) (param $b i32) (result i32)
    (i32.add (local.get $a) (local.get $b)))
  (func $start (export "_start")
    (drop (call $add (i32.const 1) (i32.const 2))))
)
