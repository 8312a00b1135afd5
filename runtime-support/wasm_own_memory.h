/*
 * wasm_own_memory.h: growing the own memory (memory 0) of the two
 * freestanding wasm32 runtimes (recorder.c, replayer.c), which keep their
 * buffers there, apart from the guest's memories. Internal to
 * runtime-support/.
 */
#ifndef SHADOWRR_WASM_OWN_MEMORY_H
#define SHADOWRR_WASM_OWN_MEMORY_H

#include <stddef.h>
#include <stdint.h>

/* srr_own_memory_ensure's growing, out of line: the inlined common case
 * stays one compare, and an engine that compiles lazily compiles this only
 * when a run needs more memory. */
__attribute__((noinline)) static int srr_own_memory_grow(uint64_t end, uint64_t *top) {
  uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) << 16;
  if (end > have) {
    if (end > (UINT64_C(1) << 32)) {
      return 0;
    }
    uint64_t need = (end - have + 0xffff) >> 16;
    uint64_t more = need < 16 ? 16 : need;
    if (__builtin_wasm_memory_grow(0, (size_t)more) == (size_t)-1 &&
        (more == need || __builtin_wasm_memory_grow(0, (size_t)need) == (size_t)-1)) {
      return 0;
    }
    have = (uint64_t)__builtin_wasm_memory_size(0) << 16;
  }
  *top = have;
  return 1;
}

/* Makes memory 0 exist up to `end` (exclusive). *top is the number of bytes
 * known to exist, kept by the caller so that the common case is one compare.
 * Grows by 1 MiB at least, so that a buffer filled a little at a time does
 * not grow the memory at every step. Returns 1, or 0 when the memory cannot
 * grow that far (past 4 GiB, or the engine refuses). */
static inline int srr_own_memory_ensure(uint64_t end, uint64_t *top) {
  return end <= *top || srr_own_memory_grow(end, top);
}

#endif
