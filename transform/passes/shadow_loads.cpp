// shadow-loads: every load also loads the shadow; if the two differ, the host
// wrote those bytes behind the guest's back, and an out-of-line call into the
// recorder records exactly the differing bytes and brings the shadow up to
// date. The guest gets the memory's value either way. The fast path is one
// extra load, a compare and a branch not taken.
//
//  Before:
//   (f32.load offset=4 (local.get $p))
//
//  After:
//   (local.set $value (f32.load offset=4 (local.get $p)))
//   (if (i32.ne (i32.reinterpret_f32 (local.get $value))     ;; floats by bits
//               (i32.load $m$shadow offset=2052 (local.get $p)))
//     (then (call $srr$load_mismatch$0$4                     ;; memory 0, 4 bytes
//             (i32.add (local.get $p) (i32.const 4)))))
//   (local.get $value)
//
// The slow path is a helper per memory and width that calls the recorder's
// srr_rec_load_mismatch(memory, address, bytes): the call in every checked
// load passes one operand, not three (less code for the engine to compile,
// which on V8 happens while the program runs).
//
// Covered: every scalar load (sign/zero-extending: the same op on the shadow),
// v128.load, the v128 splat/extend/zero loads and v128.loadN_lane (compared
// as whole vectors), atomic loads (a plain load of the shadow), and the
// read-modify-write atomics, which read like a load and then copy the bytes
// they wrote into the shadow. A load in code that runs only while every
// memory equals its shadow (synced_versions.cpp) is left as it is.

#include "ir/names.h"
#include "wasm-builder.h"
#include "wasm.h"

#include "../record_context.h"
#include "shadow_access.h"

using namespace wasm;

namespace srr {

namespace {

struct ShadowLoads : public WalkerPass<PostWalker<ShadowLoads>> {
  const RecordContext* context;

  explicit ShadowLoads(const RecordContext* context) : context(context) {}

  // One per function: create() makes a new pass instance for each.
  LocalPool pool;

  bool isFunctionParallel() override { return true; }
  std::unique_ptr<Pass> create() override { return std::make_unique<ShadowLoads>(context); }

  // "value != shadow value" (shadow_access.h).
  Expression* differs(Builder& builder, Index value, Type type, Expression* shadowLoad) {
    return srr::differs(builder, builder.makeLocalGet(value, type), shadowLoad);
  }

  // The slow-path call for `bytes` bytes at the access's effective address.
  Expression* mismatch(Builder& builder, ShadowAccess& access, Address offset, uint32_t bytes) {
    Name helper = context->loadMismatchHelpers.at({access.memoryIndexValue(), bytes});
    return builder.makeCall(helper, {access.effectiveAddress(offset)}, Type::none);
  }

  // value := original; if (differs) mismatch; value
  Expression* checked(Builder& builder, ShadowAccess& access, Expression* setup, Expression* original,
                      Expression* shadowLoad, Address offset, uint32_t bytes, bool pooled) {
    Type type = original->type;
    Index value = pooled ? pool.get(getFunction(), LocalPool::LoadValue, type) : Builder::addVar(getFunction(), type);
    std::vector<Expression*> list;
    if (!setup->is<Nop>()) {
      list.push_back(setup);
    }
    list.push_back(builder.makeLocalSet(value, original));
    list.push_back(
      builder.makeIf(differs(builder, value, type, shadowLoad), mismatch(builder, access, offset, bytes)));
    list.push_back(builder.makeLocalGet(value, type));
    return builder.makeBlock(list, type);
  }

  void visitLoad(Load* curr) {
    if (!context->isShadowed(curr->memory) || curr->type == Type::unreachable || context->isSyncedOnly(curr)) {
      return;
    }
    ShadowAccess access(*getModule(), getFunction(), *context, curr->memory);
    Builder builder(*getModule());
    Expression* setup = access.captureAddress(curr->ptr, /*reusable=*/true, &pool, LocalPool::LoadAddress);
    curr->ptr = access.address();
    // Floats are compared as integers of the same width: load the shadow so.
    Type shadowType = curr->type;
    if (curr->type == Type::f32) {
      shadowType = Type::i32;
    } else if (curr->type == Type::f64) {
      shadowType = Type::i64;
    }
    Load* shadow = builder.makeLoad(curr->bytes, curr->signed_, access.shadowOffset(curr->offset), curr->align,
                                    access.shadowAddress(curr->offset), shadowType, access.shadowMemory());
    replaceCurrent(checked(builder, access, setup, curr, shadow, curr->offset, curr->bytes, true));
  }

  void visitSIMDLoad(SIMDLoad* curr) {
    if (!context->isShadowed(curr->memory) || curr->type == Type::unreachable || context->isSyncedOnly(curr)) {
      return;
    }
    ShadowAccess access(*getModule(), getFunction(), *context, curr->memory);
    Builder builder(*getModule());
    Expression* setup = access.captureAddress(curr->ptr, /*reusable=*/true, &pool, LocalPool::LoadAddress);
    curr->ptr = access.address();
    SIMDLoad* shadow = builder.makeSIMDLoad(curr->op, access.shadowOffset(curr->offset), curr->align,
                                            access.shadowAddress(curr->offset), access.shadowMemory());
    replaceCurrent(checked(builder, access, setup, curr, shadow, curr->offset, curr->getMemBytes(), true));
  }

  void visitSIMDLoadStoreLane(SIMDLoadStoreLane* curr) {
    if (curr->isStore() || !context->isShadowed(curr->memory) || curr->type == Type::unreachable ||
        context->isSyncedOnly(curr)) {
      return;
    }
    ShadowAccess access(*getModule(), getFunction(), *context, curr->memory);
    Builder builder(*getModule());
    Expression* setAddr = access.captureAddress(curr->ptr);
    Index vec = Builder::addVar(getFunction(), Type::v128);
    Expression* setup = builder.makeBlock({setAddr, builder.makeLocalSet(vec, curr->vec)});
    curr->ptr = access.address();
    curr->vec = builder.makeLocalGet(vec, Type::v128);
    auto* shadow = builder.makeSIMDLoadStoreLane(curr->op, access.shadowOffset(curr->offset), curr->align,
                                                 curr->index, access.shadowAddress(curr->offset),
                                                 builder.makeLocalGet(vec, Type::v128), access.shadowMemory());
    // Its vector operand may hold loads, which use the pool: fresh locals.
    replaceCurrent(checked(builder, access, setup, curr, shadow, curr->offset, curr->getMemBytes(), false));
  }

  // Read-modify-write: check the bytes it reads, do it, then copy the bytes
  // it wrote into the shadow.
  Expression* readModifyWrite(Builder& builder, ShadowAccess& access, Expression* setup, Expression* rmw,
                              Address offset, uint32_t bytes, Type type) {
    auto plainLoad = [&](bool shadow) {
      return builder.makeLoad(bytes, false, shadow ? access.shadowOffset(offset) : offset, bytes,
                              shadow ? access.shadowAddress(offset) : access.address(), type,
                              shadow ? access.shadowMemory() : access.primaryMemory());
    };
    Index seen = Builder::addVar(getFunction(), type);
    Index result = Builder::addVar(getFunction(), type);
    Store* sync = builder.makeStore(bytes, access.shadowOffset(offset), bytes, access.shadowAddress(offset),
                                    plainLoad(false), type, access.shadowMemory());
    return builder.makeBlock(
      {setup, builder.makeLocalSet(seen, plainLoad(false)),
       builder.makeIf(differs(builder, seen, type, plainLoad(true)), mismatch(builder, access, offset, bytes)),
       builder.makeLocalSet(result, rmw), sync, builder.makeLocalGet(result, type)},
      type);
  }

  void visitAtomicRMW(AtomicRMW* curr) {
    if (!context->isShadowed(curr->memory) || curr->type == Type::unreachable) {
      return;
    }
    ShadowAccess access(*getModule(), getFunction(), *context, curr->memory);
    Builder builder(*getModule());
    Expression* setAddr = access.captureAddress(curr->ptr);
    Index value = Builder::addVar(getFunction(), curr->type);
    Expression* setup = builder.makeBlock({setAddr, builder.makeLocalSet(value, curr->value)});
    curr->ptr = access.address();
    curr->value = builder.makeLocalGet(value, curr->type);
    replaceCurrent(readModifyWrite(builder, access, setup, curr, curr->offset, curr->bytes, curr->type));
  }

  void visitAtomicCmpxchg(AtomicCmpxchg* curr) {
    if (!context->isShadowed(curr->memory) || curr->type == Type::unreachable) {
      return;
    }
    ShadowAccess access(*getModule(), getFunction(), *context, curr->memory);
    Builder builder(*getModule());
    Expression* setAddr = access.captureAddress(curr->ptr);
    Index expected = Builder::addVar(getFunction(), curr->type);
    Index replacement = Builder::addVar(getFunction(), curr->type);
    Expression* setup = builder.makeBlock({setAddr, builder.makeLocalSet(expected, curr->expected),
                                           builder.makeLocalSet(replacement, curr->replacement)});
    curr->ptr = access.address();
    curr->expected = builder.makeLocalGet(expected, curr->type);
    curr->replacement = builder.makeLocalGet(replacement, curr->type);
    replaceCurrent(readModifyWrite(builder, access, setup, curr, curr->offset, curr->bytes, curr->type));
  }
};

} // namespace

void addLoadMismatchHelpers(Module& wasm, RecordContext& context) {
  Builder builder(wasm);
  for (const auto& pair : context.memories) {
    for (uint32_t bytes : {1, 2, 4, 8, 16}) {
      Name name = Names::getValidFunctionName(
        wasm, "srr$load_mismatch$" + std::to_string(pair.index) + "$" + std::to_string(bytes));
      Expression* call = builder.makeCall(context.recLoadMismatch,
                                          {builder.makeConst(Literal(int32_t(pair.index))),
                                           builder.makeLocalGet(0, Type::i32),
                                           builder.makeConst(Literal(int32_t(bytes)))},
                                          Type::none);
      // Deferred shadow writes are flushed first (deferred_shadow_writes.cpp):
      // the guest's own bytes are no host write.
      Expression* body = context.flushStale.is()
                           ? builder.makeSequence(builder.makeCall(context.flushStale, {}, Type::none), call)
                           : call;
      wasm.addFunction(builder.makeFunction(name, Signature(Type::i32, Type::none), {}, body));
      context.loadMismatchHelpers[{pair.index, bytes}] = name;
    }
  }
}

std::unique_ptr<Pass> createShadowLoadsPass(const RecordContext* context) {
  return std::make_unique<ShadowLoads>(context);
}

} // namespace srr
