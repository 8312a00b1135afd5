// The replay transform: the guest's own code, without shadow memory, with
// every import answered by the replayer from the trace
// (runtime-support/replay/replayer_abi.h):
//
//  - replay-imports: every use of an import goes to a stub that hands the
//    call to the replayer, which checks it against the trace, applies what the
//    host did (passing the guest's stdout/stderr writes through), and gives
//    back the recorded results. No guest import remains but the passthrough
//    ones (srr_replay_options.passthrough), whose stubs also make the real
//    call after the check, dropping its results:
//
//     (func $srr$stub$random_get (param $0 i32) (param $1 i32) (result i32)
//      (call $srr_rep_call_begin (i32.const 5))
//      (call $srr_rep_arg_i32 (local.get $0)) (call $srr_rep_arg_i32 (local.get $1))
//      (drop (call $srr_rep_call_check))
//      (call $srr_rep_call_end (i32.const 5))
//      (call $srr_rep_ret_i32))
//
//     (func $srr$stub$bench_start                ;; a passthrough import
//      (call $srr_rep_call_begin (i32.const 0))
//      (drop (call $srr_rep_call_check))
//      (call $srr_rep_call_end (i32.const 0))
//      (call $bench_start))                      ;; the host's own, last
//
//    Imports alike in signature and passthrough share one stub, which takes
//    the import's number as a last parameter (passes/shared_wrappers.cpp):
//    a stub compiled once serves them all. The guest's calls of the stubs
//    and the stubs' calls of the replayer's entry points, direct above, go
//    through a table (IndirectCalls), so that V8 inlines none of them:
//
//     (call_indirect $srr$indirect-calls (type $i32->) (i32.const 5) (i32.const 0)) ;; srr_rep_call_begin(5)
//
//  - replay-grow: memory.grow asks the replayer for the recorded result;
//  - replay-exports: the module's only function export is `_start`, a driver
//    that lets the replayer call the original exports in recorded order
//    through a generated dispatcher;
//  - replay-own-imports, with an embedded trace: imported memories, globals
//    and tables become the module's own, so that nothing but the
//    replayer's WASI (none with --embed --quiet) is left for a host to
//    provide: what the recording's host put there comes from the trace (the
//    bytes the guest read as MEMORY_WRITE, later growth as HOST_MEMORY_GROW;
//    a global's value as GLOBAL_CHANGE at the first event boundary; a table
//    holds the guest's own element segments). A memory starts as large as
//    the recording's host made it (the HOST_MEMORY_GROW before the trace's
//    first call, which the module's data segments may need at
//    instantiation), a table too; an immutable global is the constant the
//    recording's host gave it (its GLOBAL_CHANGE), also in the constant
//    expressions that read it. Without an embedded trace the imports stay,
//    for the embedder to provide as before (an immutable global is checked
//    against the trace);
//  - replay-compiled-run, with an embedded trace of top-level export calls
//    alone (their returns, numbers only, the guest's memory.grow inside
//    them, then END; the module's own header):
//    `_start` replays it as code, without loading the trace, so that an
//    engine that compiles lazily compiles none of the replayer
//    (replayer_abi.h, section 5):
//
//     (func $_start                     ;; trace: add (export 0) called (2, 3) -> 5, END
//      (global.set $srr$compiled_events (i32.const 1))
//      (local.set $r (call $add (i32.const 2) (i32.const 3)))
//      (if (i32.or (i32.ne (global.get $srr$compiled_events) (i32.const 1)) ;; a grow more or less
//                  (i32.ne (local.get $r) (i32.const 5)))
//       (then (call $srr_rep_compiled_diverged) (call $srr_rep_export_result_i32 (local.get $r))
//             (call $srr_rep_compiled_return (i32.const 0))))
//      (global.set $srr$compiled_events (i32.const 2))
//      (global.set $srr$compiled_events (i32.const -1)))  ;; ended (END)
//
//    and memory.grow calls srr$compiled-grow, which answers the MEMORY_GROW
//    events at their positions (else asks the replayer) instead of
//    srr_rep_memory_grow.
//
//  - the replayer is merged in like the recorder (runtime_merge.h).

#include <functional>
#include <map>
#include <set>

#include "ir/find_all.h"
#include "ir/module-utils.h"
#include "ir/names.h"
#include "pass.h"
#include "wasm-builder.h"
#include "wasm.h"

#include "module_internal.h"
#include "module_items.h"
#include "passes/record_events.h"
#include "passes/shadow_access.h"
#include "passes/shared_wrappers.h"
#include "replay_host_calls.h"
#include "replay_internal.h"
#include "record_context.h"
#include "replayer_abi.h"
#include "replayer_blob.h"
#include "srr_trace_decode.h"
#include "srr_trace_reader.h"
#include "runtime_merge.h"
#include "trace_header.h"

using namespace wasm;
using srr::ReplayerFunctions;
using srr::passValue;
using srr::v128FromHalves;

namespace {

// A table `table` of its own holding `functions` from element 0 on.
void addFunctionTable(Module& wasm, Name table, const std::vector<Name>& functions) {
  Builder builder(wasm);
  Type funcref(HeapType::func, Nullable);
  wasm.addTable(Builder::makeTable(table, funcref, functions.size(), functions.size()));
  auto segment = std::make_unique<ElementSegment>();
  segment->name = Names::getValidElementSegmentName(wasm, table.toString());
  segment->table = table;
  segment->offset = builder.makeConst(Literal(int32_t(0)));
  segment->type = funcref;
  for (Name function : functions) {
    segment->data.push_back(builder.makeRefFunc(function, wasm.getFunction(function)->type));
  }
  wasm.addElementSegment(std::move(segment));
}

// Calls that V8 must not inline, made through a table of their own
// (call_indirect), which is built once every such call is known. V8's
// optimising tier inlines direct calls, and without Liftoff's call counts
// (--no-liftoff) it takes a function's calls in order, within a budget:
//  - the guest's calls of the import stubs: a stub inlined into the guest
//    spends the guest's budget, and then its own callees stay calls
//    (shootout-ctype replayed at 1.60x under --no-liftoff when a shared
//    stub's dispatch left `isalnum` uninlined, 1.20x before);
//  - the stubs' calls of the replayer's entry points: through a stub V8
//    inlined even the 1,194-byte srr_rep_call_check into a guest function
//    past its 500-byte limit, and then compiled the entry point on its own
//    at a later call that was not inlined, inside shootout-gimli's timed
//    region (3 ms of 1.8).
// V8 inlines no call_indirect (its --wasm-inlining-call-indirect is off).
struct IndirectCalls {
  Name table;
  std::map<Name, int32_t> slotOf;
  std::vector<Name> functions;

  // Every call in `body` of a function `through` accepts becomes a call
  // through the table.
  void redirect(Module& wasm, Expression*& body, const std::function<bool(Function*)>& through) {
    struct Redirect : public PostWalker<Redirect> {
      Module* wasm;
      IndirectCalls* calls;
      const std::function<bool(Function*)>* through;
      void visitCall(Call* curr) {
        Function* target = wasm->getFunction(curr->target);
        if (!(*through)(target)) {
          return;
        }
        auto [it, added] = calls->slotOf.try_emplace(curr->target, int32_t(calls->functions.size()));
        if (added) {
          calls->functions.push_back(curr->target);
        }
        Builder builder(*wasm);
        replaceCurrent(builder.makeCallIndirect(calls->table, builder.makeConst(Literal(it->second)), curr->operands,
                                                target->type.getHeapType(), curr->isReturn));
      }
    } redirect;
    redirect.wasm = &wasm;
    redirect.calls = this;
    redirect.through = &through;
    redirect.walk(body);
  }

  // The table, if any call goes through it.
  void finish(Module& wasm) {
    if (!functions.empty()) {
      addFunctionTable(wasm, table, functions);
    }
  }
};

// replay-imports: the stubs. Returns false with `error` for a signature a
// trace cannot hold.
bool stubImports(Module& wasm, const std::vector<Function*>& imports, const std::set<Name>& passthrough,
                 const ReplayerFunctions& rep, std::string& error) {
  std::map<Name, Name> stubOf;
  if (!srr::redirectImports(wasm, imports, "srr$stub$", stubOf, error)) {
    return false;
  }
  Builder builder(wasm);
  IndirectCalls indirect;
  indirect.table = Names::getValidTableName(wasm, "srr$indirect-calls");
  // (a stub's calls of functions the module defines are the replayer's
  // entry points; its other calls are of imports)
  auto entryPoint = [](Function* target) { return !target->imported(); };
  auto makeBody = [&](const srr::WrapperSite& site, std::vector<Type>&) -> Expression* {
    Signature sig = site.import->getSig();
    std::vector<Expression*> body{builder.makeCall(rep.callBegin, {site.index()}, Type::none)};
    for (Index i = 0; i < sig.params.size(); i++) {
      body.push_back(passValue(builder, rep.arg, builder.makeLocalGet(i, sig.params[i])));
    }
    // The replayer itself passes the guest's stdout/stderr writes through
    // (writing exactly the recorded count, whatever the engine's fd_write
    // does with several buffers): the check's answer is not needed here.
    body.push_back(builder.makeDrop(builder.makeCall(rep.callCheck, {}, Type::i32)));
    body.push_back(builder.makeCall(rep.callEnd, {site.index()}, Type::none));
    if (passthrough.count(site.import->name)) {
      // Checked and replayed, then made for real; the trace's results are
      // what the guest sees. (Last, so that a host timing the guest from
      // this call on, as the bench's bench.start does, times the guest and
      // not the replayer's side of the call, nor its first compilation.)
      std::vector<Expression*> args;
      for (Index i = 0; i < sig.params.size(); i++) {
        args.push_back(builder.makeLocalGet(i, sig.params[i]));
      }
      Expression* real = site.callImport(args);
      body.push_back(sig.results == Type::none ? real : builder.makeDrop(real));
    }
    // (an import's results hold no references: such imports are refused)
    srr::appendRecordedResults(builder, rep, sig.results, nullptr, body);
    Expression* block = builder.makeBlock(body, sig.results);
    indirect.redirect(wasm, block, entryPoint);
    return block;
  };
  // A stub depends only on the import's number, signature and whether it
  // is passed through: imports alike in the last two share one stub
  // (shared_wrappers.cpp).
  auto kind = [&](Function* import) { return int(passthrough.count(import->name)); };
  std::set<Name> stubs =
    srr::defineImportWrappers(wasm, srr::groupImports(imports, stubOf, kind), "srr$stubs", makeBody);
  // The guest's calls of the stubs (the stubs' own calls of each other are
  // the forwarders' calls of a shared stub, left direct).
  auto stub = [&](Function* target) { return stubs.count(target->name) > 0; };
  for (auto& func : wasm.functions) {
    if (!func->imported() && !stubs.count(func->name)) {
      indirect.redirect(wasm, func->body, stub);
    }
  }
  indirect.finish(wasm);
  // The host never sees the guest's imports but the passthrough ones: they
  // are gone from the module (the replayer's own WASI imports stay, added by
  // the merge).
  for (Function* import : imports) {
    if (!passthrough.count(import->name)) {
      wasm.removeFunction(import->name);
    }
  }
  // A ref.func that named an import now names a defined stub.
  srr::retypeRefFuncs(wasm);
  return true;
}

// What an embedded trace says about the run, as far as the transform can use
// it: what the recording's host had made of the imports before the first
// call (the trace's leading host events: each memory's size in pages, 0 if
// not grown; each host-written table's size in elements, by table index), and
// which tables the guest called the host's functions through. A trace that
// does not read to its end is left to the replayer to report (`complete` is
// then false).
struct RecordedStart {
  std::vector<uint64_t> pages;
  std::map<uint32_t, uint64_t> tableSizes;
  std::map<uint32_t, srr_value> globals; // the first value of each host-set global, by index
  std::set<uint32_t> hostCalledTables;   // tables of the trace's HOST_FUNCREF_CALLs, by index
  bool complete = false;                 // every event was read
};

// Calls `visit` on each event of `trace` until it returns false. Returns
// whether every event was read and visited (false too for a trace that does
// not open or read to its end, which the replayer reports).
bool visitEvents(const std::vector<char>& trace, const std::function<bool(const srr_event&)>& visit) {
  srr_trace_error terr;
  srr_trace* t = srr_trace_open(reinterpret_cast<const uint8_t*>(trace.data()), trace.size(), &terr);
  uint8_t* events = nullptr;
  size_t size = 0;
  bool complete = false;
  if (t && srr_trace_read_events(t, &events, &size, &terr) == 0) {
    srr_event_cursor cursor;
    if (srr_event_cursor_init(&cursor, t, events, size, &terr) == 0) {
      srr_event ev;
      int got;
      while ((got = srr_event_next(&cursor, &ev, &terr)) == 1 && visit(ev)) {
      }
      complete = got == 0;
      srr_event_cursor_free(&cursor);
    }
  }
  free(events);
  srr_trace_close(t);
  return complete;
}

RecordedStart recordedStart(const std::vector<char>& trace, size_t memoryCount) {
  RecordedStart start;
  std::vector<uint64_t>& pages = start.pages;
  pages.assign(memoryCount, 0);
  bool leading = true; // before the first call
  start.complete = visitEvents(trace, [&](const srr_event& ev) {
    if (ev.kind == SRR_EV_HOST_FUNCREF_CALL) {
      start.hostCalledTables.insert(ev.table);
    }
    leading = leading && (ev.kind == SRR_EV_HOST_MEMORY_GROW || ev.kind == SRR_EV_MEMORY_WRITE ||
                          ev.kind == SRR_EV_GLOBAL_CHANGE || ev.kind == SRR_EV_HOST_TABLE_GROW ||
                          ev.kind == SRR_EV_HOST_TABLE_SET);
    if (leading && ev.kind == SRR_EV_HOST_MEMORY_GROW && ev.memory < memoryCount) {
      pages[ev.memory] = ev.new_pages;
    }
    if (leading && ev.kind == SRR_EV_HOST_TABLE_GROW) {
      start.tableSizes[ev.table] = ev.new_size;
    }
    // (anywhere: an immutable import changes once, at the first
    // boundary, which comes after the first call begins)
    if (ev.kind == SRR_EV_GLOBAL_CHANGE && ev.value_count == 1 && !start.globals.count(ev.index)) {
      start.globals[ev.index] = ev.values[0];
    }
    return true;
  });
  return start;
}

// Whether immutable global `global` differs from the bits (low, high),
// compared as bits (a NaN equals itself); a reference by null-ness (low: 1
// non-null).
Expression* immutableDiffers(Builder& b, Global* global, Expression* low, Expression* high) {
  Expression* g = b.makeGlobalGet(global->name, global->type);
  if (srr::isTraceRef(global->type)) {
    return b.makeBinary(NeInt32, b.makeUnary(EqZInt32, b.makeRefIsNull(g)), b.makeUnary(WrapInt64, low));
  }
  switch (global->type.getBasic()) {
    case Type::i32:
      return b.makeBinary(NeInt32, g, b.makeUnary(WrapInt64, low));
    case Type::i64:
      return b.makeBinary(NeInt64, g, low);
    case Type::f32:
      return b.makeBinary(NeInt32, b.makeUnary(ReinterpretFloat32, g), b.makeUnary(WrapInt64, low));
    case Type::f64:
      return b.makeBinary(NeInt64, b.makeUnary(ReinterpretFloat64, g), low);
    default:
      return b.makeBinary(
        OrInt32, b.makeBinary(NeInt64, b.makeSIMDExtract(ExtractLaneVecI64x2, g, 0), low),
        b.makeBinary(NeInt64, b.makeSIMDExtract(ExtractLaneVecI64x2, b.makeGlobalGet(global->name, global->type), 1),
                     high));
  }
}

// The value of a GLOBAL_CHANGE, as the literal of the global's type.
Literal recordedLiteral(const srr_value& v, Type type) {
  switch (type.getBasic()) {
    case Type::i32:
      return Literal(int32_t(v.as.i32));
    case Type::i64:
      return Literal(int64_t(v.as.i64));
    case Type::f32:
      return Literal(int32_t(v.as.f32_bits)).castToF32();
    case Type::f64:
      return Literal(int64_t(v.as.f64_bits)).castToF64();
    default:
      return Literal(v.as.v128);
  }
}

// replay-own-imports (see the top of this file), with the embedded trace.
// Run on the application's items (before the merge), after the trace header
// and the host-changeable globals are listed (they name imported globals by
// their import names).
Expression* externStandIn(Module& wasm, Builder& builder);

// Returns the name of the funcref stand-in it made (for an immutable
// funcref import the recording's host gave a non-null value), or none.
Name ownImports(Module& wasm, const RecordedStart& start, const std::vector<srr::HostGlobal>& hostGlobals) {
  Name funcStub;
  Builder builder(wasm);
  const std::vector<uint64_t>& pages = start.pages;
  for (size_t i = 0; i < wasm.memories.size(); i++) {
    Memory* memory = wasm.memories[i].get();
    if (memory->imported()) {
      memory->module = memory->base = Name();
      if (pages[i] > memory->initial && (!memory->hasMax() || pages[i] <= memory->max)) {
        memory->initial = pages[i];
      }
    }
  }
  for (auto& global : wasm.globals) {
    if (global->imported() && global->mutable_ && global->type.isNumber()) {
      global->module = global->base = Name();
      global->init = builder.makeConstantExpression(Literal::makeZero(global->type));
    } else if (global->imported() && global->mutable_ && srr::isTraceRef(global->type)) {
      global->module = global->base = Name();
      global->init = builder.makeRefNull(global->type.getHeapType().getBottom());
    }
  }
  // An immutable import becomes a constant: the value the recording's host
  // gave it (its first GLOBAL_CHANGE; none: zero or null, as its shadow
  // started; a non-null reference: a stand-in), also where constant
  // expressions read it (segment offsets and items, other globals' initial
  // values), which may read only imported globals.
  std::map<Name, std::function<Expression*()>> constants;
  for (const auto& host : hostGlobals) {
    Global* global = wasm.getGlobal(host.global);
    if (!global->imported() || global->mutable_) {
      continue;
    }
    auto recorded = start.globals.find(host.index);
    bool given = recorded != start.globals.end() && recorded->second.type == srr::traceTypeCode(global->type);
    Type type = global->type;
    std::function<Expression*()> value;
    if (srr::isTraceRef(type)) {
      bool nonNull = given && recorded->second.as.non_null;
      if (nonNull && type.getHeapType() == HeapType(HeapType::func) && !funcStub.is()) {
        // The stand-in for a non-null funcref; its body (a reported
        // divergence if called) comes once the replayer is merged.
        funcStub = Names::getValidFunctionName(wasm, "srr$host-funcref");
        wasm.addFunction(builder.makeFunction(funcStub, Signature(Type::none, Type::none), {}, builder.makeUnreachable()));
      }
      value = [&builder, &wasm, type, nonNull, funcStub]() -> Expression* {
        if (!nonNull) {
          return builder.makeRefNull(type.getHeapType().getBottom());
        }
        return type.getHeapType() == HeapType(HeapType::func) ? static_cast<Expression*>(builder.makeRefFunc(funcStub))
                                                             : externStandIn(wasm, builder);
      };
    } else {
      Literal literal = given ? recordedLiteral(recorded->second, type) : Literal::makeZero(type);
      value = [&builder, literal]() { return builder.makeConstantExpression(literal); };
    }
    global->module = global->base = Name();
    global->init = value();
    constants[global->name] = value;
  }
  if (!constants.empty()) {
    auto substitute = [&](Expression*& expr) {
      if (!expr) {
        return;
      }
      // (the pointers include `expr` itself: FindAllPointers walks it by reference)
      for (Expression** get : FindAllPointers<GlobalGet>(expr).list) {
        auto constant = constants.find((*get)->cast<GlobalGet>()->name);
        if (constant != constants.end()) {
          *get = constant->second();
        }
      }
    };
    for (auto& global : wasm.globals) {
      substitute(global->init);
    }
    for (auto& segment : wasm.dataSegments) {
      substitute(segment->offset);
    }
    for (auto& segment : wasm.elementSegments) {
      substitute(segment->offset);
      for (Expression*& item : segment->data) {
        substitute(item);
      }
    }
    for (auto& table : wasm.tables) {
      substitute(table->init);
    }
  }
  // A table as large as the recording's host made it: the module's own
  // element segments, applied at instantiation, may need it.
  for (uint32_t index = 0; index < wasm.tables.size(); index++) {
    Table* table = wasm.tables[index].get();
    if (table->imported() && table->type.isNullable()) {
      table->module = table->base = Name();
      auto recorded = start.tableSizes.find(index);
      if (recorded != start.tableSizes.end() && recorded->second > table->initial &&
          (!table->hasMax() || recorded->second <= table->max)) {
        table->initial = recorded->second;
      }
    }
  }
  return funcStub;
}

// replay-grow: (memory.grow $m (delta)) -> (call $srr_rep_memory_grow (i32.const index) (delta))
struct ReplayGrow : public WalkerPass<PostWalker<ReplayGrow>> {
  const std::map<Name, uint32_t>* memoryIndex;
  Name grow;
  ReplayGrow(const std::map<Name, uint32_t>* memoryIndex, Name grow) : memoryIndex(memoryIndex), grow(grow) {}
  bool isFunctionParallel() override { return true; }
  std::unique_ptr<Pass> create() override { return std::make_unique<ReplayGrow>(memoryIndex, grow); }
  void visitMemoryGrow(MemoryGrow* curr) {
    auto it = memoryIndex->find(curr->memory);
    if (it == memoryIndex->end() || curr->type == Type::unreachable) {
      return;
    }
    Builder builder(*getModule());
    replaceCurrent(builder.makeCall(grow, {builder.makeConst(Literal(int32_t(it->second))), curr->delta}, Type::i32));
  }
};

// What the replay passes for the references the recorded host passed: null
// for null, and for a non-null one a stand-in of its type. The guest can
// only store, pass on, test for null (and call, a funcref) what it is given
// (module_items.h, inspectsReferences), and the trace says only whether it
// was null. An externref stand-in is a non-null externref made in wasm
// (extern.convert_any of an i31ref: the GC proposal, added to the module's
// features); a funcref stand-in is a function that reports, if the guest
// calls it, that the trace cannot replay the call.
Expression* externStandIn(Module& wasm, Builder& builder) {
  wasm.features |= FeatureSet::GC;
  return builder.makeRefAs(ExternConvertAny, builder.makeRefI31(builder.makeConst(Literal(int32_t(0)))));
}

struct RefStandIns {
  Module& wasm;
  const ReplayerFunctions& rep;
  Name funcStub;

  Expression* make(Builder& builder, Type type) {
    if (type.getHeapType() == HeapType(HeapType::ext)) {
      return externStandIn(wasm, builder);
    }
    if (!funcStub) {
      funcStub = Names::getValidFunctionName(wasm, "srr$host-funcref");
      wasm.addFunction(builder.makeFunction(funcStub, Signature(Type::none, Type::none), {},
                                            builder.makeCall(rep.hostFuncrefCalled, {}, Type::none)));
    }
    return builder.makeRefFunc(funcStub);
  }

  // The argument: the stand-in, or null, as srr_rep_export_arg_ref says.
  Expression* argument(Builder& builder, Type type) {
    Expression* nonNull =
      builder.makeCall(rep.exportArgRef, {builder.makeConst(Literal(int32_t(srr::traceTypeCode(type))))}, Type::i32);
    Select* select = builder.makeSelect(nonNull, make(builder, type), builder.makeRefNull(type.getHeapType()));
    select->type = type; // funcref or externref itself, not the stand-in's own type
    return select;
  }
};

// The body of srr_host_global_set(index, low bits, high bits): the
// recorded value into a mutable global (a reference: null, or a stand-in);
// an immutable one (an import) is compared instead, 1 if it differs.
Expression* hostGlobalSet(Module& wasm, srr::HostBodyBuilder& host, const std::vector<srr::HostGlobal>& globals,
                          RefStandIns& standIns) {
  Builder& b = host.builder;
  std::vector<Expression*> arms;
  // The recorded bits as a value of `type` (a reference: null or a stand-in).
  auto recorded = [&](Type type) -> Expression* {
    Expression* low = host.param(1, Type::i64);
    if (srr::isTraceRef(type)) {
      Select* select = b.makeSelect(b.makeUnary(WrapInt64, low), standIns.make(b, type),
                                    b.makeRefNull(type.getHeapType().getBottom()));
      select->type = type;
      return select;
    }
    switch (type.getBasic()) {
      case Type::i32:
        return b.makeUnary(WrapInt64, low);
      case Type::i64:
        return low;
      case Type::f32:
        return b.makeUnary(ReinterpretInt32, b.makeUnary(WrapInt64, low));
      case Type::f64:
        return b.makeUnary(ReinterpretInt64, low);
      default:
        return b.makeSIMDReplace(ReplaceLaneVecI64x2, b.makeUnary(SplatVecI64x2, low), 1, host.param(2, Type::i64));
    }
  };
  for (const auto& g : globals) {
    Global* global = wasm.getGlobal(g.global);
    Expression* action =
      global->mutable_
        ? static_cast<Expression*>(b.makeGlobalSet(g.global, recorded(g.type)))
        : b.makeIf(immutableDiffers(b, global, host.param(1, Type::i64), host.param(2, Type::i64)),
                   b.makeReturn(host.i32(1)));
    arms.push_back(b.makeIf(b.makeBinary(EqInt32, host.param(0), host.i32(g.index)), action));
  }
  arms.push_back(host.i32(0));
  return b.makeBlock(arms, Type::i32);
}

// The dispatcher behind srr_host_call_export(index): a call_indirect
// through a table of its own whose element `index` is that export's caller
// (arguments from the replayer, results back to it):
//
//   (table $srr$export-callers N N funcref)
//   (elem (table $srr$export-callers) (i32.const 0) func $srr$call-export$0 ...)
//   (if (i32.lt_u (local.get $index) (i32.const N))
//    (then (call_indirect $srr$export-callers (type $void) (local.get $index))))
//
// One small function per export rather than one big dispatcher: an engine
// that compiles functions on their first call (V8) compiles the callers of
// the exports the trace calls, not all of them, inside the replay (a
// br_table over a few hundred exports took V8's baseline compiler most of a
// millisecond).
Expression* exportDispatcher(Module& wasm, const std::vector<std::pair<Name, Name>>& exports,
                             const ReplayerFunctions& rep, RefStandIns& standIns) {
  Builder builder(wasm);
  if (exports.empty()) {
    return builder.makeNop();
  }
  std::vector<Name> callers;
  for (uint32_t index = 0; index < exports.size(); index++) {
    Function* target = wasm.getFunction(exports[index].second);
    Signature sig = target->getSig();
    std::vector<Expression*> args;
    for (auto t : sig.params) {
      args.push_back(srr::isTraceRef(t)  ? standIns.argument(builder, t)
                     : t == Type::v128 ? v128FromHalves(builder, rep.exportArgV128Low, rep.exportArgV128High)
                                       : builder.makeCall(rep.exportArg.at(t.getBasic()), {}, t));
    }
    std::vector<Expression*> body;
    std::vector<Type> vars;
    auto values = srr::keepResults(builder, builder.makeCall(target->name, args, sig.results), sig.results, 0, vars,
                                   body);
    for (Expression* value : values) {
      Type t = value->type;
      body.push_back(srr::isTraceRef(t)
                      ? builder.makeCall(rep.exportResultRef,
                                         {builder.makeConst(Literal(int32_t(srr::traceTypeCode(t)))),
                                          builder.makeUnary(EqZInt32, builder.makeRefIsNull(value))},
                                         Type::none)
                      : passValue(builder, rep.exportResult, value));
    }
    Name caller = Names::getValidFunctionName(wasm, "srr$call-export$" + std::to_string(index));
    wasm.addFunction(builder.makeFunction(caller, Signature(Type::none, Type::none), std::move(vars),
                                          builder.makeBlock(body)));
    callers.push_back(caller);
  }
  Name table = Names::getValidTableName(wasm, "srr$export-callers");
  addFunctionTable(wasm, table, callers);
  return builder.makeIf(
    builder.makeBinary(LtUInt32, builder.makeLocalGet(0, Type::i32), builder.makeConst(Literal(int32_t(callers.size())))),
    builder.makeCallIndirect(table, builder.makeLocalGet(0, Type::i32), std::vector<Expression*>{},
                             HeapType(Signature(Type::none, Type::none))));
}

// One top-level export call of a compiled run: the export (its index among
// the module's function exports, as `exports` lists them) with the recorded
// arguments and results, and the numbers of its EXPORT_CALL and
// EXPORT_RETURN events.
struct CompiledCall {
  uint32_t exportIndex;
  std::vector<srr_value> args, results;
  uint64_t callEvent, returnEvent;
};

// A memory.grow of the guest inside a compiled call (MEMORY_GROW).
struct CompiledGrow {
  uint64_t event;
  uint32_t memory;
  uint64_t delta;
  int64_t result;
};

struct CompiledRun {
  std::vector<CompiledCall> calls;
  std::vector<CompiledGrow> grows;
};

// At most this many calls and grows are compiled: beyond, the replayer's
// loop is less code to compile than the generated calls.
constexpr size_t kMaxCompiledCalls = 256, kMaxCompiledGrows = 64;

bool numbersOf(const srr_value* values, uint32_t count, Type types, std::vector<srr_value>& out) {
  if (count != types.size()) {
    return false;
  }
  for (uint32_t i = 0; i < count; i++) {
    Type t = types[i];
    if (!t.isNumber() || t == Type::v128 || values[i].type != srr::traceTypeCode(t)) {
      return false;
    }
    out.push_back(values[i]);
  }
  return true;
}

// Whether `trace` can be replayed as code (replay-compiled-run, at the top of
// this file): complete, of this format version, with the module's own
// header `header`, and nothing but top-level export calls of numbers with
// their returns and the guest's memory.grow inside them, then END. Fills
// `run`.
bool compiledRun(Module& wasm, const std::vector<char>& trace, const std::vector<char>& header,
                 const std::vector<std::pair<Name, Name>>& exports, CompiledRun& run) {
  std::vector<CompiledCall>& calls = run.calls;
  const auto* bytes = reinterpret_cast<const uint8_t*>(trace.data());
  srr_file_header fh;
  if (srr_check_file_header(bytes, trace.size(), &fh) != SRR_FH_OK || fh.major != SRR_TRACE_MAJOR ||
      fh.minor != SRR_TRACE_MINOR || fh.body_size != header.size() ||
      memcmp(fh.body, header.data(), header.size()) != 0) {
    return false;
  }
  bool open = false; // an EXPORT_CALL waits for its EXPORT_RETURN
  bool ended = false; // END was the last event
  bool complete = visitEvents(trace, [&](const srr_event& ev) {
    if (ended) {
      return false; // something after END
    }
    if (ev.kind == SRR_EV_EXPORT_CALL && !open && ev.index < exports.size() && calls.size() < kMaxCompiledCalls) {
      calls.push_back({ev.index, {}, {}, ev.number, 0});
      Signature sig = wasm.getFunction(exports[ev.index].second)->getSig();
      return open = numbersOf(ev.values, ev.value_count, sig.params, calls.back().args);
    }
    if (ev.kind == SRR_EV_MEMORY_GROW && open && run.grows.size() < kMaxCompiledGrows &&
        ev.memory < wasm.memories.size() && !wasm.memories[ev.memory]->is64()) {
      run.grows.push_back({ev.number, ev.memory, ev.delta_pages, ev.result});
      return true;
    }
    if (ev.kind == SRR_EV_EXPORT_RETURN && open && ev.index == calls.back().exportIndex) {
      Signature sig = wasm.getFunction(exports[ev.index].second)->getSig();
      calls.back().returnEvent = ev.number;
      open = false;
      return numbersOf(ev.values, ev.value_count, sig.results, calls.back().results);
    }
    return ended = ev.kind == SRR_EV_END && !open;
  });
  return complete && ended;
}

Expression* position32(Builder& b, uint64_t events) { return b.makeConst(Literal(int32_t(events))); }

// The memory.grow of a compiled run, in place of srr_rep_memory_grow (same
// parameters: the memory's index, the delta): the MEMORY_GROW the run has
// reached, if it is this grow of this memory (the memory then grows as it
// did in the recording, from the same size), else the replayer, which
// finds the divergence there. `position` counts the events consumed.
Name compiledGrow(Module& wasm, const std::vector<CompiledGrow>& grows, Name position, const ReplayerFunctions& rep) {
  Builder b(wasm);
  auto memory = [&]() { return b.makeLocalGet(0, Type::i32); };
  auto delta = [&]() { return b.makeLocalGet(1, Type::i32); };
  std::vector<Expression*> body;
  for (const CompiledGrow& grow : grows) {
    Name mem = wasm.memories[grow.memory]->name; // (memoryIndex's numbering: the module's order)
    int32_t result = int32_t(grow.result);
    // (nested: i32.and would not stop at the first test that fails)
    Expression* done = b.makeSequence(b.makeGlobalSet(position, position32(b, grow.event + 1)),
                                      b.makeReturn(b.makeConst(Literal(result))));
    if (grow.result != -1) {
      done = b.makeIf(b.makeBinary(EqInt32, b.makeMemorySize(mem), b.makeConst(Literal(result))),
                      b.makeIf(b.makeBinary(EqInt32, b.makeMemoryGrow(delta(), mem), b.makeConst(Literal(result))), done));
    }
    body.push_back(b.makeIf(
      b.makeBinary(EqInt32, b.makeGlobalGet(position, Type::i32), position32(b, grow.event)),
      b.makeIf(b.makeBinary(EqInt32, memory(), b.makeConst(Literal(int32_t(grow.memory)))),
               b.makeIf(b.makeBinary(EqInt32, delta(), b.makeConst(Literal(int32_t(grow.delta)))), done))));
  }
  body.push_back(b.makeCall(rep.memoryGrow, {memory(), delta()}, Type::i32));
  Name name = Names::getValidFunctionName(wasm, "srr$compiled-grow");
  wasm.addFunction(b.makeFunction(name, Signature({Type::i32, Type::i32}, Type::i32), {}, b.makeBlock(body, Type::i32)));
  return name;
}

// The body of `_start` for a compiled run (`driver` gets the locals it
// needs): each call with its recorded arguments, its results compared with
// the recorded ones by bits, and the grows it made counted; `position`
// counts the events consumed.
Expression* compiledDriver(Module& wasm, Function* driver, const std::vector<CompiledCall>& calls,
                           const std::vector<std::pair<Name, Name>>& exports, Name position,
                           const ReplayerFunctions& rep) {
  Builder b(wasm);
  // A second `_start` (the run has begun or ended) traps in the replayer, as
  // a second srr_rep_run does.
  std::vector<Expression*> body{
    b.makeIf(b.makeGlobalGet(position, Type::i32),
             b.makeSequence(b.makeCall(rep.run, {}, Type::none), b.makeUnreachable()))};
  auto setPosition = [&](uint64_t events) { body.push_back(b.makeGlobalSet(position, position32(b, events))); };
  for (size_t k = 0; k < calls.size(); k++) {
    const CompiledCall& call = calls[k];
    Function* target = wasm.getFunction(exports[call.exportIndex].second);
    Signature sig = target->getSig();
    std::vector<Expression*> args;
    for (size_t i = 0; i < call.args.size(); i++) {
      args.push_back(b.makeConst(recordedLiteral(call.args[i], sig.params[i])));
    }
    setPosition(call.callEvent + 1);
    std::vector<Type> vars;
    std::vector<Expression*> steps;
    Index first = driver->getNumLocals();
    auto values = srr::keepResults(b, b.makeCall(target->name, args, sig.results), sig.results, first, vars, steps);
    for (Type t : vars) {
      Builder::addVar(driver, t);
    }
    body.insert(body.end(), steps.begin(), steps.end());
    // Each result in a local of its own: compared, then passed on a mismatch.
    // (A grow the guest did not make leaves the position short of the return.)
    std::vector<Index> locals;
    Expression* differs =
      b.makeBinary(NeInt32, b.makeGlobalGet(position, Type::i32), position32(b, call.returnEvent));
    for (size_t i = 0; i < values.size(); i++) {
      Type t = sig.results[i];
      Index local = Builder::addVar(driver, t);
      locals.push_back(local);
      body.push_back(b.makeLocalSet(local, values[i]));
      Expression* got = b.makeLocalGet(local, t);
      // (a float compared by its bits, with the recorded ones as an integer)
      Literal want = recordedLiteral(call.results[i], t);
      Literal bits = t == Type::f32 ? want.castToI32() : t == Type::f64 ? want.castToI64() : want;
      differs = b.makeBinary(OrInt32, differs, srr::differs(b, got, b.makeConst(bits)));
    }
    std::vector<Expression*> report{b.makeCall(rep.compiledDiverged, {}, Type::none)};
    for (size_t i = 0; i < locals.size(); i++) {
      report.push_back(passValue(b, rep.exportResult, b.makeLocalGet(locals[i], sig.results[i])));
    }
    report.push_back(b.makeCall(rep.compiledReturn, {b.makeConst(Literal(int32_t(call.exportIndex)))}, Type::none));
    body.push_back(b.makeIf(differs, b.makeBlock(report)));
    setPosition(call.returnEvent + 1);
  }
  setPosition(SRR_REPLAY_COMPILED_ENDED);
  return b.makeBlock(body);
}

} // namespace

extern "C" int srr_instrument_replay(srr_module* module, const srr_replay_options* options, srr_error* err) {
  Module& wasm = module->wasm;
  try {
    std::string error;
    srr::AppItems app = srr::collectAppItems(wasm);
    std::set<Name> passthrough;
    if (!srr::findNamedImports(app.imports, options->passthrough, options->passthrough_count, "passthrough import",
                               passthrough, error)) {
      srr_set_error(err, "%s", error.c_str());
      return 1;
    }
    std::vector<std::pair<uint32_t, Name>> memories;
    std::map<Name, uint32_t> memoryIndex;
    for (uint32_t i = 0; i < wasm.memories.size(); i++) {
      memories.push_back({i, wasm.memories[i]->name});
      memoryIndex[wasm.memories[i]->name] = i;
    }
    auto globals = srr::hostChangeableGlobals(wasm);
    std::vector<std::pair<uint32_t, Name>> tables;
    for (const auto& table : srr::hostWritableTables(wasm)) {
      tables.push_back({table.index, table.table});
    }
    std::vector<char> header = srr::buildTraceHeader(wasm, module->sha256, options->module_name, memories, globals, 0);

    uint32_t flags = (options->quiet ? 1u : 0u) | (options->allow_other_module ? 2u : 0u);
    std::vector<char> embedded(options->embedded_trace, options->embedded_trace + options->embedded_trace_size);
    CompiledRun compiled;
    Name compiledEvents; // the compiled run's position, if it has one
    if (!embedded.empty() && compiledRun(wasm, embedded, header, app.exports, compiled)) {
      compiledEvents = Names::getValidGlobalName(wasm, "srr$compiled_events");
      wasm.addGlobal(Builder(wasm).makeGlobal(compiledEvents, Type::i32, Builder(wasm).makeConst(Literal(int32_t(0))),
                                              Builder::Mutable));
    }
    Name funcStub;
    std::vector<std::pair<uint32_t, Name>> markedTables = tables;
    if (!embedded.empty()) {
      RecordedStart start = recordedStart(embedded, wasm.memories.size());
      funcStub = ownImports(wasm, start, globals);
      // A call_indirect through a table the trace has no HOST_FUNCREF_CALL
      // of ran the guest's own function in the recording (or the replay
      // calls a stand-in, whose call is a divergence either way): it needs
      // no marker check. (The checks cost most where they are not needed:
      // a wasm-r3 program exports its table and calls through it everywhere,
      // and its locals saved for the check slowed V8's first compilation.)
      if (start.complete) {
        std::erase_if(markedTables, [&](const auto& table) { return !start.hostCalledTables.count(table.first); });
      }
    }
    // Marker tables for the host's functions in funcref tables, sized after
    // ownImports sized their tables.
    std::map<Name, srr::HostMarkedTable> marked = srr::addHostMarkers(wasm, markedTables);
    Name mayCallHost; // srr_host_set_may_call_host's global
    if (!marked.empty()) {
      mayCallHost = Names::getValidGlobalName(wasm, "srr$may_call_host");
      wasm.addGlobal(Builder(wasm).makeGlobal(mayCallHost, Type::i32, Builder(wasm).makeConst(Literal(int32_t(0))),
                                              Builder::Mutable));
    }
    std::string path = options->trace_path ? options->trace_path : "";
    bool noWasi = options->embedded_trace_size > 0 && options->quiet;
    // The replayer reads its trace file and writes the guest's output and
    // its messages through WASI, whose host reaches only the memory exported
    // as "memory". A module that imports no WASI may export its memory under
    // another name (wasm-r3's captured web programs) or not at all: the
    // replay module exports it as "memory" too.
    if (!noWasi && !wasm.getExportOrNull("memory") && !wasm.memories.empty()) {
      wasm.addExport(Builder::makeExport("memory", wasm.memories[0]->name, ExternalKind::Memory));
    }

    // The replayer's "shadowrr" imports.
    Function* dispatcher = nullptr;
    Function* tableSet = nullptr;
    Function* globalSet = nullptr;
    srr::MergedRuntime rt;
    auto resolve = [&](Function* func) -> Expression* {
      srr::HostBodyBuilder host(wasm, rt.memory);
      Builder& b = host.builder;
      std::string name = func->base.toString();
      auto segmentCopy = [&](const char* root, const std::vector<char>& bytes, bool ranged) -> Expression* {
        Name seg = host.segment(root, bytes);
        return ranged ? host.copySegment(seg, host.param(1), host.param(2))
                      : host.copySegment(seg, host.i32(0), host.i32(uint32_t(bytes.size())));
      };
      if (name == "srr_host_embedded_trace_size") return host.i32(uint32_t(embedded.size()));
      if (name == "srr_host_embedded_trace_copy") {
        return embedded.empty() ? static_cast<Expression*>(b.makeNop()) : segmentCopy("srr$trace", embedded, true);
      }
      if (name == "srr_host_trace_path_size") return host.i32(uint32_t(path.size()));
      if (name == "srr_host_trace_path_copy") {
        return path.empty() ? static_cast<Expression*>(b.makeNop())
                            : segmentCopy("srr$trace-path", std::vector<char>(path.begin(), path.end()), false);
      }
      if (name == "srr_host_flags") return host.i32(flags);
      if (name == "srr_host_header_size") return host.i32(uint32_t(header.size()));
      if (name == "srr_host_header_copy") return segmentCopy("srr$module-header", header, false);
      if (name == "srr_host_wasi_memory") return host.wasiMemoryIndex(memories);
      if (name == "srr_host_app_write") {
        return host.perIndex(memories, [&](Name m) {
          return b.makeMemoryCopy(host.param(1), host.param(2), host.param(3), m, rt.memory);
        });
      }
      if (name == "srr_host_app_read") {
        return host.perIndex(memories, [&](Name m) {
          return b.makeMemoryCopy(host.param(2), host.param(1), host.param(3), rt.memory, m);
        });
      }
      // Sizes and growth of memories (pages) and host-written tables
      // (elements, grown with nulls): the result is the size, or the old
      // size (-1 when the grow fails).
      bool memorySize = name == "srr_host_memory_pages", memoryGrow = name == "srr_host_memory_grow";
      bool tableSize = name == "srr_host_table_size", tableGrow = name == "srr_host_table_grow";
      if (memorySize || memoryGrow || tableSize || tableGrow) {
        bool grow = memoryGrow || tableGrow;
        Index result = Builder::addVar(func, Type::i32);
        auto arm = [&](Name item) -> Expression* {
          Expression* value =
            memoryGrow   ? static_cast<Expression*>(b.makeMemoryGrow(host.param(1), item))
            : memorySize ? static_cast<Expression*>(b.makeMemorySize(item))
            : tableGrow  ? static_cast<Expression*>(b.makeTableGrow(
                            item, b.makeRefNull(wasm.getTable(item)->type.getHeapType().getBottom()), host.param(1)))
                         : static_cast<Expression*>(b.makeTableSize(item));
          return b.makeLocalSet(result, value);
        };
        std::vector<Expression*> body{b.makeLocalSet(result, host.i32(grow ? 0xFFFFFFFFu : 0)),
                                      host.perIndex(memorySize || memoryGrow ? memories : tables, arm)};
        if (tableGrow) { // the marker tables follow
          for (const auto& [name, table] : marked) {
            body.push_back(b.makeCall(table.follow, {}, Type::none));
          }
        }
        body.push_back(b.makeLocalGet(result, Type::i32));
        return b.makeBlock(body, Type::i32);
      }
      if (name == "srr_host_table_set") {
        // (table, element, non_null): a stand-in for a non-null element
        tableSet = func; // filled in once the replayer's names are known
        return b.makeNop();
      }
      if (name == "srr_host_global_set") {
        globalSet = func; // filled in once the replayer's names are known
        return host.i32(0);
      }
      if (name == "srr_host_funcref_call_values") return host.i32(srr::hostCallValues(wasm, app.functions, marked));
      if (name == "srr_host_compiled_events") {
        return compiledEvents.is() ? static_cast<Expression*>(b.makeGlobalGet(compiledEvents, Type::i32)) : host.i32(0);
      }
      if (name == "srr_host_set_may_call_host") {
        return mayCallHost.is() ? static_cast<Expression*>(b.makeGlobalSet(mayCallHost, host.param(0)))
                                : b.makeNop();
      }
      if (name == "srr_host_call_export") {
        dispatcher = func; // filled in once the replayer's names are known
        return b.makeNop();
      }
      return nullptr;
    };
    if (!srr::mergeRuntime(wasm, srr_replayer_wasm, srr_replayer_wasm_size, "replayer", !noWasi, resolve, rt, error)) {
      srr_set_error(err, "%s", error.c_str());
      return 1;
    }
    ReplayerFunctions rep;
    if (!rep.find(rt, error)) {
      srr_set_error(err, "%s", error.c_str());
      return 1;
    }
    RefStandIns standIns{wasm, rep, funcStub};
    if (funcStub.is()) {
      wasm.getFunction(funcStub)->body = Builder(wasm).makeCall(rep.hostFuncrefCalled, {}, Type::none);
    }
    if (dispatcher) {
      dispatcher->body = exportDispatcher(wasm, app.exports, rep, standIns);
    }
    if (globalSet) {
      srr::HostBodyBuilder host(wasm, rt.memory);
      globalSet->body = hostGlobalSet(wasm, host, globals, standIns);
    }
    if (tableSet) {
      // (table, element, non_null): a stand-in for a non-null element (a
      // funcref stand-in reports a divergence if the guest calls it)
      srr::HostBodyBuilder host(wasm, rt.memory);
      Builder& b = host.builder;
      tableSet->body = host.perIndex(tables, [&](Name t) -> Expression* {
        Type type = wasm.getTable(t)->type;
        Select* value =
          b.makeSelect(host.param(2), standIns.make(b, type), b.makeRefNull(type.getHeapType().getBottom()));
        value->type = type;
        Expression* set = b.makeTableSet(t, host.param(1), value);
        auto found = marked.find(t);
        if (found == marked.end()) {
          return set;
        }
        return b.makeSequence(set, srr::setHostMarker(b, found->second, host.param(1),
                                                        b.makeTableGet(t, host.param(1), type)));
      });
    }
    srr::inlineGenerated(wasm, rt); // (every generated body is final now)
    srr::replayHostCalls(wasm, app.functions, marked, mayCallHost, rep,
                         [&](Builder& b, Type type) { return standIns.make(b, type); });
    PassRunner runner(&wasm);
    Name grow = compiledEvents.is() && !compiled.grows.empty()
                  ? compiledGrow(wasm, compiled.grows, compiledEvents, rep)
                  : rep.memoryGrow;
    runner.add(std::make_unique<ReplayGrow>(&memoryIndex, grow));
    for (Function* func : app.functions) {
      runner.runOnFunction(func);
    }
    if (!stubImports(wasm, app.imports, passthrough, rep, error)) {
      srr_set_error(err, "%s", error.c_str());
      return 1;
    }
    // The only function export: the driver.
    for (auto& [exportName, function] : app.exports) {
      wasm.removeExport(exportName);
    }
    Builder builder(wasm);
    Name driver = Names::getValidFunctionName(wasm, "srr$replay$start");
    Function* start = wasm.addFunction(builder.makeFunction(driver, Signature(Type::none, Type::none), {},
                                                            builder.makeCall(rep.run, {}, Type::none)));
    if (compiledEvents.is()) {
      start->body = compiledDriver(wasm, start, compiled.calls, app.exports, compiledEvents, rep);
    }
    wasm.addExport(Builder::makeExport("_start", driver, ExternalKind::Function));
  } catch (std::exception& e) {
    srr_set_error(err, "replay transform failed: %s", e.what());
    return 1;
  }
  return 0;
}
