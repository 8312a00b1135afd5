/*
 * wasm_stack.h: the C stack of the two freestanding wasm32 runtimes
 * (recorder.c, replayer.c), linked with --stack-first: the stack grows down
 * from __global_base (where the static data begins), the initial value of
 * the __stack_pointer global, to address 0.
 *
 * A trap unwinds wasm frames without running their epilogues: a runtime
 * function whose frame was live when the trap came (the replayer's driver
 * and export calls, which call the guest; any runtime function, when the
 * stack of the engine runs out inside it) leaves __stack_pointer below where
 * it was, and every trap would leak that much stack. srr_stack_reset() puts
 * it back at the top. It is only right when no frame of the runtime is live:
 * called first thing in an entry point that the host calls at top level
 * after a trap (shadowrr_on_trap, shadowrr_resume), which keeps no frame of
 * its own and does the rest in a function that is not inlined into it.
 * Internal to runtime-support/.
 */
#ifndef SHADOWRR_WASM_STACK_H
#define SHADOWRR_WASM_STACK_H

#include <stdint.h>

extern unsigned char __global_base;

static inline void srr_stack_reset(void) {
  __asm__ volatile(".globaltype __stack_pointer, i32\n\t"
                   "local.get %0\n\t"
                   "global.set __stack_pointer" ::"r"((uint32_t)(uintptr_t)&__global_base));
}

#endif /* SHADOWRR_WASM_STACK_H */
