// replay-host-calls (passes/replay_host_calls.cpp): the replay's answers to
// the guest's calls of functions the recording's host put into a funcref
// table (HOST_FUNCREF_CALL).
#ifndef SHADOWRR_REPLAY_HOST_CALLS_H
#define SHADOWRR_REPLAY_HOST_CALLS_H

#include <functional>
#include <map>
#include <vector>

#include "wasm-builder.h"
#include "wasm.h"

#include "replay_internal.h"

namespace srr {

// A host-written funcref table of the replay and its marker table, whose
// non-null elements are those the recording's host set.
struct HostMarkedTable {
  wasm::Name table, marker;
  uint32_t index;    // the table's trace index (TABLE)
  wasm::Name clear;  // (start, count): clears markers, as far as they go
  wasm::Name follow; // grows the marker table to its table's size
};

// Adds a marker table (and its helpers) for each funcref table of `tables`
// (trace index, name); returns them by table name.
std::map<wasm::Name, HostMarkedTable> addHostMarkers(wasm::Module& wasm,
                                                     const std::vector<std::pair<uint32_t, wasm::Name>>& tables);

// The most arguments plus results of a call_indirect of `functions` through
// a marked table (what a HOST_FUNCREF_CALL of it carries), or 0.
uint32_t hostCallValues(wasm::Module& wasm, const std::vector<wasm::Function*>& functions,
                        const std::map<wasm::Name, HostMarkedTable>& marked);

// The replayer put `value` (a stand-in or null) into element `element` of
// marked.table: the same into its marker. `element` is evaluated once.
wasm::Expression* setHostMarker(wasm::Builder& b, const HostMarkedTable& marked, wasm::Expression* element,
                                wasm::Expression* value);

// The pass over `functions` (the guest's): call_indirect through a marked
// table asks the replayer when the element is marked (or when the global
// `mayCallHost`, which srr_host_set_may_call_host sets, says the next event
// may be a host call and srr_rep_is_host_call says it is); the guest's
// table writes keep the markers. `standIn` makes the stand-in for a
// non-null reference the host function returned.
void replayHostCalls(wasm::Module& wasm, const std::vector<wasm::Function*>& functions,
                     const std::map<wasm::Name, HostMarkedTable>& marked, wasm::Name mayCallHost,
                     const ReplayerFunctions& rep,
                     const std::function<wasm::Expression*(wasm::Builder&, wasm::Type)>& standIn);

} // namespace srr

#endif // SHADOWRR_REPLAY_HOST_CALLS_H
