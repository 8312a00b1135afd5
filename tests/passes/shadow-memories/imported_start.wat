;; An imported memory may be larger than its import declares (here data sits
;; at 65535 of a memory declared with 0 pages): shadow-init grows its shadow
;; to the memory's real size, recording HOST_MEMORY_GROW, copies the
;; segment's shadow in, then calls the module's own start function.
(module
  (import "env" "mem" (memory $m 0))
  (data (i32.const 65535) "a")
  (func $init (i32.store8 (i32.const 65534) (i32.const 1)))
  (start $init)
)
