// shadow-stores: every store writes the same bytes to the memory and to its
// shadow, so a byte the guest wrote itself never looks like a host write.
// Address and value are evaluated once.
//
//  Before:
//   (i32.store offset=8 (local.get $p) (call $f))
//
//  After:
//   (local.set $addr (local.get $p))
//   (local.set $value (call $f))
//   (i32.store offset=8 (local.get $addr) (local.get $value))
//   (i32.store $m$shadow offset=2056 (local.get $addr) (local.get $value))
//
// The same for every width and type, v128 included, atomic stores (the
// shadow's copy is a plain store: shadowrr refuses shared memories), and
// v128.storeN_lane. Read-modify-write atomics are in shadow-loads: they read.

#include "ir/find_all.h"
#include "wasm-builder.h"
#include "wasm.h"

#include "../record_context.h"
#include "shadow_access.h"

using namespace wasm;

namespace srr {

namespace {

struct ShadowStores : public WalkerPass<PostWalker<ShadowStores>> {
  const RecordContext* context;

  explicit ShadowStores(const RecordContext* context) : context(context) {}

  // One per function: create() makes a new pass instance for each.
  LocalPool pool;

  bool isFunctionParallel() override { return true; }
  std::unique_ptr<Pass> create() override { return std::make_unique<ShadowStores>(context); }

  // A store typed unreachable (an operand never yields: `(i32.store (br 0)
  // ...)`) never writes: left as it is. Rewritten, it would keep its
  // unreachable type over children that are not, which binaryen rejects.
  void visitStore(Store* curr) {
    if (!context->isShadowed(curr->memory) || curr->type == Type::unreachable) {
      return;
    }
    ShadowAccess access(*getModule(), getFunction(), *context, curr->memory);
    Builder builder(*getModule());
    // The value is computed between the address's set and its uses: it may
    // share the pool's locals only if it holds no other store.
    bool pooled = FindAll<Store>(curr->value).list.empty();
    Expression* setAddr = pooled ? access.captureAddress(curr->ptr, false, &pool, LocalPool::StoreAddress)
                                 : access.captureAddress(curr->ptr);
    Index value = pooled ? pool.get(getFunction(), LocalPool::StoreValue, curr->valueType)
                         : Builder::addVar(getFunction(), curr->valueType);
    Expression* setValue = builder.makeLocalSet(value, curr->value);
    curr->ptr = access.address();
    curr->value = builder.makeLocalGet(value, curr->valueType);
    Store* shadow = builder.makeStore(curr->bytes, 0, curr->align, access.shadowAddress(curr->offset),
                                      builder.makeLocalGet(value, curr->valueType), curr->valueType,
                                      access.shadowMemory());
    shadow->offset = access.shadowOffset(curr->offset);
    replaceCurrent(builder.makeBlock({setAddr, setValue, curr, shadow}));
  }

  void visitSIMDLoadStoreLane(SIMDLoadStoreLane* curr) {
    if (!curr->isStore() || !context->isShadowed(curr->memory) || curr->type == Type::unreachable) {
      return;
    }
    ShadowAccess access(*getModule(), getFunction(), *context, curr->memory);
    Builder builder(*getModule());
    Expression* setAddr = access.captureAddress(curr->ptr);
    Index vec = Builder::addVar(getFunction(), Type::v128);
    Expression* setVec = builder.makeLocalSet(vec, curr->vec);
    curr->ptr = access.address();
    curr->vec = builder.makeLocalGet(vec, Type::v128);
    auto* shadow = builder.makeSIMDLoadStoreLane(curr->op, access.shadowOffset(curr->offset), curr->align,
                                                 curr->index, access.shadowAddress(curr->offset),
                                                 builder.makeLocalGet(vec, Type::v128), access.shadowMemory());
    replaceCurrent(builder.makeBlock({setAddr, setVec, curr, shadow}));
  }
};

} // namespace

std::unique_ptr<Pass> createShadowStoresPass(const RecordContext* context) {
  return std::make_unique<ShadowStores>(context);
}

} // namespace srr
