;; Three memories, for the identity transform and for --single-memory
;; (binaryen's multi-memory-lowering and shadowrr's checks around it):
;; per-memory sizes, growth up to each memory's own maximum, data of the
;; later memories kept when an earlier one grows (the lowering moves them),
;; the grown part zeros (not what the moved memories left there), copies
;; between memories. No export goes out of bounds: that is where a
;; lowered module differs (see srr_module_lower_memories).
;; single-memory: same behaviour
(module
  (memory $a (export "memory") 1 3)
  (memory $b 1)
  (memory $c 2 2)
  (data (memory $b) (i32.const 16) "\2a\00\00\00")
  (data (memory $c) (i32.const 70000) "\07\00\00\00")

  (func $sizes (result i32)
    (i32.add (i32.mul (memory.size $a) (i32.const 100))
      (i32.add (i32.mul (memory.size $b) (i32.const 10)) (memory.size $c))))
  (func (export "1_sizes") (result i32) (call $sizes))
  (func (export "2_read_b") (result i32) (i32.load $b (i32.const 16)))
  (func (export "3_grow_a_past_max") (result i32) (memory.grow $a (i32.const 5)))
  (func (export "4_store_b") (result i32)
    (i32.store $b (i32.const 65532) (i32.const 99)) (i32.const 0))
  (func (export "5_grow_a") (result i32) (memory.grow $a (i32.const 2)))
  (func (export "6_sizes") (result i32) (call $sizes))
  (func (export "7_read_b_after") (result i32)
    (i32.add (i32.load $b (i32.const 16)) (i32.load $b (i32.const 65532))))
  (func (export "8_read_c_after") (result i32) (i32.load $c (i32.const 70000)))
  ;; what memory a grew by is zeros (in the lowered memory, where $b was)
  (func (export "8b_read_grown_a") (result i32)
    (i32.or (i32.load $a (i32.const 65552)) (i32.load $a (i32.const 131068))))
  (func (export "9_grow_a_at_max") (result i32) (memory.grow $a (i32.const 1)))
  (func (export "a_grow_c") (result i32) (memory.grow $c (i32.const 1)))
  (func (export "b_grow_b") (result i32) (memory.grow $b (i32.const 3)))
  (func (export "c_copy_b_to_a") (result i32)
    (memory.copy $a $b (i32.const 190000) (i32.const 16) (i32.const 4))
    (i32.load $a (i32.const 190000)))
  (func (export "d_fill_c") (result i32)
    (memory.fill $c (i32.const 131068) (i32.const 5) (i32.const 4))
    (i32.load $c (i32.const 131068)))
  (func (export "e_sizes") (result i32) (call $sizes))
  (func (export "f_read_c_end") (result i32) (i32.load $c (i32.const 70000))))
