// count-accesses: counts every instruction that touches a linear memory, by
// kind. It changes nothing. It exists so that the instrumenting passes can be
// checked against an independent disassembler: a kind of access this pass
// does not know would be a kind the shadow-memory transform could miss.
//
//  Input:
//   (func $f (param $p i32)
//    (i32.store8 (local.get $p) (i32.load16_u offset=2 (local.get $p)))
//    (drop (memory.grow (i32.const 1)))
//    (memory.copy (i32.const 0) (i32.const 8) (i32.const 4)))
//
//  Counts:
//   load 1, store 1, memory_grow 1, memory_copy 1
//
// The atomics are counted although shadowrr refuses shared memories: an atomic
// on an unshared memory is valid wasm and must still be instrumented.

#include "pass.h"
#include "wasm-traversal.h"
#include "wasm.h"

#include "../module_internal.h"

using namespace wasm;

namespace {

struct CountAccesses : public WalkerPass<PostWalker<CountAccesses>> {
  srr_access_counts* counts;

  explicit CountAccesses(srr_access_counts* counts) : counts(counts) {}

  bool modifiesBinaryenIR() override { return false; }

  void note(srr_access_kind kind) { counts->count[kind]++; }

  void visitLoad(Load* curr) {
    note(curr->isAtomic() ? SRR_ACCESS_ATOMIC_LOAD : SRR_ACCESS_LOAD);
  }
  void visitStore(Store* curr) {
    note(curr->isAtomic() ? SRR_ACCESS_ATOMIC_STORE : SRR_ACCESS_STORE);
  }
  void visitSIMDLoad(SIMDLoad*) { note(SRR_ACCESS_SIMD_LOAD); }
  void visitSIMDLoadStoreLane(SIMDLoadStoreLane* curr) {
    note(curr->isStore() ? SRR_ACCESS_SIMD_LANE_STORE : SRR_ACCESS_SIMD_LANE_LOAD);
  }
  void visitAtomicRMW(AtomicRMW*) { note(SRR_ACCESS_ATOMIC_RMW); }
  void visitAtomicCmpxchg(AtomicCmpxchg*) { note(SRR_ACCESS_ATOMIC_CMPXCHG); }
  void visitAtomicWait(AtomicWait*) { note(SRR_ACCESS_ATOMIC_WAIT); }
  void visitAtomicNotify(AtomicNotify*) { note(SRR_ACCESS_ATOMIC_NOTIFY); }
  void visitMemoryInit(MemoryInit*) { note(SRR_ACCESS_MEMORY_INIT); }
  void visitMemoryCopy(MemoryCopy*) { note(SRR_ACCESS_MEMORY_COPY); }
  void visitMemoryFill(MemoryFill*) { note(SRR_ACCESS_MEMORY_FILL); }
  void visitMemorySize(MemorySize*) { note(SRR_ACCESS_MEMORY_SIZE); }
  void visitMemoryGrow(MemoryGrow*) { note(SRR_ACCESS_MEMORY_GROW); }
  void visitDataDrop(DataDrop*) { note(SRR_ACCESS_DATA_DROP); }
};

const char* const kKindNames[SRR_ACCESS_KIND_COUNT] = {
  "load",           "store",          "simd_load",     "simd_lane_load",
  "simd_lane_store", "atomic_load",   "atomic_store",  "atomic_rmw",
  "atomic_cmpxchg", "atomic_wait",    "atomic_notify", "memory_init",
  "memory_copy",    "memory_fill",    "memory_size",   "memory_grow",
  "data_drop",
};

} // namespace

extern "C" {

const char* srr_access_kind_name(srr_access_kind kind) {
  return unsigned(kind) < SRR_ACCESS_KIND_COUNT ? kKindNames[kind] : "unknown";
}

int srr_count_accesses(srr_module* module, srr_access_counts* counts, srr_error* err) {
  *counts = srr_access_counts{};
  try {
    PassRunner runner(&module->wasm);
    runner.add(std::make_unique<CountAccesses>(counts));
    runner.run();
  } catch (std::exception& e) {
    srr_set_error(err, "count-accesses failed: %s", e.what());
    return 1;
  }
  return 0;
}

} // extern "C"
