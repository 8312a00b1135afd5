/*
 * replayer_imports.h: how the replayer (replayer.c, freestanding wasm32)
 * imports the host functions of replayer_abi.h section 2 (module "shadowrr")
 * that only it uses; the shared ones, the WASI preview1 calls of section 3
 * and the WASI constants are in ../wasi_imports.h. Internal to
 * runtime-support/replay/.
 */
#ifndef SHADOWRR_REPLAYER_IMPORTS_H
#define SHADOWRR_REPLAYER_IMPORTS_H

#include <stdint.h>

#include "replayer_abi.h"
#include "wasi_imports.h"

SRR_HOST_IMPORT(srr_host_embedded_trace_size) uint32_t srr_host_embedded_trace_size(void);
SRR_HOST_IMPORT(srr_host_embedded_trace_copy)
void srr_host_embedded_trace_copy(uint32_t rs_dst, uint32_t offset, uint32_t size);
SRR_HOST_IMPORT(srr_host_memory_grow) int32_t srr_host_memory_grow(uint32_t memory, uint32_t delta);
SRR_HOST_IMPORT(srr_host_global_set) uint32_t srr_host_global_set(uint32_t index, uint64_t low, uint64_t high);
SRR_HOST_IMPORT(srr_host_table_size) uint32_t srr_host_table_size(uint32_t table);
SRR_HOST_IMPORT(srr_host_table_set) void srr_host_table_set(uint32_t table, uint32_t element, uint32_t non_null);
SRR_HOST_IMPORT(srr_host_table_grow) int32_t srr_host_table_grow(uint32_t table, uint32_t delta);
SRR_HOST_IMPORT(srr_host_call_export) void srr_host_call_export(uint32_t index);
SRR_HOST_IMPORT(srr_host_set_may_call_host) void srr_host_set_may_call_host(uint32_t may);
SRR_HOST_IMPORT(srr_host_funcref_call_values) uint32_t srr_host_funcref_call_values(void);
SRR_HOST_IMPORT(srr_host_compiled_events) uint32_t srr_host_compiled_events(void);

#endif /* SHADOWRR_REPLAYER_IMPORTS_H */
