// The trace header body (docs/trace-format.md) that describes a module: the
// recorder writes it at the start of a trace, and the replayer compares a
// trace's header with it.
#ifndef SHADOWRR_TRACE_HEADER_H
#define SHADOWRR_TRACE_HEADER_H

#include <cstdint>
#include <vector>

#include "wasm.h"

#include "record_context.h"

namespace srr {

// The value type code of the trace format (srr_value_type) for a type a
// trace can hold (numbers, vectors, funcref, externref); 0 for another.
uint8_t traceTypeCode(wasm::Type type);

// Builds the header body for `wasm` as the user gave it (before any
// transform adds to it): its function imports and exports with their
// signatures, the given memories (index, name) and host-changeable globals,
// the module's SHA-256 and name (may be NULL), and the flags.
std::vector<char> buildTraceHeader(wasm::Module& wasm, const uint8_t sha256[32], const char* moduleName,
                                   const std::vector<std::pair<uint32_t, wasm::Name>>& memories,
                                   const std::vector<HostGlobal>& globals, uint32_t flags);

} // namespace srr

#endif // SHADOWRR_TRACE_HEADER_H
