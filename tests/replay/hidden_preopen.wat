;; What a guest sees of `shadowrr record` without --dir: nothing. The trace
;; goes into a directory of its own, preopened as "/.shadowrr", which the
;; recorder hides (recorder_abi.h, srr_rec_hidden_fd): fd 3, the first
;; preopen a runtime would number, must answer EBADF (8) to fd_prestat_get
;; and fd_close, as in a plain run without preopens. Exits 0 if both do, else
;; 10 + the fd_prestat_get errno (a plain run with a preopen: 10).
(module
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $p i32) (local $c i32)
    (local.set $p (call $prestat (i32.const 3) (i32.const 16)))
    (local.set $c (call $close (i32.const 3)))
    (call $exit (select (i32.const 0) (i32.add (i32.const 10) (local.get $p))
                        (i32.and (i32.eq (local.get $p) (i32.const 8)) (i32.eq (local.get $c) (i32.const 8)))))))
