// shadow-bulk: the bulk-memory instructions and memory.grow keep the shadow
// in step with the memory.
//
//  memory.fill / memory.init: done to both (the shadow at dest + skew).
//  memory.copy: the source range is reconciled first (every byte the host
//   wrote there and the guest has not read yet is recorded now, at this event
//   boundary: otherwise replay would apply it only after the copy had
//   propagated the stale bytes), then the copy is done in both. A copy in
//   code that runs only while synced (synced_versions.cpp) needs no
//   reconcile.
//  memory.grow: grows both; the guest's result is recorded, since growth can
//   fail differently from run to run.
//
//  Before:
//   (memory.copy (local.get $d) (local.get $s) (local.get $n))
//
//  After:
//   (local.set $dest (local.get $d)) (local.set $src (local.get $s)) (local.set $size (local.get $n))
//   (call $srr_rec_reconcile (i32.const 0) (local.get $src) (local.get $size))
//   (memory.copy (local.get $dest) (local.get $src) (local.get $size))
//   (memory.copy $m$shadow $m$shadow (i32.add (local.get $dest) (i32.const 2048))
//                (i32.add (local.get $src) (i32.const 2048)) (local.get $size))
//
// A trap (out of bounds) happens in the primary operation, before the shadow
// is touched; the shadow, being larger, cannot trap where the memory did not.

#include "wasm-builder.h"
#include "wasm.h"

#include "../record_context.h"

using namespace wasm;

namespace srr {

namespace {

struct ShadowBulk : public WalkerPass<PostWalker<ShadowBulk>> {
  const RecordContext* context;

  explicit ShadowBulk(const RecordContext* context) : context(context) {}

  bool isFunctionParallel() override { return true; }
  std::unique_ptr<Pass> create() override { return std::make_unique<ShadowBulk>(context); }

  Index local(Type type = Type::i32) { return Builder::addVar(getFunction(), type); }

  Expression* skewed(Builder& builder, Index address) {
    return builder.makeBinary(AddInt32, builder.makeLocalGet(address, Type::i32),
                              builder.makeConst(Literal(int32_t(ShadowLayout::kShadowSkew))));
  }

  Expression* get(Builder& builder, Index index) { return builder.makeLocalGet(index, Type::i32); }

  void visitMemoryFill(MemoryFill* curr) {
    if (!context->isShadowed(curr->memory) || curr->type == Type::unreachable) {
      return;
    }
    Builder builder(*getModule());
    Index dest = local(), value = local(), size = local();
    Expression* sets = builder.makeBlock({builder.makeLocalSet(dest, curr->dest),
                                          builder.makeLocalSet(value, curr->value),
                                          builder.makeLocalSet(size, curr->size)});
    curr->dest = get(builder, dest);
    curr->value = get(builder, value);
    curr->size = get(builder, size);
    auto* shadow = builder.makeMemoryFill(skewed(builder, dest), get(builder, value), get(builder, size),
                                          context->pairOf(curr->memory).shadow);
    replaceCurrent(builder.makeBlock({sets, curr, shadow}));
  }

  void visitMemoryInit(MemoryInit* curr) {
    if (!context->isShadowed(curr->memory) || curr->type == Type::unreachable) {
      return;
    }
    Builder builder(*getModule());
    Index dest = local(), offset = local(), size = local();
    Expression* sets = builder.makeBlock({builder.makeLocalSet(dest, curr->dest),
                                          builder.makeLocalSet(offset, curr->offset),
                                          builder.makeLocalSet(size, curr->size)});
    curr->dest = get(builder, dest);
    curr->offset = get(builder, offset);
    curr->size = get(builder, size);
    auto* shadow = builder.makeMemoryInit(curr->segment, skewed(builder, dest), get(builder, offset),
                                          get(builder, size), context->pairOf(curr->memory).shadow);
    replaceCurrent(builder.makeBlock({sets, curr, shadow}));
  }

  void visitMemoryCopy(MemoryCopy* curr) {
    if (curr->type == Type::unreachable || !context->isShadowed(curr->destMemory) ||
        !context->isShadowed(curr->sourceMemory)) {
      return;
    }
    Builder builder(*getModule());
    Index dest = local(), source = local(), size = local();
    Expression* sets = builder.makeBlock({builder.makeLocalSet(dest, curr->dest),
                                          builder.makeLocalSet(source, curr->source),
                                          builder.makeLocalSet(size, curr->size)});
    const auto& from = context->pairOf(curr->sourceMemory);
    // While synced (synced_versions.cpp) the source holds no host write.
    Expression* reconcile = context->isSyncedOnly(curr)
                              ? static_cast<Expression*>(builder.makeNop())
                              : builder.makeCall(context->recReconcile,
                                                 {builder.makeConst(Literal(int32_t(from.index))),
                                                  get(builder, source), get(builder, size)},
                                                 Type::none);
    curr->dest = get(builder, dest);
    curr->source = get(builder, source);
    curr->size = get(builder, size);
    auto* shadow = builder.makeMemoryCopy(skewed(builder, dest), skewed(builder, source), get(builder, size),
                                          context->pairOf(curr->destMemory).shadow, from.shadow);
    replaceCurrent(builder.makeBlock({sets, reconcile, curr, shadow}));
  }

  void visitMemoryGrow(MemoryGrow* curr) {
    if (!context->isShadowed(curr->memory) || curr->type == Type::unreachable) {
      return;
    }
    Builder builder(*getModule());
    const auto& pair = context->pairOf(curr->memory);
    Index delta = local(), result = local();
    Expression* setDelta = builder.makeLocalSet(delta, curr->delta);
    curr->delta = get(builder, delta);
    Expression* setResult = builder.makeLocalSet(result, curr);
    // The shadow grows only if the memory did, so the two keep their sizes
    // ShadowLayout::kShadowSparePages apart.
    Expression* growShadow = builder.makeIf(
      builder.makeBinary(NeInt32, get(builder, result), builder.makeConst(Literal(int32_t(-1)))),
      builder.makeDrop(builder.makeMemoryGrow(get(builder, delta), pair.shadow)));
    Expression* record = builder.makeCall(
      context->recMemoryGrow,
      {builder.makeConst(Literal(int32_t(pair.index))), get(builder, delta), get(builder, result)}, Type::none);
    replaceCurrent(builder.makeBlock({setDelta, setResult, growShadow, record, get(builder, result)}, Type::i32));
  }
};

} // namespace

std::unique_ptr<Pass> createShadowBulkPass(const RecordContext* context) {
  return std::make_unique<ShadowBulk>(context);
}

} // namespace srr
