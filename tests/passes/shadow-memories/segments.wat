;; Every memory the host can reach, imported or exported, gets a shadow one
;; page larger; active data segments initialise the shadow too, at offset +
;; 2048; passive ones are left to memory.init. An imported memory may be
;; larger than declared: its shadow is grown to match at instantiation
;; (HOST_MEMORY_GROW recorded) by a start routine, which then copies its
;; segments in from passive copies. A memory the host cannot reach (neither
;; imported nor exported) gets no shadow.
(module
  (import "env" "mem" (memory $imported 1 4))
  (memory $own (export "own") 2)
  (memory $private 1)
  (global $base i32 (i32.const 4096))
  (data (memory $imported) (i32.const 16) "hi")
  (data (memory $own) (global.get $base) "there")
  (data (memory $private) (i32.const 8) "mine")
  (data $passive "later")
)
