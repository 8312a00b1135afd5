;; helper.wat: exact f32/f64 bit patterns through wasm for replayer_test.mjs
;; (JS numbers may lose NaN payloads). The test embeds its binary:
;;   wat2wasm helper.wat -o helper.wasm && base64 -w0 helper.wasm
(module
  (import "r" "arg_f32" (func $arg_f32 (param f32)))
  (import "r" "arg_f64" (func $arg_f64 (param f64)))
  (import "r" "ret_f32" (func $ret_f32 (result f32)))
  (import "r" "ret_f64" (func $ret_f64 (result f64)))
  (import "r" "xarg_f32" (func $xarg_f32 (result f32)))
  (import "r" "xarg_f64" (func $xarg_f64 (result f64)))
  (import "r" "xres_f32" (func $xres_f32 (param f32)))
  (import "r" "xres_f64" (func $xres_f64 (param f64)))
  (func (export "argF32") (param i32) (call $arg_f32 (f32.reinterpret_i32 (local.get 0))))
  (func (export "argF64") (param i64) (call $arg_f64 (f64.reinterpret_i64 (local.get 0))))
  (func (export "retF32") (result i32) (i32.reinterpret_f32 (call $ret_f32)))
  (func (export "retF64") (result i64) (i64.reinterpret_f64 (call $ret_f64)))
  (func (export "xargF32") (result i32) (i32.reinterpret_f32 (call $xarg_f32)))
  (func (export "xargF64") (result i64) (i64.reinterpret_f64 (call $xarg_f64)))
  (func (export "xresF32") (param i32) (call $xres_f32 (f32.reinterpret_i32 (local.get 0))))
  (func (export "xresF64") (param i64) (call $xres_f64 (f64.reinterpret_i64 (local.get 0))))
)
