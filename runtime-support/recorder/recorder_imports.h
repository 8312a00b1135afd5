/*
 * recorder_imports.h: how the recorder (recorder.c, freestanding wasm32)
 * imports the host functions of recorder_abi.h section 2 (module "shadowrr")
 * that only it uses; the shared ones, the WASI preview1 calls of section 3
 * and the WASI constants are in ../wasi_imports.h. Internal to
 * runtime-support/recorder/.
 */
#ifndef SHADOWRR_RECORDER_IMPORTS_H
#define SHADOWRR_RECORDER_IMPORTS_H

#include <stdint.h>

#include "recorder_abi.h"
#include "wasi_imports.h"

SRR_HOST_IMPORT(srr_host_memory_count) uint32_t srr_host_memory_count(void);
/* 1 if app memory `memory` has a shadow, else 0: a memory no host writes
 * unnoticed has none, and what the host wrote there is recorded as it is. */
SRR_HOST_IMPORT(srr_host_shadowed) uint32_t srr_host_shadowed(uint32_t memory);
SRR_HOST_IMPORT(srr_host_shadow_read)
void srr_host_shadow_read(uint32_t memory, uint32_t app_src, uint32_t rs_dst, uint32_t size);
SRR_HOST_IMPORT(srr_host_shadow_write)
void srr_host_shadow_write(uint32_t memory, uint32_t app_dst, uint32_t rs_src, uint32_t size);

#endif /* SHADOWRR_RECORDER_IMPORTS_H */
