;; A program that imports nothing (no WASI: it cannot write its trace, the
;; recorder keeps it in memory and the launcher's hooks drain it) and exports
;; its memory under another name than "memory" (as wasm-r3's captured web
;; programs do), which is the one WASI would reach. Its run: two memory.grow
;; results (events), a computation over the grown memory, and a trap when the
;; sum is what it must be (an access out of bounds), so that the replay has
;; a visible end to reproduce.
(module
  (memory (export "mem") 1)
  (func (export "_start") (local $i i32) (local $sum i32)
    (drop (memory.grow (i32.const 1)))
    (drop (memory.grow (i32.const 2)))
    (loop $fill
      (i32.store (i32.add (i32.const 65536) (i32.shl (local.get $i) (i32.const 2))) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 1000))))
    (local.set $i (i32.const 0))
    (loop $add
      (local.set $sum (i32.add (local.get $sum)
                               (i32.load (i32.add (i32.const 65536) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $add (i32.lt_u (local.get $i) (i32.const 1000))))
    ;; A load just past the end of the memory: on an engine without
    ;; multi-memory the replay's memories are lowered to one, and the
    ;; replayer's memory follows the guest's there: the load must still trap.
    (if (i32.eq (local.get $sum) (i32.const 499500))
      (then (drop (i32.load (i32.sub (i32.shl (memory.size) (i32.const 16)) (i32.const 2))))))))
