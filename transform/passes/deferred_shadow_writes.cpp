// deferred-shadow-writes: a memory.copy or memory.fill in code that runs only
// while synced (synced_versions.cpp) leaves the shadow as it was and widens
// the memory's stale range instead; the range is copied from the memory into
// the shadow before the host can next run (flushStale). The shadow exists to
// tell the host's writes from the guest's, and until the host runs again
// nothing can write behind the guest's back, so its copy of the guest's bulk
// writes can wait. A guest that moves the same buffer around between host
// calls (memmove, an LZ decoder's output window) pays for one shadow copy per
// host call instead of one per operation: node 24, shootout-memmove, 2.78x
// with the shadow copied at once, 1.15x without.
//
//  Before (in a synced copy):
//   (memory.copy (local.get $d) (local.get $s) (local.get $n))
//
//  After:
//   (memory.copy (local.get $dest) (local.get $src) (local.get $size))
//   (if (i32.or (i32.lt_u (local.get $dest) (global.get $srr$stale_first$0))
//               (i32.gt_u (i32.sub (i32.add (local.get $dest) (local.get $size)) (i32.const 1))
//                         (global.get $srr$stale_last$0)))
//     (call $srr$widen_stale$0 (local.get $dest) (local.get $size)))
//
// The range is [first, last], empty while first > last (first = 0xffffffff,
// last = 0 when nothing is stale). A write that overlaps it, or lies within
// DeferredShadowPolicy::kMergeGap bytes of it, widens it; any other flushes
// it first and starts a new one, so a flush copies at most the bytes written
// plus kMergeGap per write.
//
// What keeps this safe: the shadow differs from the memory only where the
// guest wrote, and only until the next flush, which comes
//  - before every import call but those declared pure (the wrappers);
//  - when an export returns to the host and when the start function ends;
//  - before anything compares memory with shadow: the load-mismatch helpers
//    and $srr$sync_all. Checked code can run while synced (a checked copy
//    that saw a sync go on checking), and it must not take the guest's
//    deferred bytes for host writes: recorded there, replay would apply them
//    at the previous event boundary, before the guest wrote them. A checked
//    memory.copy flushes before it reconciles its source (shadow_bulk.cpp).
// A trap returns to the host without a flush. The next export call then
// finds the range not empty and records all of it as written by the host
// (srr_rec_overwritten), whatever the host did to it in between.
// A module whose calls through funcrefs can reach host functions
// (RecordContext::guestEntered) defers nothing: such a call lets the host run
// without passing through a wrapper.

#include "ir/names.h"
#include "wasm-builder.h"
#include "wasm.h"

#include "../record_context.h"

using namespace wasm;

namespace srr {

namespace {

// The shadowed memories that some synced-only memory.copy or memory.fill
// writes.
std::set<Name> deferringMemories(const RecordContext& context) {
  std::set<Name> memories;
  for (Expression* curr : context.syncedOnly) {
    Name dest = curr->is<MemoryCopy>()   ? curr->cast<MemoryCopy>()->destMemory
                : curr->is<MemoryFill>() ? curr->cast<MemoryFill>()->memory
                                         : Name();
    if (dest.is() && context.isShadowed(dest) && curr->type != Type::unreachable) {
      memories.insert(dest);
    }
  }
  return memories;
}

} // namespace

void addDeferredShadowWrites(Module& wasm, RecordContext& context) {
  if (!context.unsynced.is() || context.guestEntered.is() || !context.recOverwritten.is()) {
    return;
  }
  std::set<Name> deferring = deferringMemories(context);
  if (deferring.empty()) {
    return;
  }
  Builder builder(wasm);
  auto i32 = [&](uint32_t v) { return builder.makeConst(Literal(int32_t(v))); };
  auto i64 = [&](uint64_t v) { return builder.makeConst(Literal(int64_t(v))); };
  std::vector<Expression*> flushes, overwrites;
  for (const auto& pair : context.memories) {
    if (!deferring.count(pair.memory)) {
      continue;
    }
    std::string suffix = "$" + std::to_string(pair.index);
    RecordContext::StaleRange range;
    range.first = Names::getValidGlobalName(wasm, "srr$stale_first" + suffix);
    range.last = Names::getValidGlobalName(wasm, "srr$stale_last" + suffix);
    wasm.addGlobal(builder.makeGlobal(range.first, Type::i32, i32(UINT32_MAX), Builder::Mutable));
    wasm.addGlobal(builder.makeGlobal(range.last, Type::i32, i32(0), Builder::Mutable));
    auto first = [&]() { return builder.makeGlobalGet(range.first, Type::i32); };
    auto last = [&]() { return builder.makeGlobalGet(range.last, Type::i32); };
    auto notEmpty = [&]() { return builder.makeBinary(LeUInt32, first(), last()); };
    auto reset = [&]() {
      return builder.makeSequence(builder.makeGlobalSet(range.first, i32(UINT32_MAX)),
                                  builder.makeGlobalSet(range.last, i32(0)));
    };
    // The range's size, last - first + 1, cannot wrap: widening never lets
    // it reach 2^32 bytes.
    auto size = [&]() { return builder.makeBinary(AddInt32, builder.makeBinary(SubInt32, last(), first()), i32(1)); };

    // $srr$flush_stale$M: the shadow of the range made equal to the memory.
    range.flush = Names::getValidFunctionName(wasm, "srr$flush_stale" + suffix);
    Expression* copy = builder.makeMemoryCopy(
      builder.makeBinary(AddInt32, first(), i32(uint32_t(ShadowLayout::kShadowSkew))), first(), size(), pair.shadow,
      pair.memory);
    wasm.addFunction(builder.makeFunction(range.flush, Signature(Type::none, Type::none), {},
                                          builder.makeIf(notEmpty(), builder.makeSequence(copy, reset()))));

    // $srr$widen_stale$M (dest, size): [dest, dest + size) was written in
    // the memory only (and in bounds: the write succeeded).
    const Index dest = 0, length = 1, end = 2, unionFirst = 3, unionLast = 4;
    auto get = [&](Index i) { return builder.makeLocalGet(i, Type::i32); };
    auto wide = [&](Expression* e) { return builder.makeUnary(ExtendUInt32, e); };
    auto gap = [&]() { return i64(DeferredShadowPolicy::kMergeGap + 1); };
    Expression* near = builder.makeBinary(
      AndInt32, builder.makeBinary(LeUInt64, wide(get(dest)), builder.makeBinary(AddInt64, wide(last()), gap())),
      builder.makeBinary(GeUInt64, builder.makeBinary(AddInt64, wide(get(end)), gap()), wide(first())));
    // The union, kept only while it stays below 2^32 bytes.
    Expression* merge = builder.makeBlock({
      builder.makeLocalSet(unionFirst,
                           builder.makeSelect(builder.makeBinary(LtUInt32, get(dest), first()), get(dest), first())),
      builder.makeLocalSet(unionLast, builder.makeSelect(builder.makeBinary(GtUInt32, get(end), last()), get(end), last())),
      builder.makeIf(builder.makeBinary(NeInt32, builder.makeBinary(SubInt32, get(unionLast), get(unionFirst)),
                                        i32(UINT32_MAX)),
                     builder.makeBlock({builder.makeGlobalSet(range.first, get(unionFirst)),
                                        builder.makeGlobalSet(range.last, get(unionLast)), builder.makeReturn()})),
    });
    Expression* body = builder.makeBlock({
      builder.makeIf(builder.makeUnary(EqZInt32, get(length)), builder.makeReturn()),
      builder.makeLocalSet(end, builder.makeBinary(SubInt32, builder.makeBinary(AddInt32, get(dest), get(length)), i32(1))),
      builder.makeIf(builder.makeBinary(AndInt32, notEmpty(), near), merge),
      builder.makeCall(range.flush, {}, Type::none),
      builder.makeGlobalSet(range.first, get(dest)),
      builder.makeGlobalSet(range.last, get(end)),
    });
    range.widen = Names::getValidFunctionName(wasm, "srr$widen_stale" + suffix);
    wasm.addFunction(builder.makeFunction(range.widen, Signature({Type::i32, Type::i32}, Type::none),
                                          {Type::i32, Type::i32, Type::i32}, body));

    flushes.push_back(builder.makeCall(range.flush, {}, Type::none));
    overwrites.push_back(builder.makeIf(
      notEmpty(), builder.makeSequence(builder.makeCall(context.recOverwritten, {i32(pair.index), first(), size()},
                                                        Type::none),
                                       reset())));
    context.staleRanges[pair.index] = range;
  }
  context.flushStale = Names::getValidFunctionName(wasm, "srr$flush_stale");
  wasm.addFunction(builder.makeFunction(context.flushStale, Signature(Type::none, Type::none), {},
                                        builder.makeBlock(flushes)));
  context.overwriteStale = Names::getValidFunctionName(wasm, "srr$overwrite_stale");
  wasm.addFunction(builder.makeFunction(context.overwriteStale, Signature(Type::none, Type::none), {},
                                        builder.makeBlock(overwrites)));
  // The full sync compares every byte: it flushes first.
  Function* syncAll = wasm.getFunction(context.syncAll);
  syncAll->body = builder.makeSequence(builder.makeCall(context.flushStale, {}, Type::none), syncAll->body);
}

Expression* deferShadowWrite(Builder& builder, const RecordContext& context, Name memory, Index dest, Index size) {
  const RecordContext::StaleRange& range = context.staleRanges.at(context.pairOf(memory).index);
  auto get = [&](Index i) { return builder.makeLocalGet(i, Type::i32); };
  // Inside the range already (the common case: the same buffer again): nothing
  // to do. (size 0 at first: first - 1 <= last, also nothing.)
  Expression* outside = builder.makeBinary(
    OrInt32, builder.makeBinary(LtUInt32, get(dest), builder.makeGlobalGet(range.first, Type::i32)),
    builder.makeBinary(GtUInt32,
                       builder.makeBinary(SubInt32, builder.makeBinary(AddInt32, get(dest), get(size)),
                                          builder.makeConst(Literal(int32_t(1)))),
                       builder.makeGlobalGet(range.last, Type::i32)));
  return builder.makeIf(outside, builder.makeCall(range.widen, {get(dest), get(size)}, Type::none));
}

} // namespace srr
