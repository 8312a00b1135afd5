;; Every memory, defined or imported, gets a shadow one page larger; active
;; data segments initialise the shadow too, at offset + 2048; passive ones are
;; left to memory.init. An imported memory may be larger than declared: its
;; shadow is grown to match at instantiation (HOST_MEMORY_GROW recorded) by a
;; start routine, which then copies its segments in from passive copies.
(module
  (import "env" "mem" (memory $imported 1 4))
  (memory $own 2)
  (global $base i32 (i32.const 4096))
  (data (memory $imported) (i32.const 16) "hi")
  (data (memory $own) (global.get $base) "there")
  (data $passive "later")
)
