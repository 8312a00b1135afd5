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
//  In code that runs only while synced, memory.copy and memory.fill leave
//   the shadow for later where deferred_shadow_writes.cpp says so: the
//   operation is followed by a widening of the stale range instead.
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
    if (context->isSyncedOnly(curr) && context->defersShadowWrites(curr->memory)) {
      replaceCurrent(builder.makeBlock({sets, curr, deferShadowWrite(builder, *context, curr->memory, dest, size)}));
      return;
    }
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

  // Between a shadowed memory and a private one (shadow_memories.cpp): from
  // a private memory, the destination's shadow is copied from the source
  // itself (which holds only the guest's bytes); into one, only the
  // source's host writes are recorded.
  void visitMemoryCopy(MemoryCopy* curr) {
    bool toShadowed = context->isShadowed(curr->destMemory);
    bool fromShadowed = context->isShadowed(curr->sourceMemory);
    if (curr->type == Type::unreachable || (!toShadowed && !fromShadowed)) {
      return;
    }
    Builder builder(*getModule());
    Index dest = local(), source = local(), size = local();
    Expression* sets = builder.makeBlock({builder.makeLocalSet(dest, curr->dest),
                                          builder.makeLocalSet(source, curr->source),
                                          builder.makeLocalSet(size, curr->size)});
    std::vector<Expression*> list{sets};
    // While synced (synced_versions.cpp) the source holds no host write.
    if (fromShadowed && !context->isSyncedOnly(curr)) {
      if (context->flushStale.is()) { // (deferred_shadow_writes.cpp)
        list.push_back(builder.makeCall(context->flushStale, {}, Type::none));
      }
      list.push_back(builder.makeCall(
        context->recReconcile,
        {builder.makeConst(Literal(int32_t(context->pairOf(curr->sourceMemory).index))), get(builder, source),
         get(builder, size)},
        Type::none));
    }
    curr->dest = get(builder, dest);
    curr->source = get(builder, source);
    curr->size = get(builder, size);
    list.push_back(curr);
    if (toShadowed && context->isSyncedOnly(curr) && context->defersShadowWrites(curr->destMemory)) {
      list.push_back(deferShadowWrite(builder, *context, curr->destMemory, dest, size));
    } else if (toShadowed) {
      Name destShadow = context->pairOf(curr->destMemory).shadow;
      list.push_back(fromShadowed ? builder.makeMemoryCopy(skewed(builder, dest), skewed(builder, source),
                                                           get(builder, size), destShadow,
                                                           context->pairOf(curr->sourceMemory).shadow)
                                  : builder.makeMemoryCopy(skewed(builder, dest), get(builder, source),
                                                           get(builder, size), destShadow, curr->sourceMemory));
    }
    replaceCurrent(builder.makeBlock(list));
  }

  // The result is recorded for every memory (whether it grew is the
  // engine's choice); a shadowed memory's shadow grows with it.
  void visitMemoryGrow(MemoryGrow* curr) {
    auto priv = context->privateMemories.find(curr->memory);
    bool shadowed = context->isShadowed(curr->memory);
    if ((!shadowed && priv == context->privateMemories.end()) || curr->type == Type::unreachable) {
      return;
    }
    Builder builder(*getModule());
    uint32_t memoryIndex = shadowed ? context->pairOf(curr->memory).index : priv->second;
    Index delta = local(), result = local();
    Expression* setDelta = builder.makeLocalSet(delta, curr->delta);
    curr->delta = get(builder, delta);
    Expression* setResult = builder.makeLocalSet(result, curr);
    std::vector<Expression*> list{setDelta, setResult};
    // The shadow grows only if the memory did, so the two keep their sizes
    // ShadowLayout::kShadowSparePages apart.
    if (shadowed) {
      list.push_back(builder.makeIf(
        builder.makeBinary(NeInt32, get(builder, result), builder.makeConst(Literal(int32_t(-1)))),
        builder.makeDrop(builder.makeMemoryGrow(get(builder, delta), context->pairOf(curr->memory).shadow))));
    }
    Expression* record = builder.makeCall(
      context->recMemoryGrow,
      {builder.makeConst(Literal(int32_t(memoryIndex))), get(builder, delta), get(builder, result)}, Type::none);
    list.push_back(record);
    list.push_back(get(builder, result));
    replaceCurrent(builder.makeBlock(list, Type::i32));
  }
};

} // namespace

std::unique_ptr<Pass> createShadowBulkPass(const RecordContext* context) {
  return std::make_unique<ShadowBulk>(context);
}

} // namespace srr
