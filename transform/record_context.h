// What the record-mode passes share: where each memory's shadow is and how
// an address maps into it, and the names of the recorder's functions that
// generated code calls.
#ifndef SHADOWRR_RECORD_CONTEXT_H
#define SHADOWRR_RECORD_CONTEXT_H

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pass.h"
#include "wasm.h"

namespace wasm {
class Builder;
}

namespace srr {

// Items that have a shadow (globals, tables), in the order the trace numbers
// them, found by the original item's name.
template <typename Pair>
struct ShadowPairs {
  std::vector<Pair> list;
  std::unordered_map<wasm::Name, size_t> byName;

  void add(wasm::Name original, Pair pair) {
    byName[original] = list.size();
    list.push_back(std::move(pair));
  }
  const Pair* of(wasm::Name original) const {
    auto it = byName.find(original);
    return it == byName.end() ? nullptr : &list[it->second];
  }
  bool empty() const { return list.empty(); }
  typename std::vector<Pair>::iterator begin() { return list.begin(); }
  typename std::vector<Pair>::iterator end() { return list.end(); }
  typename std::vector<Pair>::const_iterator begin() const { return list.begin(); }
  typename std::vector<Pair>::const_iterator end() const { return list.end(); }
};

// The one place that decides where a byte's shadow lives. The shadow of byte
// x of a memory is byte x + kShadowSkew of its shadow memory, which has
// kShadowSparePages more pages than the memory itself. Placing the shadow at
// the same address makes the two accesses alias in the CPU's caches (the
// memories start a large power of two apart): measured on V8 with the naive
// scheme, 2.30x geomean at the same address against 1.49x at x + 2048, at no
// cost per access since the skew goes into the load/store offset immediate.
struct ShadowLayout {
  static constexpr uint64_t kShadowSkew = 2048;
  static constexpr uint64_t kShadowSparePages = 1;
};

// When the checked code pays for a full sync (synced_versions.cpp): after
// this many checked loop iterations or function entries per 64 KiB page of
// the memories. Comparing a page with its shadow costs about as much (1024
// steps of 64 bytes, a few instructions each).
// Host events sync at once while an allowance of pages lasts, which starts
// at kEagerPages and grows each time a budget is spent, up to
// kEagerPagesMax. A sync reads the memory and its shadow whole (measured on
// V8: 16 MiB in 1.4 to 2.9 ms, 30 ms the first time, when the pages are
// first touched), so a program with a larger memory starts unsynced and
// syncs only once its checked work has paid for it (the rent-or-buy rule:
// it never pays more than twice the better of the two). On the 26
// libsodium-s* sightglass benchmarks (16 MiB memories, timed regions of
// 0.02 to 900 ms) syncing at once cost 3.50x geomean, 2.42x without; on the
// wasm-r3 programs, whose timed region is the whole `_start` call (16 MiB
// memories, some under 0.1 ms), syncing at once at `_start` took the record
// geomean on Wasmtime from 1.93x to 5.37x. So only a memory of up to 1 MiB,
// whose first sync costs at most a few hundred microseconds, syncs at its
// first host event.
//
// The first sync costs more: it is the first touch of most pages of the
// memory and its shadow, and every 4 KiB page touched is a page fault. On
// wasm-r3/rfxgen (128 MiB memory, 68 ms plain on V8) the first sync made
// 64K page faults at about 5 us each on this project's VMs, 350 ms, while
// its checked code ran the whole budget of 2M iterations in about 20 ms;
// so the budget before the first sync is kFirstSyncFactor times larger.
struct SyncPolicy {
  static constexpr uint64_t kBudgetPerPage = 1024;
  static constexpr uint64_t kFirstSyncFactor = 16;
  static constexpr int32_t kEagerPages = 16;
  static constexpr int32_t kEagerPagesMax = 1 << 30;
};

// How far a deferred shadow write may lie from the stale range and still
// widen it (deferred_shadow_writes.cpp): a flush then copies at most this
// many bytes the guest did not write, per write.
struct DeferredShadowPolicy {
  static constexpr uint64_t kMergeGap = 64;
};

struct RecordContext {
  // For every application memory, in the original module's order (imported
  // first): its name, its shadow's name, and its index as the trace numbers
  // it.
  struct MemoryPair {
    wasm::Name memory;
    wasm::Name shadow;
    uint32_t index;
  };
  std::vector<MemoryPair> memories;
  std::unordered_map<wasm::Name, size_t> byMemory;
  // The memories the host cannot write (neither imported nor exported, or
  // any memory of a module that is alwaysSynced()), by name, with their
  // index. They
  // get no shadow and none of their accesses is instrumented; only their
  // memory.grow results are recorded (shadow_memories.cpp).
  std::unordered_map<wasm::Name, uint32_t> privateMemories;
  // Every application memory, shadowed or private, as (index, name) in
  // index order: the trace header lists them all.
  std::vector<std::pair<uint32_t, wasm::Name>> allMemories() const;

  // The recorder's functions (internal names after merging).
  wasm::Name recBegin, recI32, recI64, recF32, recF64, recV128, recEnd;
  wasm::Name recLoadMismatch, recReconcile, recReconcileIovecs, recMemoryGrow, recHostMemoryGrow, recFinish;
  wasm::Name recOverwritten, recReconcileRead;
  wasm::Name recStarted;
  // The load slow path specialised per memory (its index) and access width
  // (addLoadMismatchHelpers): a checked load passes only its address.
  std::map<std::pair<uint32_t, uint32_t>, wasm::Name> loadMismatchHelpers;
  // The checks hoisted out of loops, per memory index and width
  // (loop_invariant_checks.cpp), made on first use.
  std::map<std::pair<uint32_t, uint32_t>, wasm::Name> checkSpanHelpers;

  // The synced state (synced_versions.cpp): the flag that is 0 while every
  // memory equals its shadow, the checked work left before a full sync, and
  // the function that does it. Unset names: no synced versions (a pass
  // preview), and the wrappers do not touch the flag.
  wasm::Name unsynced, syncBudget, syncEager, syncAll, syncSpent, hostWrote;
  // srr_record_options.host_writes_in_calls: the host writes the memories
  // and tables only while the guest calls out to it. Then `guestDepth`
  // counts the export calls under way (1 until the start function ends),
  // and only an export called inside another guest call (from a host
  // function the guest called) is a host write (record_exports.cpp).
  bool hostWritesInCalls = false;
  wasm::Name guestDepth;
  // Whether every function the application imports (the recorder's own
  // imports are not counted) writes only what is known when it returns: a
  // WASI preview1 function of wasi_writes.h's table (or proc_exit, which
  // does not return), or an import declared pure. None of them writes a
  // table or calls an export.
  bool functionImportsKnown = true;
  // ...and the application imports nothing else (memory, table, global,
  // tag), which the host could write or hand a function of its own through.
  bool importsKnown = true;
  // The host cannot put a function of its own into an exported table before
  // the guest calls through it: it writes tables only while the guest calls
  // it, and no import the guest calls writes one.
  bool hostTablesClosed() const { return hostWritesInCalls && functionImportsKnown; }
  // Nothing can ever leave the memories unsynced: the host writes only while
  // the guest calls it, and every call that lets it write says, when it
  // returns, which bytes it may have written (record_imports.cpp,
  // afterHostWrites). No memory then needs a shadow (shadow_memories.cpp):
  // those bytes are recorded as they are.
  // A --reads-only build (srr_record_options.reads_only) is never: it
  // measures what the guest reads of the host's writes, so its loads are
  // checked and its memories keep their shadows.
  bool readsOnly = false;
  bool alwaysSynced() const { return hostWritesInCalls && importsKnown && !readsOnly; }
  // srr_record_options.pure_imports: imports that leave the memories and
  // tables as the guest left them (record_imports.cpp, afterHostWrites).
  std::set<wasm::Name> pureImports;
  // The last sizes the guest's args_sizes_get and environ_sizes_get
  // answered (wasi_writes.h, WasiList), made when the import wrappers first
  // need them: mutable, as the wrappers only read the rest of the context.
  struct WasiListSizes {
    wasm::Name count, bytes;
  };
  mutable std::map<uint32_t, WasiListSizes> wasiListSizes;
  // Accesses in code that runs only while synced, and loads whose check was
  // hoisted before their loop (loop_invariant_checks.cpp): shadow-loads and
  // shadow-bulk leave out their checks and reconciles.
  std::unordered_set<wasm::Expression*> syncedOnly;
  bool isSyncedOnly(wasm::Expression* curr) const { return syncedOnly.count(curr) != 0; }
  // Deferred shadow writes (deferred_shadow_writes.cpp), per memory index:
  // the stale range's globals and the helpers that flush and widen it; only
  // for memories a synced-only memory.copy or memory.fill writes.
  // `flushStale` makes every shadow exact again and `overwriteStale` records
  // what is still stale as host-written (an export call after a trap).
  // Unset: nothing is deferred.
  struct StaleRange {
    wasm::Name first, last, flush, widen;
  };
  std::map<uint32_t, StaleRange> staleRanges;
  wasm::Name flushStale, overwriteStale;
  bool defersShadowWrites(wasm::Name memory) const {
    return isShadowed(memory) && staleRanges.count(pairOf(memory).index) != 0;
  }
  wasm::Name recHostTableSet, recHostTableGrow;
  // Set to 1 by every guest function a funcref can name, cleared before a
  // call through a host-written funcref table (or call_ref) and when an
  // export returns to the host: still 0 after such a call, the callee was
  // the host's own function, which may have written the memories
  // (shadow_tables.cpp, addGuestEntryMarks). Unset: no such calls.
  wasm::Name guestEntered;
  // Hide SHADOWRR_TRACE from the guest's environ calls (recorder_abi.h). A
  // pass preview without them (unset names) generates no calls to them.
  wasm::Name recEnvironSizesFixup, recEnvironPrepare, recEnvironFixup;
  // The trace's own preopen, hidden from the guest's fd-taking WASI calls
  // (recorder_abi.h, srr_rec_hidden_fd). Unset: no hiding.
  wasm::Name recHiddenFd;

  // Every mutable global the host can change (exported or imported), with
  // its shadow, its index as the trace numbers it, and how the trace names
  // it (export name, or "module.name" of the import).
  struct GlobalPair {
    wasm::Name global;
    wasm::Name shadow;
    uint32_t index;
    wasm::Type type;
    std::string name;
  };
  ShadowPairs<GlobalPair> globals;
  const GlobalPair* globalPairOf(wasm::Name global) const { return globals.of(global); }

  // Shadow copies of data segments into imported memories, left passive by
  // shadow-memories: shadow-init copies them in at instantiation, once the
  // shadow has the memory's real size. The offset is the shadow's (skewed).
  struct DeferredSegment {
    wasm::Name segment;
    wasm::Name shadow;
    wasm::Expression* offset;
    uint32_t size;
  };
  std::vector<DeferredSegment> deferredSegments;

  // Every table the host can write (hostWritableTables), with its
  // shadow, its index (the module's), and the helpers addTableHelpers makes:
  // `sync` (the host grew it: record, grow the shadow) and `reconcile`
  // (start, count: record the differing elements of a range).
  struct TablePair {
    wasm::Name table;
    wasm::Name shadow;
    uint32_t index;
    wasm::Name sync;
    wasm::Name reconcile;
  };
  ShadowPairs<TablePair> tables;
  const TablePair* tablePairOf(wasm::Name table) const { return tables.of(table); }
  // Shadow copies of element segments into imported tables, left passive:
  // shadow-init copies them in (as deferredSegments).
  std::vector<DeferredSegment> deferredElements;

  const MemoryPair& pairOf(wasm::Name memory) const { return memories[byMemory.at(memory)]; }
  bool isShadowed(wasm::Name memory) const { return byMemory.count(memory) != 0; }
};

// The record-mode passes, one per file under passes/.
std::unique_ptr<wasm::Pass> createShadowStoresPass(const RecordContext* context);
std::unique_ptr<wasm::Pass> createShadowLoadsPass(const RecordContext* context);
// The helpers shadow-loads calls on a mismatch, one per memory and access
// width: $srr$load_mismatch$<memory>$<bytes> (param address). Needs the
// recorder's functions; before the shadow-loads pass.
void addLoadMismatchHelpers(wasm::Module& wasm, RecordContext& context);
std::unique_ptr<wasm::Pass> createShadowBulkPass(const RecordContext* context);
void addShadowMemories(wasm::Module& wasm, RecordContext& context);
// shadow-init (shadow_memories.cpp): the shadows of imported memories sized
// and filled at instantiation, before the module's own start function. Needs
// the recorder's functions; does nothing for a module without imported
// memories.
void addShadowInit(wasm::Module& wasm, const RecordContext& context);
// The boundary's check of one memory against its shadow (record_imports.cpp).
wasm::Expression* hostGrowthCheck(wasm::Builder& builder, const RecordContext& context,
                                  const RecordContext::MemoryPair& pair);
// A mutable global the host can change: exported, or imported. Record and
// replay number them alike, in module order.
// A global the host sets: an exported or imported mutable one, or an
// imported immutable one (its value, once).
struct HostGlobal {
  wasm::Name global;
  uint32_t index;
  wasm::Type type;
  std::string name; // export name, or "module.name" of the import
};
std::vector<HostGlobal> hostChangeableGlobals(wasm::Module& wasm);
void addShadowGlobals(wasm::Module& wasm, RecordContext& context);
std::unique_ptr<wasm::Pass> createShadowGlobalSetsPass(const RecordContext* context);

// The synced state (synced_versions.cpp): the flag, the budget and
// $srr$sync_all. Needs the recorder's functions.
void addSyncState(wasm::Module& wasm, RecordContext& context);
// Gives the functions (the application's own) their synced copies; after
// addSyncState, before the shadow passes. Appends to `functions` the checked
// copies it adds, which the shadow passes must rewrite too.
void addSyncedVersions(wasm::Module& wasm, RecordContext& context, std::vector<wasm::Function*>& functions);
// deferred-shadow-writes (deferred_shadow_writes.cpp): the stale ranges of
// the memories that synced-only bulk writes write, and their helpers; after
// addGuestEntryMarks (a module whose funcref calls can reach the host defers
// nothing), before addLoadMismatchHelpers and the passes. Needs the
// recorder's functions.
void addDeferredShadowWrites(wasm::Module& wasm, RecordContext& context);
// What a synced-only memory.copy or memory.fill into `memory` does instead of
// writing the shadow: widens the stale range by [dest, dest + size) (locals
// holding the operation's operands; after the operation).
wasm::Expression* deferShadowWrite(wasm::Builder& builder, const RecordContext& context, wasm::Name memory,
                                   wasm::Index dest, wasm::Index size);
// loop-invariant-checks (loop_invariant_checks.cpp), for a loop that cannot
// reach the host: lists its loads whose address is the same in every
// iteration as synced-only, and returns the code that checks them once, to
// run before the loop (null if there are none). Needs addSyncState.
wasm::Expression* hoistInvariantChecks(wasm::Module& wasm, RecordContext& context, wasm::Loop* loop);

// An externref or funcref table the host can write: exported or imported.
// Record and replay number them by the module's own table index.
struct HostTable {
  wasm::Name table;
  uint32_t index;
};
std::vector<HostTable> hostWritableTables(wasm::Module& wasm);
// shadow-tables (shadow_tables.cpp): the shadow tables and their element
// segments (false with `error` for a table64); after the recorder is merged,
// the helpers; the pass over the application's functions; and the size check
// that the boundary and the pass use.
bool addShadowTables(wasm::Module& wasm, RecordContext& context, std::string& error);
void addTableHelpers(wasm::Module& wasm, RecordContext& context);
// The guestEntered mark, where a call can reach the host's own functions
// through a funcref: a host-written funcref table (such a call is recorded
// as HOST_FUNCREF_CALL), or a call_ref while the memories may be synced:
// after addSyncedVersions (the mark goes at the
// entry of each of `functions` a funcref can name), before the passes.
void addGuestEntryMarks(wasm::Module& wasm, RecordContext& context, const std::vector<wasm::Function*>& functions);
std::unique_ptr<wasm::Pass> createShadowTablesPass(const RecordContext* context);
wasm::Expression* tableSizeCheck(wasm::Builder& builder, const RecordContext::TablePair& pair);

// The event-boundary check (host memory growth), added as a function; returns
// its name, or no name when there is nothing to check (no shadow, table or
// global the host may change): a call of an empty function still costs an
// engine that compiles lazily one compilation inside the guest's first call.
wasm::Name addBoundaryCheck(wasm::Module& wasm, const RecordContext& context);

// Whether `import` writes only what afterHostWrites (record_imports.cpp)
// records when it returns: RecordContext::functionImportsKnown.
bool writesKnownOnReturn(const RecordContext& context, wasm::Function& import);
// Wraps the given imported functions (in function-import order) and function
// exports (in export order); false with `error` set if a signature cannot be
// recorded.
bool wrapImports(wasm::Module& wasm, const RecordContext& context, const std::vector<wasm::Function*>& imports,
                 wasm::Name boundary, std::string& error);
bool wrapExports(wasm::Module& wasm, const RecordContext& context,
                 const std::vector<std::pair<wasm::Name, wasm::Name>>& exports, wasm::Name boundary,
                 std::string& error);

} // namespace srr

#endif // SHADOWRR_RECORD_CONTEXT_H
