// What the C++ side of the transform shares between its files: the module
// behind the C handle, and the helper that fills an srr_error.
#ifndef SHADOWRR_MODULE_INTERNAL_H
#define SHADOWRR_MODULE_INTERNAL_H

#include "wasm.h"

#include "shadowrr_transform.h"

struct srr_module {
  wasm::Module wasm;
  // SHA-256 of the bytes the module was parsed from: a trace names its module
  // by it.
  uint8_t sha256[32];
};

// printf-style; folds the message onto one line.
void srr_set_error(srr_error* err, const char* fmt, ...)
  __attribute__((format(printf, 2, 3)));

#endif // SHADOWRR_MODULE_INTERNAL_H
