// record-imports: every call of an imported function goes through a wrapper
// that records the call with its arguments and the return with its results.
// Calls through tables and ref.func reach the wrapper too: every use of the
// import is renamed to it. After the import returns, the wrapper checks what
// else the host may have changed (the memories' sizes: see boundary()).
//
//  Before:
//   (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
//   (call $random_get (local.get $buf) (i32.const 16))
//
//  After:
//   (call $srr$import$random_get (local.get $buf) (i32.const 16))
//   (func $srr$import$random_get (param $0 i32) (param $1 i32) (result i32)
//    (local $result i32)
//    (call $srr_rec_begin (i32.const 1) (i32.const 3) (i32.const 16))  ;; IMPORT_CALL, import 3
//    (call $srr_rec_i32 (local.get $0)) (call $srr_rec_i32 (local.get $1))
//    (call $srr_rec_end)
//    (local.set $result (call $random_get (local.get $0) (local.get $1)))
//    (call $srr_rec_begin (i32.const 2) (i32.const 3) (i32.const 11))  ;; IMPORT_RETURN
//    (call $srr_rec_i32 (local.get $result))
//    (call $srr_rec_end)
//    (call $srr$boundary)
//    (local.get $result))
//
// After the boundary, what the host may have written: the 16 bytes
// random_get wrote are reconciled (recorded if they differ from the shadow)
// right there, since WASI says exactly what it writes (wasi_writes.h):
//    (call $srr_rec_reconcile (i32.const 0) (local.get $0) (local.get $1))
// while any other import calls $srr$host_wrote (synced_versions.cpp), which
// syncs every memory at once or leaves them unsynced, for the guest's first
// loads of the bytes to find them. WASI's proc_exit does
// not return: its wrapper finishes the trace (srr_rec_finish) before calling
// it.
//
// The environment: SHADOWRR_TRACE=<path> in the host's environment moves the
// trace (recorder_abi.h, section 1), and the guest must not see it. The
// wrappers of WASI's environ_sizes_get and environ_get let the recorder
// rewrite the host's answer, after a successful call and before its return
// is recorded; environ_get's wrapper first lets it save the bytes the host
// may write past the guest's buffers (they are sized without the variable).
// What the recorder writes is found by the guest's loads like any host write.
//
//   (func $srr$import$environ_get (param $0 i32) (param $1 i32) (result i32)
//    (local $result i32)
//    ...IMPORT_CALL...
//    (call $srr_rec_environ_prepare (local.get $0) (local.get $1))
//    (local.set $result (call $environ_get (local.get $0) (local.get $1)))
//    (if (i32.eqz (local.get $result))
//     (then (call $srr_rec_environ_fixup (local.get $0) (local.get $1))))
//    ...IMPORT_RETURN, boundary, result...)
//
// environ_sizes_get's wrapper is the same without the prepare call, with
// srr_rec_environ_sizes_fixup.
//
// WASI's imports each get a wrapper of their own. Any other import's wrapper
// depends only on its number, signature and whether it is declared pure:
// imports alike in the last two share one (shared_wrappers.cpp).

#include <map>

#include "ir/manipulation.h"
#include "ir/module-utils.h"
#include "ir/names.h"
#include "wasm-builder.h"
#include "wasm.h"

#include "../record_context.h"
#include "record_events.h"
#include "shared_wrappers.h"
#include "../module_items.h"
#include "../wasi_writes.h"

using namespace wasm;

namespace srr {

namespace {

bool isWasi(const Function& import) {
  return import.module == "wasi_snapshot_preview1" || import.module == "wasi_unstable";
}

bool isProcExit(const Function& import) { return isWasi(import) && import.base == "proc_exit"; }

// WASI's environ_sizes_get / environ_get, with their (i32, i32) -> i32
// signature: the wrappers that hide SHADOWRR_TRACE.
enum class Environ { None, SizesGet, Get };
Environ environCall(Function& import) {
  Signature sig = import.getSig();
  if (!isWasi(import) || sig.params != Type({Type::i32, Type::i32}) || sig.results != Type::i32) {
    return Environ::None;
  }
  return import.base == "environ_sizes_get" ? Environ::SizesGet
         : import.base == "environ_get"     ? Environ::Get
                                            : Environ::None;
}

// A WASI call whose first argument is an fd (fd_*, path_*, sock_*) and whose
// result is an errno: recorder_abi.h, srr_rec_hidden_fd.
bool takesFd(Function& import) {
  Signature sig = import.getSig();
  std::string name = import.base.toString();
  return isWasi(import) && sig.results == Type::i32 && sig.params.size() >= 1 && sig.params[0] == Type::i32 &&
         (name.rfind("fd_", 0) == 0 || name.rfind("path_", 0) == 0 || name.rfind("sock_", 0) == 0);
}

} // namespace

// A memory the host grew (its size no longer matches its shadow's): recorded
// as HOST_MEMORY_GROW, and its shadow grown to match (host-grown pages are
// zero in both). Used by the boundary check and by shadow-init.
Expression* hostGrowthCheck(Builder& builder, const RecordContext& context, const RecordContext::MemoryPair& pair) {
  auto i32 = [&](int32_t v) { return builder.makeConst(Literal(v)); };
  auto expectedShadowPages = [&]() {
    return builder.makeBinary(AddInt32, builder.makeMemorySize(pair.memory),
                              i32(int32_t(ShadowLayout::kShadowSparePages)));
  };
  return builder.makeIf(
    builder.makeBinary(NeInt32, expectedShadowPages(), builder.makeMemorySize(pair.shadow)),
    builder.makeBlock(
      {builder.makeCall(context.recHostMemoryGrow, {i32(int32_t(pair.index)), builder.makeMemorySize(pair.memory)},
                        Type::none),
       builder.makeDrop(builder.makeMemoryGrow(
         builder.makeBinary(SubInt32, expectedShadowPages(), builder.makeMemorySize(pair.shadow)), pair.shadow))}));
}

// The checks at an event boundary, as one function: a memory the host grew
// during an import (hostGrowthCheck); a global the host changed is recorded
// and its shadow updated (shadow-globals).
Name addBoundaryCheck(Module& wasm, const RecordContext& context) {
  Builder builder(wasm);
  std::vector<Expression*> checks;
  for (const auto& pair : context.memories) {
    checks.push_back(hostGrowthCheck(builder, context, pair));
  }
  for (const auto& pair : context.tables) {
    checks.push_back(tableSizeCheck(builder, pair));
  }
  for (const auto& pair : context.globals) {
    // Floats compare by bits (a NaN is never equal to itself), vectors whole.
    auto get = [&]() { return builder.makeGlobalGet(pair.global, pair.type); };
    auto shadow = [&]() { return builder.makeGlobalGet(pair.shadow, pair.type); };
    Expression* changed;
    if (isTraceRef(pair.type)) { // a reference, by null-ness
      changed = builder.makeBinary(NeInt32, builder.makeRefIsNull(get()), builder.makeRefIsNull(shadow()));
    } else switch (pair.type.getBasic()) {
      case Type::i32:
        changed = builder.makeBinary(NeInt32, get(), shadow());
        break;
      case Type::i64:
        changed = builder.makeBinary(NeInt64, get(), shadow());
        break;
      case Type::f32:
        changed = builder.makeBinary(NeInt32, builder.makeUnary(ReinterpretFloat32, get()),
                                     builder.makeUnary(ReinterpretFloat32, shadow()));
        break;
      case Type::f64:
        changed = builder.makeBinary(NeInt64, builder.makeUnary(ReinterpretFloat64, get()),
                                     builder.makeUnary(ReinterpretFloat64, shadow()));
        break;
      default:
        changed = builder.makeUnary(AnyTrueVec128, builder.makeBinary(XorVec128, get(), shadow()));
        break;
    }
    std::vector<Expression*> record;
    if (pair.type == Type::v128) {
      // recordEvent reads a v128 twice: through a local of the boundary.
      record.push_back(builder.makeLocalSet(0, get()));
      recordEvent(builder, context, /*GLOBAL_CHANGE*/ 8, pair.index, {builder.makeLocalGet(0, Type::v128)}, record);
    } else {
      recordEvent(builder, context, /*GLOBAL_CHANGE*/ 8, pair.index, {get()}, record);
    }
    record.push_back(builder.makeGlobalSet(pair.shadow, get()));
    checks.push_back(builder.makeIf(changed, builder.makeBlock(record)));
  }
  if (checks.empty()) {
    return Name();
  }
  Name name = Names::getValidFunctionName(wasm, "srr$boundary");
  // A v128 local only where a v128 global needs it (a module without SIMD
  // must stay without).
  std::vector<Type> vars;
  for (const auto& pair : context.globals) {
    if (pair.type == Type::v128 && vars.empty()) {
      vars.push_back(Type::v128);
    }
  }
  wasm.addFunction(builder.makeFunction(name, Signature(Type::none, Type::none), std::move(vars),
                                        builder.makeBlock(checks)));
  return name;
}

// The globals that remember a WASI list's sizes (WasiWrite::ListSizes),
// made on first use, starting unknown (-1).
const RecordContext::WasiListSizes& wasiListGlobals(Module& wasm, const RecordContext& context, uint32_t list) {
  auto& sizes = context.wasiListSizes[list];
  if (!sizes.count.is()) {
    Builder builder(wasm);
    std::string prefix = list == WasiArgs ? "srr$args_" : "srr$environ_";
    auto unknown = [&](const char* what) {
      Name name = Names::getValidGlobalName(wasm, prefix + what);
      wasm.addGlobal(builder.makeGlobal(name, Type::i32, builder.makeConst(Literal(int32_t(-1))), Builder::Mutable));
      return name;
    };
    sizes.count = unknown("count");
    sizes.bytes = unknown("bytes");
  }
  return sizes;
}

bool writesKnownOnReturn(const RecordContext& context, Function& import) {
  std::vector<WasiWrite> writes;
  return context.pureImports.count(import.name) || knownWasiWrites(import, writes) || isProcExit(import);
}

// What the host may have written during the import (synced_versions.cpp):
// a WASI function whose writes are known has exactly those bytes reconciled
// now, an import declared pure nothing, any other import leaves the memories
// unsynced. `resultsLocal` holds the import's results.
// Where the memory has no shadow (RecordContext::alwaysSynced), the
// recorder records those bytes as they are (recorder_abi.h), and a write
// whose extent is not known (a list whose sizes were never asked for, a
// count too large for the memory) records the memory from its pointer on.
void afterHostWrites(Module& wasm, const RecordContext& context, Function& import, Index resultsLocal,
                     std::vector<Expression*>& body) {
  if (context.pureImports.count(import.name)) {
    return; // declared to write nothing (srr_record_options.pure_imports)
  }
  Builder builder(wasm);
  auto i32 = [&](uint32_t v) { return builder.makeConst(Literal(int32_t(v))); };
  auto arg = [&](Index i) { return builder.makeLocalGet(i, Type::i32); };
  std::vector<WasiWrite> writes;
  if (!knownWasiWrites(import, writes)) {
    body.push_back(builder.makeCall(context.hostWrote, {}, Type::none));
    return;
  }
  Export* exported = wasm.getExportOrNull("memory");
  if (!exported || exported->kind != ExternalKind::Memory) {
    return; // no memory the host could write
  }
  Name appMemory = *exported->getInternalName();
  bool shadowed = context.isShadowed(appMemory);
  if (!shadowed && !context.alwaysSynced()) {
    return; // no host can write it (shadow_memories.cpp)
  }
  Expression* memory = i32(shadowed ? context.pairOf(appMemory).index : context.privateMemories.at(appMemory));
  // A write of unknown extent at arguments `a` and `b`: left to the generic
  // checks, or without a shadow, the memory recorded from the lower one on.
  auto unknownExtent = [&](Index a, Index b) -> Expression* {
    if (shadowed) {
      return builder.makeGlobalSet(context.unsynced, i32(1));
    }
    Expression* lower = builder.makeSelect(builder.makeBinary(LtUInt32, arg(a), arg(b)), arg(a), arg(b));
    return builder.makeCall(context.recOverwritten, {ExpressionManipulator::copy(memory, wasm), lower, i32(UINT32_MAX)},
                            Type::none);
  };
  auto reconcile = [&](Name function, Expression* pointer, Expression* size) {
    return builder.makeCall(function, {ExpressionManipulator::copy(memory, wasm), pointer, size}, Type::none);
  };
  for (const WasiWrite& write : writes) {
    switch (write.kind) {
      case WasiWrite::Fixed:
        body.push_back(reconcile(context.recReconcile, arg(write.pointer), i32(write.bytes)));
        break;
      case WasiWrite::Sized:
        body.push_back(reconcile(context.recReconcile, arg(write.pointer), arg(write.size)));
        break;
      case WasiWrite::Iovecs:
        if (write.length == WasiWrite::kNoLength) {
          body.push_back(reconcile(context.recReconcileIovecs, arg(write.pointer), arg(write.size)));
        } else {
          // The length it read, if it succeeded (recorder_abi.h).
          Expression* length = builder.makeSelect(builder.makeUnary(EqZInt32, builder.makeLocalGet(resultsLocal, Type::i32)),
                                                  arg(write.length), i32(UINT32_MAX));
          body.push_back(builder.makeCall(context.recReconcileRead,
                                          {ExpressionManipulator::copy(memory, wasm), arg(write.pointer), arg(write.size), length},
                                          Type::none));
        }
        break;
      case WasiWrite::Scaled:
        // A count whose byte size overflows cannot have been written whole:
        // leave it to the generic checks.
        body.push_back(builder.makeIf(
          builder.makeBinary(LeUInt32, arg(write.size), i32(UINT32_MAX / write.bytes)),
          reconcile(context.recReconcile, arg(write.pointer),
                    builder.makeBinary(MulInt32, arg(write.size), i32(write.bytes))),
          unknownExtent(write.pointer, write.pointer)));
        break;
      case WasiWrite::ListSizes: {
        // Remembered for the list's *_get: the answer if the call succeeded
        // and both words lie in memory, else unknown (-1).
        const auto& list = wasiListGlobals(wasm, context, write.bytes);
        auto inBounds = [&](Index pointer) {
          return builder.makeBinary(
            LeUInt64, builder.makeBinary(AddInt64, builder.makeUnary(ExtendUInt32, arg(pointer)),
                                         builder.makeConst(Literal(int64_t(4)))),
            builder.makeBinary(ShlInt64, builder.makeUnary(ExtendUInt32, builder.makeMemorySize(appMemory)),
                               builder.makeConst(Literal(int64_t(16)))));
        };
        auto word = [&](Index pointer) { return builder.makeLoad(4, false, 0, 4, arg(pointer), Type::i32, appMemory); };
        Expression* answered = builder.makeBinary(
          AndInt32, builder.makeUnary(EqZInt32, builder.makeLocalGet(resultsLocal, Type::i32)),
          builder.makeBinary(AndInt32, inBounds(write.pointer), inBounds(write.size)));
        body.push_back(builder.makeIf(
          answered,
          builder.makeSequence(builder.makeGlobalSet(list.count, word(write.pointer)),
                               builder.makeGlobalSet(list.bytes, word(write.size))),
          builder.makeSequence(builder.makeGlobalSet(list.count, i32(UINT32_MAX)),
                               builder.makeGlobalSet(list.bytes, i32(UINT32_MAX)))));
        break;
      }
      case WasiWrite::List: {
        // Unknown sizes (no successful *_sizes_get first), or pointers whose
        // size overflows: left to the generic checks.
        const auto& list = wasiListGlobals(wasm, context, write.bytes);
        auto count = [&]() { return builder.makeGlobalGet(list.count, Type::i32); };
        Expression* known = builder.makeBinary(
          AndInt32, builder.makeBinary(LeUInt32, count(), i32(UINT32_MAX / 4)),
          builder.makeBinary(NeInt32, builder.makeGlobalGet(list.bytes, Type::i32), i32(UINT32_MAX)));
        body.push_back(builder.makeIf(
          known,
          builder.makeSequence(
            reconcile(context.recReconcile, arg(write.pointer), builder.makeBinary(MulInt32, count(), i32(4))),
            reconcile(context.recReconcile, arg(write.size), builder.makeGlobalGet(list.bytes, Type::i32))),
          unknownExtent(write.pointer, write.size)));
        break;
      }
    }
  }
}

bool wrapImports(Module& wasm, const RecordContext& context, const std::vector<Function*>& imports, Name boundary,
                 std::string& error) {
  std::map<Name, Name> wrapperOf;
  if (!redirectImports(wasm, imports, "srr$import$", wrapperOf, error)) {
    return false;
  }

  Builder builder(wasm);
  // The wrapper, for one import or for a group that differ only in their
  // number and the import called (shared_wrappers.cpp).
  auto makeBody = [&](const WrapperSite& site, std::vector<Type>& vars) -> Expression* {
    Function* import = site.import;
    Signature sig = import->getSig();
    std::vector<Expression*> body, args, argValues;
    for (Index i = 0; i < sig.params.size(); i++) {
      args.push_back(builder.makeLocalGet(i, sig.params[i]));
      argValues.push_back(builder.makeLocalGet(i, sig.params[i]));
    }
    recordEvent(builder, context, /*IMPORT_CALL*/ 1, site.index(), argValues, body);
    if (context.flushStale.is() && !context.pureImports.count(import->name)) {
      // The host may write now: the shadow must be exact (deferred_shadow_writes.cpp).
      body.push_back(builder.makeCall(context.flushStale, {}, Type::none));
    }
    if (isProcExit(*import)) {
      body.push_back(builder.makeCall(context.recFinish, {}, Type::none));
    }
    Index resultsLocal = site.firstVar;
    // SHADOWRR_TRACE hidden (see the top of this file); not in a pass preview
    // without the recorder's functions.
    Environ envCall = context.recEnvironFixup.is() ? environCall(*import) : Environ::None;
    auto ptrArgs = [&]() {
      return std::vector<Expression*>{builder.makeLocalGet(0, Type::i32), builder.makeLocalGet(1, Type::i32)};
    };
    if (envCall == Environ::Get) {
      body.push_back(builder.makeCall(context.recEnvironPrepare, ptrArgs(), Type::none));
    }
    Expression* call = site.callImport(args);
    if (context.recHiddenFd.is() && takesFd(*import)) {
      // The trace's own preopen does not exist for the guest: EBADF.
      Expression* hidden = builder.makeBinary(EqInt32, builder.makeLocalGet(0, Type::i32),
                                              builder.makeCall(context.recHiddenFd, {}, Type::i32));
      if (import->base == "fd_renumber") {
        hidden = builder.makeBinary(OrInt32, hidden,
                                    builder.makeBinary(EqInt32, builder.makeLocalGet(1, Type::i32),
                                                       builder.makeCall(context.recHiddenFd, {}, Type::i32)));
      }
      call = builder.makeIf(hidden, builder.makeConst(Literal(int32_t(8))), call); // EBADF
    }
    auto resultValues = keepResults(builder, call, sig.results, resultsLocal, vars, body);
    if (envCall != Environ::None) {
      Name fixup = envCall == Environ::Get ? context.recEnvironFixup : context.recEnvironSizesFixup;
      body.push_back(builder.makeIf(builder.makeUnary(EqZInt32, builder.makeLocalGet(resultsLocal, Type::i32)),
                                    builder.makeCall(fixup, ptrArgs(), Type::none)));
    }
    recordEvent(builder, context, /*IMPORT_RETURN*/ 2, site.index(), resultValues, body);
    if (context.guestEntered.is()) {
      // A call through a table that reached this wrapper is recorded as an
      // import call, not as a call of a host function (shadow_tables.cpp,
      // markHostCall); the import may have run exports, which clear the mark.
      body.push_back(builder.makeGlobalSet(context.guestEntered, builder.makeConst(Literal(int32_t(1)))));
    }
    if (boundary.is()) {
      body.push_back(builder.makeCall(boundary, {}, Type::none));
    }
    if (context.unsynced.is()) {
      afterHostWrites(wasm, context, *import, resultsLocal, body);
    }
    if (sig.results != Type::none) {
      body.push_back(builder.makeLocalGet(resultsLocal, sig.results));
    }
    return builder.makeBlock(body, sig.results);
  };
  // WASI's imports each have a wrapper of their own (what the host writes,
  // the environment, fds: all by name); any other import's wrapper depends
  // only on its signature and whether it is declared pure.
  auto kind = [&](Function* import) { return isWasi(*import) ? -1 : int(context.pureImports.count(import->name)); };
  defineImportWrappers(wasm, groupImports(imports, wrapperOf, kind), "srr$imports", makeBody);
  // A ref.func that named an import now names a defined wrapper.
  retypeRefFuncs(wasm);
  return true;
}

} // namespace srr
