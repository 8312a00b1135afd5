// shadow-tables: the host can write an externref or funcref table that the
// module exports or imports (JS table.set and table.grow, another module's
// element segments) behind the guest's back. A reference cannot be compared,
// but all a guest without casts learns of an externref is whether it is
// null (docs/trace-format.md, "References"); of a funcref it also learns
// what calling it does, which no shadow can tell: a call_indirect that
// reached a function of the host's is recorded after it returns
// (HOST_FUNCREF_CALL, markHostCall below). So each such table gets a shadow table
// that follows the guest's own writes, and a read that finds the element
// null where the shadow is not (or the other way round) records the host's
// write as HOST_TABLE_SET, as a load that finds a byte differing from its
// shadow records MEMORY_WRITE. The tables' sizes are compared at every event
// boundary and before every access: a larger table is the host's growth
// (HOST_TABLE_GROW). A call_indirect through a funcref table checks the
// element it calls as table.get does. A table the module only exports gets
// no shadow when the host's tables are closed (host_writes_in_calls, no
// function import): the host never writes it.
//
//  Before:
//   (table $t (export "t") 2 externref)
//   (func $get (param $i i32) (result externref) (table.get $t (local.get $i)))
//   (func $set (param $i i32) (param $r externref) (table.set $t (local.get $i) (local.get $r)))
//
//  After:
//   (table $t (export "t") 2 externref)
//   (table $t$shadow 2 externref)
//   (func $get (param $i i32) (result externref) (local $2 i32) (local $3 externref)
//    (local.set $2 (local.get $i))
//    (if (i32.ne (table.size $t) (table.size $t$shadow)) (then (call $srr$table-sync$t)))
//    (local.set $3 (table.get $t (local.get $2)))
//    (if (i32.ne (ref.is_null (local.get $3)) (ref.is_null (table.get $t$shadow (local.get $2))))
//     (then (call $srr_rec_host_table_set (i32.const 0) (local.get $2) (i32.eqz (ref.is_null (local.get $3))))
//           (table.set $t$shadow (local.get $2) (local.get $3))))
//    (local.get $3))
//   (func $set ... (table.set $t $i $r) (table.set $t$shadow $i $r))
//
// table.fill, table.init and table.grow do the same on the shadow; table.copy
// first reconciles its source range (srr$table-reconcile$t, as memory.copy
// does), then copies between the shadows. The active element segments of a
// defined table are copied onto its shadow; those of an imported table, which
// may be larger than it declares, are left passive and copied in by
// shadow-init once the shadow has the table's real size.

#include <functional>
#include <unordered_set>

#include "ir/find_all.h"
#include "ir/manipulation.h"
#include "ir/names.h"
#include "wasm-builder.h"
#include "wasm.h"

#include "../record_context.h"
#include "../trace_header.h"
#include "record_events.h"
#include "spill.h"

using namespace wasm;

namespace srr {

std::vector<HostTable> hostWritableTables(Module& wasm) {
  std::vector<HostTable> out;
  for (uint32_t index = 0; index < wasm.tables.size(); index++) {
    Table* table = wasm.tables[index].get();
    bool exported = false;
    for (auto& exp : wasm.exports) {
      exported |= exp->kind == ExternalKind::Table && *exp->getInternalName() == table->name;
    }
    if ((exported || table->imported()) && isTraceRef(table->type)) {
      out.push_back({table->name, index});
    }
  }
  return out;
}

bool addShadowTables(Module& wasm, RecordContext& context, std::string& error) {
  for (const HostTable& host : hostWritableTables(wasm)) {
    Table* table = wasm.getTable(host.table);
    if (context.hostTablesClosed() && !table->imported()) {
      continue; // the host never writes it (RecordContext::hostTablesClosed)
    }
    if (table->is64()) {
      error = "unsupported: table " + table->name.toString() + " is a 64-bit table (table64)";
      return false;
    }
    Name shadow = Names::getValidTableName(wasm, table->name.toString() + "$shadow");
    auto copy = Builder::makeTable(shadow, table->type, table->initial, Table::kUnlimitedSize, Type::i32,
                                   table->init ? ExpressionManipulator::copy(table->init, wasm) : nullptr);
    wasm.addTable(std::move(copy));
    context.tables.add(table->name, {table->name, shadow, host.index, Name(), Name()});
  }
  // Shadow copies of the active element segments, after all the originals.
  std::vector<ElementSegment*> segments;
  for (auto& segment : wasm.elementSegments) {
    if (segment->isActive() && context.tablePairOf(segment->table)) {
      segments.push_back(segment.get());
    }
  }
  for (ElementSegment* segment : segments) {
    const RecordContext::TablePair& pair = *context.tablePairOf(segment->table);
    auto copy = std::make_unique<ElementSegment>();
    copy->name = Names::getValidElementSegmentName(wasm, segment->name.toString() + "$shadow");
    copy->type = segment->type;
    for (Expression* item : segment->data) {
      copy->data.push_back(ExpressionManipulator::copy(item, wasm));
    }
    if (wasm.getTable(segment->table)->imported()) {
      context.deferredElements.push_back({copy->name, pair.shadow, ExpressionManipulator::copy(segment->offset, wasm),
                                          uint32_t(segment->data.size())});
    } else {
      copy->table = pair.shadow;
      copy->offset = ExpressionManipulator::copy(segment->offset, wasm);
    }
    wasm.addElementSegment(std::move(copy));
  }
  return true;
}

void addTableHelpers(Module& wasm, RecordContext& context) {
  Builder builder(wasm);
  auto i32 = [&](uint32_t v) { return builder.makeConst(Literal(int32_t(v))); };
  for (auto& pair : context.tables) {
    Type ext = wasm.getTable(pair.table)->type; // externref or funcref
    // srr$table-sync$t: the host grew the table (HOST_TABLE_GROW); the
    // shadow grows to its size (with nulls: the host's new elements are
    // found when read).
    pair.sync = Names::getValidFunctionName(wasm, "srr$table-sync$" + pair.table.toString());
    Expression* grow = builder.makeBlock(
      {builder.makeCall(context.recHostTableGrow, {i32(pair.index), builder.makeLocalGet(0, Type::i32)}, Type::none),
       builder.makeDrop(builder.makeTableGrow(
         pair.shadow, builder.makeRefNull(ext.getHeapType().getBottom()),
         builder.makeBinary(SubInt32, builder.makeLocalGet(0, Type::i32), builder.makeTableSize(pair.shadow))))});
    wasm.addFunction(builder.makeFunction(
      pair.sync, Signature(Type::none, Type::none), {Type::i32},
      builder.makeBlock({builder.makeLocalSet(0, builder.makeTableSize(pair.table)),
                         builder.makeIf(builder.makeBinary(NeInt32, builder.makeLocalGet(0, Type::i32),
                                                           builder.makeTableSize(pair.shadow)),
                                        grow)})));
    // srr$table-reconcile$t (start, count): every element of [start,
    // start+count) (within the table) whose null-ness differs from the
    // shadow's is recorded and copied into the shadow. Locals: 0 start,
    // 1 count, 2 end (i64), 3 element.
    pair.reconcile = Names::getValidFunctionName(wasm, "srr$table-reconcile$" + pair.table.toString());
    auto start = [&]() { return builder.makeLocalGet(0, Type::i32); };
    auto element = [&]() { return builder.makeLocalGet(3, ext); };
    Expression* end64 = builder.makeBinary(AddInt64, builder.makeUnary(ExtendUInt32, start()),
                                           builder.makeUnary(ExtendUInt32, builder.makeLocalGet(1, Type::i32)));
    Expression* size64 = builder.makeUnary(ExtendUInt32, builder.makeTableSize(pair.table));
    Name loop = "srr$next", out = "srr$done";
    Expression* body = builder.makeBlock(
      out,
      builder.makeLoop(
        loop,
        builder.makeBlock(
          {builder.makeBreak(out,
                             nullptr,
                             builder.makeBinary(GeUInt64, builder.makeUnary(ExtendUInt32, start()),
                                                builder.makeLocalGet(2, Type::i64))),
           builder.makeLocalSet(3, builder.makeTableGet(pair.table, start(), ext)),
           builder.makeIf(
             builder.makeBinary(NeInt32, builder.makeRefIsNull(element()),
                                builder.makeRefIsNull(builder.makeTableGet(pair.shadow, start(), ext))),
             builder.makeBlock(
               {builder.makeCall(context.recHostTableSet,
                                 {i32(pair.index), start(), builder.makeUnary(EqZInt32, builder.makeRefIsNull(element()))},
                                 Type::none),
                builder.makeTableSet(pair.shadow, start(), element())})),
           builder.makeLocalSet(0, builder.makeBinary(AddInt32, start(), i32(1))),
           builder.makeBreak(loop)})));
    wasm.addFunction(builder.makeFunction(
      pair.reconcile, Signature(Type({Type::i32, Type::i32}), Type::none), {Type::i64, ext},
      builder.makeBlock(
        {builder.makeCall(pair.sync, {}, Type::none),
         builder.makeLocalSet(2, builder.makeSelect(builder.makeBinary(LtUInt64, ExpressionManipulator::copy(end64, wasm),
                                                                       ExpressionManipulator::copy(size64, wasm)),
                                                    end64, size64)),
         body})));
  }
}

void addGuestEntryMarks(Module& wasm, RecordContext& context, const std::vector<Function*>& functions) {
  // A call through a host-written funcref table is recorded when it reaches
  // the host; a call_ref only matters to synced code.
  bool hostFuncrefs = false;
  for (const auto& pair : context.tables) {
    hostFuncrefs |= wasm.getTable(pair.table)->type.getHeapType() == HeapType(HeapType::func);
  }
  std::unordered_set<Name> named; // the functions a funcref can name
  for (auto& segment : wasm.elementSegments) {
    for (Expression* item : segment->data) {
      for (RefFunc* ref : FindAll<RefFunc>(item).list) {
        named.insert(ref->func);
      }
    }
  }
  for (Function* func : functions) {
    hostFuncrefs |= context.unsynced.is() && !FindAll<CallRef>(func->body).list.empty();
    for (RefFunc* ref : FindAll<RefFunc>(func->body).list) {
      named.insert(ref->func);
    }
  }
  for (auto& global : wasm.globals) {
    if (global->init) {
      for (RefFunc* ref : FindAll<RefFunc>(global->init).list) {
        named.insert(ref->func);
      }
    }
  }
  if (!hostFuncrefs) {
    return;
  }
  Builder builder(wasm);
  context.guestEntered = Names::getValidGlobalName(wasm, "srr$guest_entered");
  wasm.addGlobal(builder.makeGlobal(context.guestEntered, Type::i32, builder.makeConst(Literal(int32_t(0))),
                                    Builder::Mutable));
  for (Function* func : functions) {
    if (!func->imported() && named.count(func->name)) {
      func->body = builder.makeSequence(
        builder.makeGlobalSet(context.guestEntered, builder.makeConst(Literal(int32_t(1)))), func->body);
    }
  }
}

Expression* tableSizeCheck(Builder& builder, const RecordContext::TablePair& pair) {
  return builder.makeIf(builder.makeBinary(NeInt32, builder.makeTableSize(pair.table), builder.makeTableSize(pair.shadow)),
                        builder.makeCall(pair.sync, {}, Type::none));
}

namespace {

struct ShadowTables : public WalkerPass<PostWalker<ShadowTables>> {
  const RecordContext* context;

  explicit ShadowTables(const RecordContext* context) : context(context) {}

  bool isFunctionParallel() override { return true; }
  std::unique_ptr<Pass> create() override { return std::make_unique<ShadowTables>(context); }

  std::vector<Index> spill(Builder& builder, const std::vector<Expression*>& operands,
                           std::vector<Expression*>& sets) {
    return spillToLocals(getFunction(), builder, operands, sets);
  }

  // A read of element `at()` of pair's table found `got()`: if its
  // null-ness differs from the shadow's, the host wrote it (HOST_TABLE_SET),
  // and the shadow takes it.
  Expression* hostSetCheck(Builder& builder, const RecordContext::TablePair& pair,
                           const std::function<Expression*()>& at, const std::function<Expression*()>& got,
                           Type type) {
    return builder.makeIf(
      builder.makeBinary(NeInt32, builder.makeRefIsNull(got()),
                         builder.makeRefIsNull(builder.makeTableGet(pair.shadow, at(), type))),
      builder.makeBlock({builder.makeCall(context->recHostTableSet,
                                          {builder.makeConst(Literal(int32_t(pair.index))), at(),
                                           builder.makeUnary(EqZInt32, builder.makeRefIsNull(got()))},
                                          Type::none),
                         builder.makeTableSet(pair.shadow, at(), got())}));
  }

  // The shadowed table `table` that `curr` accesses, or nullptr (not
  // shadowed, or unreachable code).
  const RecordContext::TablePair* shadowed(Expression* curr, Name table) {
    return curr->type == Type::unreachable ? nullptr : context->tablePairOf(table);
  }

  void visitTableGet(TableGet* curr) {
    const auto* pair = shadowed(curr, curr->table);
    if (!pair) {
      return;
    }
    Builder builder(*getModule());
    std::vector<Expression*> body;
    Index index = spill(builder, {curr->index}, body)[0];
    Index value = Builder::addVar(getFunction(), curr->type);
    auto at = [&]() { return builder.makeLocalGet(index, Type::i32); };
    auto got = [&]() { return builder.makeLocalGet(value, curr->type); };
    body.push_back(tableSizeCheck(builder, *pair));
    curr->index = at();
    body.push_back(builder.makeLocalSet(value, curr));
    body.push_back(hostSetCheck(builder, *pair, at, got, curr->type));
    body.push_back(got());
    replaceCurrent(builder.makeBlock(body, curr->type));
  }

  // call_indirect through a shadowed (funcref) table: the element it calls
  // is read first, as table.get reads it, so that a host write to it is
  // recorded (whether it is null) before the call.
  void visitCallIndirect(CallIndirect* curr) {
    const auto* pair = shadowed(curr, curr->table);
    if (!pair) {
      return;
    }
    Builder builder(*getModule());
    std::vector<Expression*> operands(curr->operands.begin(), curr->operands.end());
    operands.push_back(curr->target);
    std::vector<Expression*> body;
    auto locals = spill(builder, operands, body);
    for (size_t i = 0; i < curr->operands.size(); i++) {
      curr->operands[i] = builder.makeLocalGet(locals[i], getFunction()->getLocalType(locals[i]));
    }
    Index target = locals.back();
    curr->target = builder.makeLocalGet(target, Type::i32);
    Type ref = getModule()->getTable(curr->table)->type;
    Index element = Builder::addVar(getFunction(), ref);
    auto at = [&]() { return builder.makeLocalGet(target, Type::i32); };
    auto got = [&]() { return builder.makeLocalGet(element, ref); };
    // (an index out of bounds is left to the call, which traps on it)
    body.push_back(tableSizeCheck(builder, *pair));
    body.push_back(builder.makeIf(
      builder.makeBinary(LtUInt32, at(), builder.makeTableSize(curr->table)),
      builder.makeSequence(builder.makeLocalSet(element, builder.makeTableGet(curr->table, at(), ref)),
                           hostSetCheck(builder, *pair, at, got, ref))));
    HostCall host{pair->index, target, std::vector<Index>(locals.begin(), locals.end() - 1)};
    body.push_back(markHostCall(builder, curr, curr->isReturn, &host));
    replaceCurrent(builder.makeBlock(body, curr->type));
  }

  // call_ref can call a function of the host's (one it passed in).
  void visitCallRef(CallRef* curr) {
    if (context->guestEntered.is() && curr->type != Type::unreachable) {
      Builder builder(*getModule());
      replaceCurrent(markHostCall(builder, curr, curr->isReturn));
    }
  }

  // A call_indirect through a shadowed table: which table (its trace
  // index), and the locals holding the element's index and the arguments.
  struct HostCall {
    uint32_t table;
    Index element;
    std::vector<Index> args;
  };

  // A call that may run a function of the host's own, which may write the
  // memories with no import wrapper to say so: the mark is cleared before
  // it; if no guest function was entered, the memories are left unsynced
  // (the checked code runs until the budget pays for a sync) and a call
  // through a table (`host`) is recorded as HOST_FUNCREF_CALL, with its
  // arguments and results, for the replay to answer it. Then the mark is
  // set again: this code is the guest's, and a call of the guest's that
  // encloses this one must not take a host function call inside it for its
  // own. A tail call leaves before it could look: the memories are left
  // unsynced first, and nothing is recorded (the replay reports the call as
  // a divergence if it reaches the host).
  Expression* markHostCall(Builder& builder, Expression* call, bool isReturn, const HostCall* host = nullptr) {
    if (!context->guestEntered.is()) {
      return call;
    }
    auto i32 = [&](int32_t v) { return builder.makeConst(Literal(v)); };
    if (isReturn) {
      return context->unsynced.is() ? builder.makeSequence(builder.makeGlobalSet(context->unsynced, i32(1)), call)
                                    : call;
    }
    std::vector<Expression*> body{builder.makeGlobalSet(context->guestEntered, i32(0))};
    std::vector<Expression*> onHost;
    if (context->unsynced.is()) {
      onHost.push_back(builder.makeGlobalSet(context->unsynced, i32(1)));
    }
    Function* func = getFunction();
    std::vector<Type> vars;
    Index firstResult = func->getNumLocals();
    std::vector<Expression*> results = keepResults(builder, call, call->type, firstResult, vars, body);
    for (Type t : vars) {
      Builder::addVar(func, t);
    }
    Signature sig = host ? call->cast<CallIndirect>()->heapType.getSignature() : Signature();
    if (host && recordableHostCall(sig)) {
      // HOST_FUNCREF_CALL: table, element, the call's signature, arguments, results.
      std::vector<Expression*> values{builder.makeLocalGet(host->element, Type::i32), i32(int32_t(sig.params.size()))};
      for (Type t : sig.params) {
        values.push_back(i32(traceTypeCode(t)));
      }
      values.push_back(i32(int32_t(sig.results.size())));
      for (Type t : sig.results) {
        values.push_back(i32(traceTypeCode(t)));
      }
      for (Index arg : host->args) {
        values.push_back(builder.makeLocalGet(arg, func->getLocalType(arg)));
      }
      values.insert(values.end(), results.begin(), results.end());
      recordEvent(builder, *context, /*HOST_FUNCREF_CALL*/ 13, host->table, values, onHost);
    }
    if (!onHost.empty()) {
      body.push_back(
        builder.makeIf(builder.makeUnary(EqZInt32, builder.makeGlobalGet(context->guestEntered, Type::i32)),
                       builder.makeBlock(onHost)));
    }
    body.push_back(builder.makeGlobalSet(context->guestEntered, i32(1)));
    if (call->type.isConcrete()) {
      body.push_back(builder.makeLocalGet(firstResult, call->type));
    }
    return builder.makeBlock(body, call->type);
  }

  void visitTableSize(TableSize* curr) {
    const auto* pair = context->tablePairOf(curr->table);
    if (!pair) {
      return;
    }
    Builder builder(*getModule());
    replaceCurrent(builder.makeBlock({tableSizeCheck(builder, *pair), curr}, curr->type));
  }

  // A write (table.set, table.fill, table.init) done on the table, then the
  // same on its shadow: the operands once, into locals; `op(table, gets)`
  // makes the instruction for one of the two.
  void mirror(Expression* curr, Name table, const std::vector<Expression*>& operands,
              const std::function<Expression*(Builder&, Name, const std::vector<Expression*>&)>& op) {
    const auto* pair = shadowed(curr, table);
    if (!pair) {
      return;
    }
    Builder builder(*getModule());
    std::vector<Expression*> body;
    auto locals = spill(builder, operands, body);
    body.push_back(tableSizeCheck(builder, *pair));
    for (Name target : {table, pair->shadow}) {
      std::vector<Expression*> gets;
      for (Index local : locals) {
        gets.push_back(builder.makeLocalGet(local, getFunction()->getLocalType(local)));
      }
      body.push_back(op(builder, target, gets));
    }
    replaceCurrent(builder.makeBlock(body));
  }

  void visitTableSet(TableSet* curr) {
    mirror(curr, curr->table, {curr->index, curr->value},
           [](Builder& b, Name t, const std::vector<Expression*>& v) { return b.makeTableSet(t, v[0], v[1]); });
  }

  void visitTableFill(TableFill* curr) {
    mirror(curr, curr->table, {curr->dest, curr->value, curr->size},
           [](Builder& b, Name t, const std::vector<Expression*>& v) { return b.makeTableFill(t, v[0], v[1], v[2]); });
  }

  void visitTableInit(TableInit* curr) {
    Name segment = curr->segment;
    mirror(curr, curr->table, {curr->dest, curr->offset, curr->size},
           [segment](Builder& b, Name t, const std::vector<Expression*>& v) {
             return b.makeTableInit(segment, v[0], v[1], v[2], t);
           });
  }

  void visitTableGrow(TableGrow* curr) {
    const auto* pair = shadowed(curr, curr->table);
    if (!pair) {
      return;
    }
    // (a failed grow, -1, leaves both as they are)
    Builder builder(*getModule());
    std::vector<Expression*> body;
    auto l = spill(builder, {curr->value, curr->delta}, body);
    body.push_back(tableSizeCheck(builder, *pair));
    Type t = getFunction()->getLocalType(l[0]);
    Index result = Builder::addVar(getFunction(), Type::i32);
    curr->value = builder.makeLocalGet(l[0], t);
    curr->delta = builder.makeLocalGet(l[1], Type::i32);
    body.push_back(builder.makeLocalSet(result, curr));
    body.push_back(builder.makeIf(
      builder.makeBinary(NeInt32, builder.makeLocalGet(result, Type::i32), builder.makeConst(Literal(int32_t(-1)))),
      builder.makeDrop(
        builder.makeTableGrow(pair->shadow, builder.makeLocalGet(l[0], t), builder.makeLocalGet(l[1], Type::i32)))));
    body.push_back(builder.makeLocalGet(result, Type::i32));
    replaceCurrent(builder.makeBlock(body, Type::i32));
  }

  void visitTableCopy(TableCopy* curr) {
    const auto* dest = shadowed(curr, curr->destTable);
    const auto* source = shadowed(curr, curr->sourceTable);
    if (!dest && !source) {
      return;
    }
    Builder builder(*getModule());
    std::vector<Expression*> body;
    auto l = spill(builder, {curr->dest, curr->source, curr->size}, body);
    auto get = [&](size_t i) { return builder.makeLocalGet(l[i], Type::i32); };
    if (source) { // what the guest copies from the host's table, recorded first
      body.push_back(builder.makeCall(source->reconcile, {get(1), get(2)}, Type::none));
    }
    if (dest) {
      body.push_back(tableSizeCheck(builder, *dest));
    }
    body.push_back(builder.makeTableCopy(get(0), get(1), get(2), curr->destTable, curr->sourceTable));
    if (dest) {
      body.push_back(
        builder.makeTableCopy(get(0), get(1), get(2), dest->shadow, source ? source->shadow : curr->sourceTable));
    }
    replaceCurrent(builder.makeBlock(body));
  }
};

} // namespace

std::unique_ptr<Pass> createShadowTablesPass(const RecordContext* context) {
  return std::make_unique<ShadowTables>(context);
}

} // namespace srr
