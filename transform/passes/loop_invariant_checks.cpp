// loop-invariant-checks: in a loop that cannot reach the host, a load whose
// address is the same in every iteration is checked once, before the loop,
// and runs unchecked inside it. Nothing in such a loop can write memory
// behind the guest's back (no import, no export call back from the host),
// and its stores write both copies, so bytes that equal their shadow at the
// loop's entry still do at every iteration. A check done before the loop
// records and syncs exactly what the in-loop check would have found first.
//
// An address is loop-invariant when it is built only of constants, locals
// the loop never sets and immutable globals, with operators that cannot trap
// (add, sub, mul, bitwise, shifts, extend, wrap). The load may sit under a
// condition the loop never takes, or its address may be out of bounds: the
// check before the loop tests the bounds and never traps. It runs only while
// the memories may differ from their shadows; it may record bytes that the
// loop then does not read, which the host did write (the trace stays true).
//
//  Before (a loop of code that cannot reach the host):
//   (loop $next
//    (local.set $s (i32.add (local.get $s) (i32.load offset=8 (local.get $state))))
//    ...
//    (br_if $next ...))
//
//  After:
//   (if (global.get $srr$unsynced)
//    (then (call $srr$check_span$0$4                ;; memory 0, 4 bytes
//            (i64.add (i64.extend_i32_u (local.get $state)) (i64.const 8)))))
//   (loop $next
//    (local.set $s (i32.add (local.get $s) (i32.load offset=8 (local.get $state))))  ;; unchecked
//    ...)
//
// $srr$check_span$M$N(address: i64): if the N bytes at address lie within
// memory M and differ from their shadow, the load slow path records them.

#include <algorithm>
#include <unordered_set>

#include "ir/find_all.h"
#include "ir/manipulation.h"
#include "ir/names.h"
#include "ir/utils.h"
#include "wasm-builder.h"
#include "wasm.h"

#include "../record_context.h"
#include "shadow_access.h"

using namespace wasm;

namespace srr {

namespace {

bool isNonTrapping(BinaryOp op) {
  switch (op) {
    case AddInt32: case SubInt32: case MulInt32: case AndInt32: case OrInt32: case XorInt32:
    case ShlInt32: case ShrUInt32: case ShrSInt32: case RotLInt32: case RotRInt32:
    case AddInt64: case SubInt64: case MulInt64: case AndInt64: case OrInt64: case XorInt64:
    case ShlInt64: case ShrUInt64: case ShrSInt64: case RotLInt64: case RotRInt64:
      return true;
    default:
      return false;
  }
}

bool isNonTrapping(UnaryOp op) {
  return op == ExtendSInt32 || op == ExtendUInt32 || op == WrapInt64;
}

// Whether `code` computes the same value, without trapping or side effects,
// whenever it runs inside a loop that sets none of `setLocals`.
bool isInvariant(const Module& wasm, Expression* code, const std::unordered_set<Index>& setLocals) {
  if (code->is<Const>()) {
    return true;
  }
  if (auto* get = code->dynCast<LocalGet>()) {
    return !setLocals.count(get->index);
  }
  if (auto* get = code->dynCast<GlobalGet>()) {
    return !wasm.getGlobal(get->name)->mutable_;
  }
  if (auto* binary = code->dynCast<Binary>()) {
    return isNonTrapping(binary->op) && isInvariant(wasm, binary->left, setLocals) &&
           isInvariant(wasm, binary->right, setLocals);
  }
  if (auto* unary = code->dynCast<Unary>()) {
    return isNonTrapping(unary->op) && isInvariant(wasm, unary->value, setLocals);
  }
  return false;
}

// $srr$check_span$M$N, made on first use.
Name checkSpanHelper(Module& wasm, RecordContext& context, const RecordContext::MemoryPair& pair, uint32_t bytes) {
  auto found = context.checkSpanHelpers.find({pair.index, bytes});
  if (found != context.checkSpanHelpers.end()) {
    return found->second;
  }
  Builder builder(wasm);
  const Index address = 0;
  auto at = [&]() { return builder.makeUnary(WrapInt64, builder.makeLocalGet(address, Type::i64)); };
  auto load = [&](Name memory, uint64_t offset) -> Expression* {
    Type type = bytes == 16 ? Type::v128 : bytes == 8 ? Type::i64 : Type::i32;
    return builder.makeLoad(bytes, false, offset, 1, at(), type, memory);
  };
  Expression* mine = load(pair.memory, 0);
  Expression* shadow = load(pair.shadow, ShadowLayout::kShadowSkew);
  Expression* record = builder.makeCall(
    context.recLoadMismatch,
    {builder.makeConst(Literal(int32_t(pair.index))), at(), builder.makeConst(Literal(int32_t(bytes)))}, Type::none);
  // address + N <= memory size in bytes (no wrap: address < 2^33)
  Expression* inBounds = builder.makeBinary(
    LeUInt64, builder.makeBinary(AddInt64, builder.makeLocalGet(address, Type::i64), builder.makeConst(Literal(int64_t(bytes)))),
    builder.makeBinary(ShlInt64, builder.makeUnary(ExtendUInt32, builder.makeMemorySize(pair.memory)),
                       builder.makeConst(Literal(int64_t(16)))));
  Name name = Names::getValidFunctionName(
    wasm, "srr$check_span$" + std::to_string(pair.index) + "$" + std::to_string(bytes));
  wasm.addFunction(builder.makeFunction(name, Signature(Type::i64, Type::none), {},
                                        builder.makeIf(inBounds, builder.makeIf(differs(builder, mine, shadow), record))));
  context.checkSpanHelpers[{pair.index, bytes}] = name;
  return name;
}

} // namespace

Expression* hoistInvariantChecks(Module& wasm, RecordContext& context, Loop* loop) {
  std::unordered_set<Index> setLocals;
  for (auto* set : FindAll<LocalSet>(loop->body).list) {
    setLocals.insert(set->index);
  }
  Builder builder(wasm);
  std::vector<Expression*> checks;
  std::vector<Load*> checked;
  for (auto* load : FindAll<Load>(loop->body).list) {
    if (load->isAtomic() || load->type == Type::unreachable || !context.isShadowed(load->memory) ||
        context.isSyncedOnly(load) || !isInvariant(wasm, load->ptr, setLocals)) {
      continue;
    }
    context.syncedOnly.insert(load);
    // One check per span: the same address, offset and width.
    bool alreadyChecked = std::any_of(checked.begin(), checked.end(), [&](Load* other) {
      return other->memory == load->memory && other->offset == load->offset && other->bytes == load->bytes &&
             ExpressionAnalyzer::equal(other->ptr, load->ptr);
    });
    if (alreadyChecked) {
      continue;
    }
    checked.push_back(load);
    const auto& pair = context.pairOf(load->memory);
    Expression* address =
      builder.makeBinary(AddInt64, builder.makeUnary(ExtendUInt32, ExpressionManipulator::copy(load->ptr, wasm)),
                         builder.makeConst(Literal(int64_t(load->offset.addr))));
    checks.push_back(builder.makeCall(checkSpanHelper(wasm, context, pair, load->bytes), {address}, Type::none));
  }
  if (checks.empty()) {
    return nullptr;
  }
  return builder.makeIf(builder.makeGlobalGet(context.unsynced, Type::i32), builder.makeBlock(checks));
}

} // namespace srr
