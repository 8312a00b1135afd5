// replay-host-calls: the replay side of HOST_FUNCREF_CALL. A recording's
// host can put functions of its own into a funcref table the module exports
// or imports, and the guest calls them with call_indirect; the recording
// holds each such call, its arguments and its results (shadow_tables.cpp).
// In the replay the element holds a stand-in (what the replayer's
// srr_host_table_set puts there), and a marker table beside the table says
// which elements the recording's host set: a call_indirect that finds a
// marked element asks the replayer instead, which checks the call against
// the trace and returns the recorded results. The guest's own writes to the
// table clear the markers of what they overwrite. With an embedded trace,
// only the tables that it has a HOST_FUNCREF_CALL of are marked (replay.cpp):
// through any other, the recording's guest only ever called its own
// functions.
//
//  Before:
//   (table $t (export "t") 4 funcref)
//   (func $f (param $x i32) (result i32)
//    (call_indirect $t (type $i32_i32) (local.get $x) (i32.const 2)))
//
//  After:
//   (table $t (export "t") 4 funcref)
//   (table $t$host 4 funcref)                    ;; non-null: set by the host
//   (func $f (param $x i32) (result i32) (local $1 i32) (local $2 i32)
//    (local.set $1 (local.get $x)) (local.set $2 (i32.const 2))
//    (if (result i32)
//     (if (result i32) (i32.lt_u (local.get $2) (table.size $t$host))
//      (then (i32.eqz (ref.is_null (table.get $t$host (local.get $2)))))
//      (else (i32.const 0)))
//     (then (call $srr$host-call$0 (i32.const 0) (local.get $2) (local.get $1)))
//     (else (call_indirect $t (type $i32_i32) (local.get $1) (local.get $2)))))
//   (func $srr$host-call$0 (param $table i32) (param $element i32) (param $0 i32) (result i32)
//    (call $srr_rep_funcref_begin (local.get $table) (local.get $element))
//    (call $srr_rep_arg_i32 (local.get $0))
//    (call $srr_rep_funcref_call (i32.const 1))
//    (call $srr_rep_ret_i32))
//
// table.set, table.fill and table.init clear the markers of the elements
// they write (srr$host-clear$t), table.copy copies them along (or clears
// them, from an unmarked table), table.grow grows the marker table with
// nulls. A tail call (return_call_indirect) of a marked element cannot be
// answered after it returns: the replayer reports a divergence, as the
// recording recorded nothing for it.

#include <functional>
#include <map>
#include <unordered_map>

#include "ir/find_all.h"
#include "ir/manipulation.h"
#include "ir/names.h"
#include "pass.h"
#include "wasm-builder.h"
#include "wasm.h"

#include "../replay_host_calls.h"
#include "../trace_header.h"
#include "record_events.h"
#include "spill.h"

using namespace wasm;

namespace srr {

namespace {

// [start, start+count) of `marker`, as far as it goes, set to null: a loop
// of table.set (wizer's Wasmtime refuses table.fill).
Name addClearHelper(Module& wasm, const HostMarkedTable& marked) {
  Builder b(wasm);
  Name name = Names::getValidFunctionName(wasm, "srr$host-clear$" + marked.table.toString());
  // (locals: 0 start, 1 count, 2 end = min(start + count, size), as i64)
  auto start = [&]() { return b.makeLocalGet(0, Type::i32); };
  auto end = [&]() { return b.makeLocalGet(2, Type::i64); };
  Expression* size = b.makeUnary(ExtendUInt32, b.makeTableSize(marked.marker));
  Expression* wanted =
    b.makeBinary(AddInt64, b.makeUnary(ExtendUInt32, start()), b.makeUnary(ExtendUInt32, b.makeLocalGet(1, Type::i32)));
  Name loop = "srr$next", out = "srr$done";
  Expression* body = b.makeBlock(
    {b.makeLocalSet(2, wanted),
     b.makeIf(b.makeBinary(GtUInt64, end(), size), b.makeLocalSet(2, ExpressionManipulator::copy(size, wasm))),
     b.makeBlock(out, b.makeLoop(loop, b.makeBlock({
       b.makeBreak(out, nullptr, b.makeBinary(GeUInt64, b.makeUnary(ExtendUInt32, start()), end())),
       b.makeTableSet(marked.marker, start(), b.makeRefNull(HeapType::nofunc)),
       b.makeLocalSet(0, b.makeBinary(AddInt32, start(), b.makeConst(Literal(int32_t(1))))),
       b.makeBreak(loop)})))});
  wasm.addFunction(b.makeFunction(name, Signature(Type({Type::i32, Type::i32}), Type::none), {Type::i64}, body));
  return name;
}

struct ReplayHostCalls : public PostWalker<ReplayHostCalls> {
  const std::map<Name, HostMarkedTable>* marked;
  std::function<Name(Signature)> hostCall;

  ReplayHostCalls(const std::map<Name, HostMarkedTable>* marked, std::function<Name(Signature)> hostCall)
    : marked(marked), hostCall(std::move(hostCall)) {}

  const HostMarkedTable* markedOf(Expression* curr, Name table) {
    if (curr->type == Type::unreachable) {
      return nullptr;
    }
    auto it = marked->find(table);
    return it == marked->end() ? nullptr : &it->second;
  }

  std::vector<Index> spill(Builder& builder, const std::vector<Expression*>& operands,
                           std::vector<Expression*>& sets) {
    return spillToLocals(getFunction(), builder, operands, sets);
  }

  // Whether element `at` is the recording host's: marked, or else (when
  // the replayer says the next event may be such a call) the host call the
  // trace has next, the recording's host having replaced a function there
  // by its own.
  Expression* isHostElement(Builder& b, const HostMarkedTable& table, Index at) {
    auto i32 = [&](int32_t v) { return b.makeConst(Literal(v)); };
    Expression* marked =
      b.makeIf(b.makeBinary(LtUInt32, b.makeLocalGet(at, Type::i32), b.makeTableSize(table.marker)),
               b.makeUnary(EqZInt32, b.makeRefIsNull(b.makeTableGet(table.marker, b.makeLocalGet(at, Type::i32),
                                                                    wasm::Type(HeapType::func, Nullable)))),
               i32(0));
    Expression* next = b.makeIf(b.makeGlobalGet(mayCallHost, Type::i32),
                                b.makeCall(isHostCall, {i32(int32_t(table.index)), b.makeLocalGet(at, Type::i32)},
                                           Type::i32),
                                i32(0));
    return b.makeIf(marked, i32(1), next);
  }

  void visitCallIndirect(CallIndirect* curr) {
    const HostMarkedTable* table = markedOf(curr, curr->table);
    if (!table) {
      return;
    }
    Builder b(*getModule());
    Signature sig = curr->heapType.getSignature();
    std::vector<Expression*> operands(curr->operands.begin(), curr->operands.end());
    operands.push_back(curr->target);
    std::vector<Expression*> body;
    auto locals = spill(b, operands, body);
    Index target = locals.back();
    for (size_t i = 0; i < curr->operands.size(); i++) {
      curr->operands[i] = b.makeLocalGet(locals[i], getFunction()->getLocalType(locals[i]));
    }
    curr->target = b.makeLocalGet(target, Type::i32);
    Expression* onHost;
    if (curr->isReturn || !recordableHostCall(sig)) {
      // Not recorded (shadow_tables.cpp, markHostCall): a divergence.
      onHost = b.makeCall(hostCallUnrecorded, {}, Type::none);
      body.push_back(b.makeIf(isHostElement(b, *table, target), onHost));
      body.push_back(curr);
      replaceCurrent(b.makeBlock(body, curr->type));
      return;
    }
    std::vector<Expression*> args{b.makeConst(Literal(int32_t(table->index))), b.makeLocalGet(target, Type::i32)};
    for (size_t i = 0; i + 1 < locals.size(); i++) {
      args.push_back(b.makeLocalGet(locals[i], getFunction()->getLocalType(locals[i])));
    }
    onHost = b.makeCall(hostCall(sig), args, sig.results);
    body.push_back(b.makeIf(isHostElement(b, *table, target), onHost, curr));
    replaceCurrent(b.makeBlock(body, curr->type));
  }

  Name hostCallUnrecorded, isHostCall, mayCallHost;

  void visitTableSet(TableSet* curr) { clearAfter(curr, curr->table, {&curr->index, &curr->value}, -1); }
  void visitTableFill(TableFill* curr) { clearAfter(curr, curr->table, {&curr->dest, &curr->value, &curr->size}, 2); }
  void visitTableInit(TableInit* curr) { clearAfter(curr, curr->table, {&curr->dest, &curr->offset, &curr->size}, 2); }

  // A guest write of `table`'s elements from operand 0 on, as many as
  // operand `count` says (-1: one): the operands (curr's own fields, in
  // order) into locals, the write, then the markers cleared.
  void clearAfter(Expression* curr, Name tableName, const std::vector<Expression**>& operands, int count) {
    const HostMarkedTable* table = markedOf(curr, tableName);
    if (!table) {
      return;
    }
    Builder b(*getModule());
    std::vector<Expression*> values, body;
    for (Expression** operand : operands) {
      values.push_back(*operand);
    }
    auto locals = spill(b, values, body);
    auto get = [&](size_t i) { return b.makeLocalGet(locals[i], getFunction()->getLocalType(locals[i])); };
    for (size_t i = 0; i < operands.size(); i++) {
      *operands[i] = get(i);
    }
    body.push_back(curr);
    body.push_back(b.makeCall(table->clear,
                              {get(0), count < 0 ? static_cast<Expression*>(b.makeConst(Literal(int32_t(1)))) : get(size_t(count))},
                              Type::none));
    replaceCurrent(b.makeBlock(body));
  }

  void visitTableCopy(TableCopy* curr) {
    const HostMarkedTable* dest = markedOf(curr, curr->destTable);
    if (!dest) {
      return;
    }
    const HostMarkedTable* source = markedOf(curr, curr->sourceTable);
    Builder b(*getModule());
    std::vector<Expression*> body;
    auto l = spill(b, {curr->dest, curr->source, curr->size}, body);
    auto get = [&](size_t i) { return b.makeLocalGet(l[i], Type::i32); };
    curr->dest = get(0);
    curr->source = get(1);
    curr->size = get(2);
    body.push_back(curr);
    // The markers go along where both marker tables hold the range (they
    // are as large as their tables unless a replay's host grew one), else
    // the destination's are cleared.
    Expression* clear = b.makeCall(dest->clear, {get(0), get(2)}, Type::none);
    if (source) {
      auto fits = [&](Index at, Name marker) {
        return b.makeBinary(LeUInt64,
                            b.makeBinary(AddInt64, b.makeUnary(ExtendUInt32, get(at)), b.makeUnary(ExtendUInt32, get(2))),
                            b.makeUnary(ExtendUInt32, b.makeTableSize(marker)));
      };
      clear = b.makeIf(b.makeBinary(AndInt32, fits(0, dest->marker), fits(1, source->marker)),
                       b.makeTableCopy(get(0), get(1), get(2), dest->marker, source->marker), clear);
    }
    body.push_back(clear);
    replaceCurrent(b.makeBlock(body));
  }

  void visitTableGrow(TableGrow* curr) {
    const HostMarkedTable* table = markedOf(curr, curr->table);
    if (!table) {
      return;
    }
    Builder b(*getModule());
    Index result = Builder::addVar(getFunction(), Type::i32);
    replaceCurrent(b.makeBlock({b.makeLocalSet(result, curr), b.makeCall(table->follow, {}, Type::none),
                                b.makeLocalGet(result, Type::i32)},
                               Type::i32));
  }
};

} // namespace

std::map<Name, HostMarkedTable> addHostMarkers(Module& wasm, const std::vector<std::pair<uint32_t, Name>>& tables) {
  std::map<Name, HostMarkedTable> out;
  Builder b(wasm);
  for (const auto& [index, name] : tables) {
    Table* table = wasm.getTable(name);
    if (table->type.getHeapType() != HeapType(HeapType::func)) {
      continue; // an externref is only tested for null: nothing to answer
    }
    HostMarkedTable marked;
    marked.table = name;
    marked.index = index;
    marked.marker = Names::getValidTableName(wasm, name.toString() + "$host");
    wasm.addTable(Builder::makeTable(marked.marker, Type(HeapType::func, Nullable), table->initial,
                                     Table::kUnlimitedSize));
    marked.clear = addClearHelper(wasm, marked);
    // srr$host-follow$t: the marker table grows to its table's size.
    marked.follow = Names::getValidFunctionName(wasm, "srr$host-follow$" + name.toString());
    Expression* grow = b.makeIf(
      b.makeBinary(GtUInt32, b.makeTableSize(name), b.makeTableSize(marked.marker)),
      b.makeDrop(b.makeTableGrow(marked.marker, b.makeRefNull(HeapType::nofunc),
                                 b.makeBinary(SubInt32, b.makeTableSize(name), b.makeTableSize(marked.marker)))));
    wasm.addFunction(b.makeFunction(marked.follow, Signature(Type::none, Type::none), {}, grow));
    out[name] = marked;
  }
  return out;
}

uint32_t hostCallValues(Module& wasm, const std::vector<Function*>& functions,
                        const std::map<Name, HostMarkedTable>& marked) {
  size_t most = 0;
  for (Function* func : functions) {
    if (func->imported()) {
      continue;
    }
    for (CallIndirect* call : FindAll<CallIndirect>(func->body).list) {
      if (marked.count(call->table)) {
        Signature sig = call->heapType.getSignature();
        most = std::max(most, sig.params.size() + sig.results.size());
      }
    }
  }
  return uint32_t(most);
}

Expression* setHostMarker(Builder& b, const HostMarkedTable& marked, Expression* element, Expression* value) {
  // (the marker table follows its table first: the replay's host may have
  // grown an imported one)
  return b.makeSequence(b.makeCall(marked.follow, {}, Type::none),
                        b.makeTableSet(marked.marker, element, value));
}

void replayHostCalls(Module& wasm, const std::vector<Function*>& functions,
                     const std::map<Name, HostMarkedTable>& marked, Name mayCallHost, const ReplayerFunctions& rep,
                     const std::function<Expression*(Builder&, Type)>& standIn) {
  if (marked.empty()) {
    return;
  }
  Builder b(wasm);
  std::unordered_map<Signature, Name> hostCalls;
  auto hostCall = [&](Signature sig) -> Name {
    auto found = hostCalls.find(sig);
    if (found != hostCalls.end()) {
      return found->second;
    }
    Name name = Names::getValidFunctionName(wasm, "srr$host-call$" + std::to_string(hostCalls.size()));
    std::vector<Type> params{Type::i32, Type::i32};
    for (Type t : sig.params) {
      params.push_back(t);
    }
    std::vector<Expression*> body{
      b.makeCall(rep.funcrefBegin, {b.makeLocalGet(0, Type::i32), b.makeLocalGet(1, Type::i32)}, Type::none)};
    for (Index i = 0; i < sig.params.size(); i++) {
      Type t = sig.params[i];
      Expression* value = b.makeLocalGet(2 + i, t);
      body.push_back(isTraceRef(t) ? b.makeCall(rep.argRef,
                                                {b.makeConst(Literal(int32_t(traceTypeCode(t)))),
                                                 b.makeUnary(EqZInt32, b.makeRefIsNull(value))},
                                                Type::none)
                                   : passValue(b, rep.arg, value));
    }
    body.push_back(
      b.makeCall(rep.funcrefCall, {b.makeConst(Literal(int32_t(sig.results.size())))}, Type::none));
    appendRecordedResults(b, rep, sig.results, [&](Type t) { return standIn(b, t); }, body);
    wasm.addFunction(b.makeFunction(name, Signature(Type(params), sig.results), {}, b.makeBlock(body, sig.results)));
    hostCalls[sig] = name;
    return name;
  };
  // (a walker, not a parallel pass: it adds the host-call functions to the
  // module as it goes)
  ReplayHostCalls walker(&marked, hostCall);
  walker.hostCallUnrecorded = rep.hostFuncrefCalled;
  walker.isHostCall = rep.isHostCall;
  walker.mayCallHost = mayCallHost;
  for (Function* func : functions) {
    walker.walkFunctionInModule(func, &wasm);
  }
}

} // namespace srr
