// synced-versions: code that cannot reach the host gets a second copy that
// runs while every memory is known to equal its shadow ("synced"), and that
// copy's loads are not checked.
//
// The global $srr$unsynced is 0 only while no host write can be pending:
//  - it starts at 1 (the host may fill an imported memory, or write the
//    exported one, before the first call), and every call into an export and
//    the return of every import whose writes are not known exactly set it to
//    1 (record_imports.cpp, record_exports.cpp); with host_writes_in_calls
//    (the host writes only while the guest calls it) a module whose memories
//    are its own starts at 0, and only an export called from inside a guest
//    call sets it;
//  - a WASI preview1 import whose writes are known exactly (wasi_writes.h)
//    reconciles those bytes when it returns and leaves the flag alone;
//  - $srr$sync_all compares every memory with its shadow, records every
//    difference (as a load would find it), and sets the flag to 0. It runs
//    when the checked code has spent its budget, a count of checked loop
//    iterations and function entries proportional to the memories' size: a
//    full sync costs about as much as that many checked iterations, so the
//    checks never cost more than twice what the cheaper choice would have.
// Stores are still doubled in both copies, and the guest's memory.grow still
// grows both: the shadow stays exact for the next unsynced stretch.
//
// A host-free loop's loads whose address is the same in every iteration are
// checked once, before the loop (loop_invariant_checks.cpp); a loop left
// with no checked load is not versioned.
//
// A module whose imports all say what they wrote, recorded with
// host_writes_in_calls, is never unsynced (RecordContext::alwaysSynced): no
// access is checked and no code is copied (its memories have no shadow
// either: shadow_memories.cpp).
//
// What may run the synced copy: a function or loop that can reach no import,
// directly or through calls; an indirect call counts as reaching the host
// unless every function that could be its target (all functions of a
// matching type in element segments or behind ref.func, with no table
// imported or exported; or exported, with host_writes_in_calls and no
// function import) cannot. Nothing in such code can set the flag back
// to 1, so once it is 0 on entry it stays 0 to the end.
//
//  Before:
//   (func $sum (param $p i32) (param $n i32) (result i32) (local $s i32)
//    (loop $next
//     (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
//     ...
//     (br_if $next ...))
//    (local.get $s))
//
//  After (function level; a loop of code that can reach the host is
//  versioned per iteration the same way, inside the loop):
//   (func $sum (param $p i32) (param $n i32) (result i32) (local $s i32)
//    (if (result i32) (global.get $srr$unsynced)
//     (then
//      (global.set $srr$sync_budget (i32.sub (global.get $srr$sync_budget) (i32.const 1)))
//      (if (i32.lt_s (global.get $srr$sync_budget) (i32.const 0)) (then (call $srr$sync_all)))
//      (loop $next
//       (if (global.get $srr$unsynced)
//        (then <budget tick> <body: loads checked>)
//        (else <body: loads unchecked>))))
//      (local.get $s))
//     (else <the whole body again: loads unchecked>)))
//
// The shadow-loads and shadow-bulk passes leave out the checks (and
// memory.copy's reconcile) of the accesses listed in
// RecordContext::syncedOnly.

#include <unordered_map>
#include <unordered_set>

#include "ir/find_all.h"
#include "ir/iteration.h"
#include "ir/manipulation.h"
#include "ir/module-utils.h"
#include "ir/names.h"
#include "ir/utils.h"
#include "parsing.h"
#include "wasm-builder.h"
#include "wasm.h"

#include "../record_context.h"

using namespace wasm;

namespace srr {

namespace {

// Which defined functions can never reach the host.
class HostFreeFunctions {
public:
  // `hostTablesClosed`: RecordContext::hostTablesClosed.
  HostFreeFunctions(Module& wasm, const std::vector<Function*>& functions, bool hostTablesClosed) : wasm(wasm) {
    tablesOpen = false;
    for (auto& table : wasm.tables) {
      tablesOpen |= bool(table->imported());
    }
    for (auto& exp : wasm.exports) {
      tablesOpen |= exp->kind == ExternalKind::Table && !hostTablesClosed;
    }
    // Functions that may be called indirectly.
    for (auto& segment : wasm.elementSegments) {
      for (Expression* item : segment->data) {
        for (RefFunc* ref : FindAll<RefFunc>(item).list) {
          escaping.insert(ref->func);
        }
      }
    }
    for (auto& global : wasm.globals) {
      if (global->init) {
        for (RefFunc* ref : FindAll<RefFunc>(global->init).list) {
          escaping.insert(ref->func);
        }
      }
    }
    for (Function* func : functions) {
      for (RefFunc* ref : FindAll<RefFunc>(func->body).list) {
        escaping.insert(ref->func);
      }
      free.insert(func->name);
    }
    // Remove every function that reaches a function not (or no longer) in
    // the set, until nothing changes.
    bool changed = true;
    while (changed) {
      changed = false;
      for (Function* func : functions) {
        if (free.count(func->name) && !isFree(func->body)) {
          free.erase(func->name);
          changed = true;
        }
      }
    }
  }

  bool contains(Name func) const { return free.count(func) != 0; }

  // Whether this code can reach no import, given the functions now in the set.
  bool isFree(Expression* code) const {
    for (Call* call : FindAll<Call>(code).list) {
      if (!free.count(call->target)) {
        return false;
      }
    }
    for (CallIndirect* call : FindAll<CallIndirect>(code).list) {
      if (!indirectFree(call->heapType)) {
        return false;
      }
    }
    for (CallRef* call : FindAll<CallRef>(code).list) {
      Type target = call->target->type;
      if (!target.isRef() || !indirectFree(target.getHeapType())) {
        return false;
      }
    }
    return true;
  }

private:
  bool indirectFree(HeapType type) const {
    if (tablesOpen || !type.isSignature()) {
      return false;
    }
    for (Name name : escaping) {
      Function* target = wasm.getFunction(name);
      if (HeapType::isSubType(target->type.getHeapType(), type) && !free.count(name)) {
        return false;
      }
    }
    return true;
  }

  Module& wasm;
  bool tablesOpen;
  std::unordered_set<Name> escaping;
  std::unordered_set<Name> free;
};

// Whether the code has anything a synced copy would run cheaper: a checked
// load of, or a memory.copy from, a shadowed memory (a private one is never
// checked, nor is a load whose check was hoisted out of its loop).
bool hasCheckedAccess(Expression* code, const RecordContext& context) {
  for (auto* load : FindAll<Load>(code).list) {
    if (context.isShadowed(load->memory) && !context.isSyncedOnly(load)) {
      return true;
    }
  }
  for (auto* load : FindAll<SIMDLoad>(code).list) {
    if (context.isShadowed(load->memory)) {
      return true;
    }
  }
  for (auto* copy : FindAll<MemoryCopy>(code).list) {
    if (context.isShadowed(copy->sourceMemory)) {
      return true;
    }
  }
  for (auto* lane : FindAll<SIMDLoadStoreLane>(code).list) {
    if (lane->isLoad() && context.isShadowed(lane->memory)) {
      return true;
    }
  }
  return false;
}

struct Versioner {
  Module& wasm;
  RecordContext& context;
  const HostFreeFunctions& hostFree;
  Builder builder;

  Versioner(Module& wasm, RecordContext& context, const HostFreeFunctions& hostFree)
    : wasm(wasm), context(context), hostFree(hostFree), builder(wasm) {}

  Expression* unsynced() { return builder.makeGlobalGet(context.unsynced, Type::i32); }

  // budget -= 1; if (budget < 0) sync_all()
  Expression* tick() {
    Expression* spend = builder.makeGlobalSet(
      context.syncBudget, builder.makeBinary(SubInt32, builder.makeGlobalGet(context.syncBudget, Type::i32),
                                             builder.makeConst(Literal(int32_t(1)))));
    Expression* spent = builder.makeIf(builder.makeBinary(LtSInt32, builder.makeGlobalGet(context.syncBudget, Type::i32),
                                                          builder.makeConst(Literal(int32_t(0)))),
                                       builder.makeCall(context.syncSpent, {}, Type::none));
    return builder.makeBlock({spend, spent});
  }

  // The checked copy of each function that has one.
  std::unordered_map<Name, Name> checkedCopyOf;
  // The synced copies made so far, and the checked arms of loops versioned
  // in functions that can reach the host.
  std::unordered_set<Expression*> syncedCopies;
  std::vector<Expression*> checkedArms;

  // A copy of `code` whose accesses run unchecked.
  Expression* syncedCopy(Expression* code) {
    Expression* copy = markSynced(ExpressionManipulator::copy(code, wasm));
    syncedCopies.insert(copy);
    return copy;
  }

  // Lists the accesses of `copy` as running only while synced.
  Expression* markSynced(Expression* copy) {
    for (auto* load : FindAll<Load>(copy).list) {
      context.syncedOnly.insert(load);
    }
    for (auto* load : FindAll<SIMDLoad>(copy).list) {
      context.syncedOnly.insert(load);
    }
    for (auto* lane : FindAll<SIMDLoadStoreLane>(copy).list) {
      context.syncedOnly.insert(lane);
    }
    for (auto* memCopy : FindAll<MemoryCopy>(copy).list) {
      context.syncedOnly.insert(memCopy);
    }
    for (auto* fill : FindAll<MemoryFill>(copy).list) {
      context.syncedOnly.insert(fill);
    }
    return copy;
  }

  // if (unsynced) { tick; checked } else { synced copy }
  Expression* versioned(Expression* checked) {
    Expression* synced = syncedCopy(checked);
    versionLoops(&checked);
    checkedArms.push_back(checked);
    return builder.makeIf(unsynced(), builder.makeSequence(tick(), checked), synced);
  }

  // Versions, per iteration, the outermost loops under *where that cannot
  // reach the host and have accesses to gain on, once the checks of their
  // loop-invariant loads are hoisted before them (loop_invariant_checks.cpp).
  void versionLoops(Expression** where) {
    Expression* curr = *where;
    if (auto* loop = curr->dynCast<Loop>()) {
      if (hostFree.isFree(loop->body)) {
        Expression* hoisted = hoistInvariantChecks(wasm, context, loop);
        if (hasCheckedAccess(loop->body, context)) {
          loop->body = versioned(loop->body);
          loop->finalize();
        }
        if (hoisted) {
          *where = builder.makeSequence(hoisted, loop);
        }
        return;
      }
    }
    for (Expression*& child : ChildIterator(curr)) {
      versionLoops(&child);
    }
  }

  // A function that cannot reach the host runs its synced copy inline and
  // calls its checked copy, a separate function, while unsynced: an engine
  // that compiles lazily then never compiles a checked copy that never runs.
  // Returns the checked copy, or null.
  Function* run(Function* func) {
    if (!hasCheckedAccess(func->body, context)) {
      return nullptr;
    }
    Function* checked = nullptr;
    if (hostFree.contains(func->name)) {
      checked = ModuleUtils::copyFunction(func, wasm, Names::getValidFunctionName(wasm, func->name.toString() + "$checked"));
      checkedCopyOf[func->name] = checked->name;
      checked->body = builder.makeSequence(tick(), checked->body);
      versionLoops(&checked->body);
      UniqueNameMapper::uniquify(checked->body);
      ReFinalize().walkFunctionInModule(checked, &wasm);
      std::vector<Expression*> args;
      Signature sig = func->getSig();
      for (Index i = 0; i < sig.params.size(); i++) {
        args.push_back(builder.makeLocalGet(i, sig.params[i]));
      }
      Expression* call = builder.makeCall(checked->name, args, sig.results);
      Expression* toChecked = sig.results == Type::none ? static_cast<Expression*>(builder.makeSequence(call, builder.makeReturn()))
                                                        : builder.makeReturn(call);
      func->body = builder.makeSequence(builder.makeIf(unsynced(), toChecked), markSynced(func->body));
    } else {
      versionLoops(&func->body);
      // The copies repeat the original's labels.
      UniqueNameMapper::uniquify(func->body);
    }
    ReFinalize().walkFunctionInModule(func, &wasm);
    return checked;
  }

  // Code that runs only after the flag was found set calls the checked
  // copies of its callees directly, not the dispatching originals: a call
  // saves the dispatch, and an engine that compiles lazily (V8) compiles
  // no synced body that the unsynced stretch never runs. Should the memories
  // be synced during the call, the callee finishes checked (always safe;
  // its loops switch to their synced copies at the next iteration).
  // Synced copies inside `root` keep calling the originals.
  void callCheckedCopies(Expression* root) {
    std::vector<Expression*> work{root};
    while (!work.empty()) {
      Expression* curr = work.back();
      work.pop_back();
      if (syncedCopies.count(curr)) {
        continue;
      }
      if (auto* call = curr->dynCast<Call>()) {
        auto copy = checkedCopyOf.find(call->target);
        if (copy != checkedCopyOf.end()) {
          call->target = copy->second;
        }
      }
      for (Expression* child : ChildIterator(curr)) {
        work.push_back(child);
      }
    }
  }
};

Expression* totalPages(Builder& builder, const RecordContext& context);

// $srr$sync_all: for each memory, compare it with its shadow 64 bytes at a
// time (four v128 loads of each, xor-ed and or-ed together: the sync runs
// once or a few times, in the engine's baseline tier, so the fewer
// instructions per byte the better); a difference goes to the load slow path,
// which records the whole differing run and syncs it. Then the flag goes to
// 0 and the budget is refilled in proportion to the memories' size.
void addSyncAll(Module& wasm, RecordContext& context) {
  Builder builder(wasm);
  const Index address = 0, end = 1;
  const uint32_t bytesPerStep = 64;
  std::vector<Expression*> body;
  auto i32 = [&](int32_t v) { return builder.makeConst(Literal(v)); };
  for (const auto& pair : context.memories) {
    auto vector = [&](Name memory, uint64_t offset) {
      return builder.makeLoad(16, false, offset, 16, builder.makeLocalGet(address, Type::i32), Type::v128, memory);
    };
    Expression* differ = nullptr;
    for (uint64_t at = 0; at < bytesPerStep; at += 16) {
      Expression* x =
        builder.makeBinary(XorVec128, vector(pair.memory, at), vector(pair.shadow, at + ShadowLayout::kShadowSkew));
      differ = differ ? builder.makeBinary(OrVec128, differ, x) : x;
    }
    Name loop(std::string("compare") + std::to_string(pair.index));
    Expression* step = builder.makeBlock(
      {builder.makeIf(builder.makeUnary(AnyTrueVec128, differ),
                      builder.makeCall(context.recLoadMismatch,
                                       {i32(int32_t(pair.index)), builder.makeLocalGet(address, Type::i32),
                                        i32(int32_t(bytesPerStep))},
                                       Type::none)),
       builder.makeLocalSet(address,
                            builder.makeBinary(AddInt32, builder.makeLocalGet(address, Type::i32), i32(int32_t(bytesPerStep)))),
       // A memory of 65536 pages ends at 2^32, which is 0: stop when the
       // address wraps there.
       builder.makeBreak(loop, nullptr,
                         builder.makeBinary(NeInt32, builder.makeLocalGet(address, Type::i32),
                                            builder.makeLocalGet(end, Type::i32)))});
    body.push_back(builder.makeLocalSet(address, i32(0)));
    body.push_back(builder.makeLocalSet(end, builder.makeBinary(ShlInt32, builder.makeMemorySize(pair.memory), i32(16))));
    body.push_back(builder.makeIf(builder.makeMemorySize(pair.memory), builder.makeLoop(loop, step)));
  }
  body.push_back(builder.makeGlobalSet(context.unsynced, i32(0)));
  body.push_back(builder.makeGlobalSet(
    context.syncBudget,
    builder.makeBinary(MulInt32, totalPages(builder, context), i32(int32_t(SyncPolicy::kBudgetPerPage)))));
  context.syncAll = Names::getValidFunctionName(wasm, "srr$sync_all");
  wasm.addFunction(builder.makeFunction(context.syncAll, Signature(Type::none, Type::none), {Type::i32, Type::i32},
                                        builder.makeBlock(body)));
}

// The memories' size in pages, summed.
Expression* totalPages(Builder& builder, const RecordContext& context) {
  Expression* pages = nullptr;
  for (const auto& pair : context.memories) {
    Expression* size = builder.makeMemorySize(pair.memory);
    pages = pages ? builder.makeBinary(AddInt32, pages, size) : size;
  }
  return pages ? pages : builder.makeConst(Literal(int32_t(0)));
}

// $srr$sync_spent: the checked code spent its budget. Syncing paid off, so
// the next host events may sync at once: twice the pages synced are added
// to the allowance.
//
// $srr$host_wrote: the host may have written the memories (an export was
// called, an import other than a known WASI one returned). If the allowance
// covers the memories, they are synced now (the code that follows runs its
// synced copies from the start); else they are left unsynced until the
// budget is spent. The allowance starts at SyncPolicy::kEagerPages, so a
// program that calls the host rarely (a command, a benchmark) syncs at each
// call, and one that calls it all the time (a reactor driven by a busy host)
// stops paying for syncs that nothing uses.
void addSyncCalls(Module& wasm, RecordContext& context) {
  Builder builder(wasm);
  auto i32 = [&](int32_t v) { return builder.makeConst(Literal(v)); };
  auto eager = [&]() { return builder.makeGlobalGet(context.syncEager, Type::i32); };
  const Index pages = 0;
  auto getPages = [&]() { return builder.makeLocalGet(pages, Type::i32); };
  Expression* earn = builder.makeGlobalSet(
    context.syncEager,
    builder.makeSelect(builder.makeBinary(LtUInt32, eager(), i32(SyncPolicy::kEagerPagesMax)),
                       builder.makeBinary(AddInt32, eager(), builder.makeBinary(ShlInt32, getPages(), i32(1))),
                       eager()));
  context.syncSpent = Names::getValidFunctionName(wasm, "srr$sync_spent");
  wasm.addFunction(builder.makeFunction(
    context.syncSpent, Signature(Type::none, Type::none), {Type::i32},
    builder.makeBlock({builder.makeLocalSet(pages, totalPages(builder, context)), earn,
                       builder.makeCall(context.syncAll, {}, Type::none)})));
  Expression* syncNow = builder.makeBlock(
    {builder.makeGlobalSet(context.syncEager, builder.makeBinary(SubInt32, eager(), getPages())),
     builder.makeCall(context.syncAll, {}, Type::none)});
  context.hostWrote = Names::getValidFunctionName(wasm, "srr$host_wrote");
  wasm.addFunction(builder.makeFunction(
    context.hostWrote, Signature(Type::none, Type::none), {Type::i32},
    builder.makeBlock({builder.makeLocalSet(pages, totalPages(builder, context)),
                       builder.makeIf(builder.makeBinary(GeUInt32, eager(), getPages()), syncNow,
                                      builder.makeGlobalSet(context.unsynced, i32(1)))})));
}

} // namespace

void addSyncState(Module& wasm, RecordContext& context) {
  Builder builder(wasm);
  // A memory the module defines starts equal to its shadow (the shadow gets
  // the same active segments), and the host cannot write it before the
  // instance exists; an imported one may hold anything. Without
  // host_writes_in_calls the first export call leaves the flag set anyway.
  bool startsSynced = context.hostWritesInCalls;
  for (const auto& pair : context.memories) {
    startsSynced &= !wasm.getMemory(pair.memory)->imported();
  }
  context.unsynced = Names::getValidGlobalName(wasm, "srr$unsynced");
  wasm.addGlobal(builder.makeGlobal(context.unsynced, Type::i32,
                                    builder.makeConst(Literal(int32_t(startsSynced ? 0 : 1))), Builder::Mutable));
  if (context.hostWritesInCalls) {
    context.guestDepth = Names::getValidGlobalName(wasm, "srr$guest_depth");
    wasm.addGlobal(builder.makeGlobal(context.guestDepth, Type::i32, builder.makeConst(Literal(int32_t(1))),
                                      Builder::Mutable));
  }
  // The first budget: the memories' declared sizes, and the first touch of
  // their pages (SyncPolicy).
  uint64_t pages = 0;
  for (const auto& pair : context.memories) {
    pages += wasm.getMemory(pair.memory)->initial;
  }
  uint64_t budget = pages * SyncPolicy::kBudgetPerPage * SyncPolicy::kFirstSyncFactor;
  context.syncBudget = Names::getValidGlobalName(wasm, "srr$sync_budget");
  wasm.addGlobal(builder.makeGlobal(context.syncBudget, Type::i32,
                                    builder.makeConst(Literal(int32_t(budget > INT32_MAX ? INT32_MAX : budget))),
                                    Builder::Mutable));
  context.syncEager = Names::getValidGlobalName(wasm, "srr$sync_eager");
  wasm.addGlobal(builder.makeGlobal(context.syncEager, Type::i32,
                                    builder.makeConst(Literal(int32_t(SyncPolicy::kEagerPages))), Builder::Mutable));
  addSyncAll(wasm, context);
  addSyncCalls(wasm, context);
}

void addSyncedVersions(Module& wasm, RecordContext& context, std::vector<Function*>& functions) {
  HostFreeFunctions hostFree(wasm, functions, context.hostTablesClosed());
  Versioner versioner(wasm, context, hostFree);
  if (context.alwaysSynced()) {
    // The flag stays 0 from instantiation on: every access runs as in a
    // synced copy, and no code needs a checked one.
    for (Function* func : functions) {
      versioner.markSynced(func->body);
    }
    return;
  }
  size_t count = functions.size();
  for (size_t i = 0; i < count; i++) {
    if (Function* checked = versioner.run(functions[i])) {
      functions.push_back(checked);
    }
  }
  for (size_t i = count; i < functions.size(); i++) {
    versioner.callCheckedCopies(functions[i]->body);
  }
  for (Expression* arm : versioner.checkedArms) {
    versioner.callCheckedCopies(arm);
  }
}

} // namespace srr
