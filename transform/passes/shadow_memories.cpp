// shadow-memories: gives every linear memory a shadow memory, initialised
// like the memory itself, so that the two hold the same bytes until the host
// writes into the memory behind the guest's back.
//
//  Before:
//   (memory $m 1 16)
//   (data (i32.const 1024) "hello")
//
//  After:
//   (memory $m 1 16)
//   (memory $m$shadow 2 17)                 ;; + ShadowLayout::kShadowSparePages
//   (data (i32.const 1024) "hello")
//   (data $m$shadow (i32.const 3072) "hello") ;; offset + ShadowLayout::kShadowSkew
//
// A memory the host cannot reach, neither imported nor exported, gets no
// shadow: nothing but the module's own code can write it, so no load of it
// can find a host write, and its stores need no second copy (no host, WASI
// included, sees a memory the module does not export). Under
// srr_record_options.host_writes_in_calls, a module whose imports all say
// what they wrote when they return (RecordContext::alwaysSynced: WASI
// functions, imports declared pure, or no import at all) has only such
// memories, exported or not: the host writes and grows memories only while
// the guest calls it, and the import wrappers record what each call wrote
// as it is (record_imports.cpp). Such a program records at the cost of its
// calls and memory.grow results alone: every WASI command under
// `shadowrr record`, and every benchmark of the corpora under the bench's
// declarations.
//
// An imported memory gets a defined shadow: the host may have filled the
// memory before instantiation, and those bytes are found and recorded as host
// writes when the guest first reads them. The shadow is never exported.
//
// An imported memory may also be larger than its import declares (a host
// memory of 1 page satisfies `(import "m" "mem" (memory 0))`, and the module
// may have data at 65535), so its shadow, sized from the declaration, can be
// too small for the shadow copies of the segments, which would make
// instantiation fail where the original succeeds, and for the start
// function's accesses. Those copies are therefore passive, and shadow-init,
// a start routine run before the module's own start function, grows each
// such shadow to the memory's real size (recorded as HOST_MEMORY_GROW, like
// the boundary check does) and then copies them in:
//
//   (import "env" "mem" (memory $m 0))
//   (data (i32.const 65535) "a")
//  ->
//   (memory $m$shadow 1)
//   (data $0$shadow "a")                              ;; passive
//   (start $srr$shadow-init)
//   (func $srr$shadow-init
//    (if (i32.ne (i32.add (memory.size $m) (i32.const 1)) (memory.size $m$shadow))
//     (then (call $srr_rec_host_memory_grow (i32.const 0) (memory.size $m))
//           (drop (memory.grow $m$shadow (...the difference...)))))
//    (memory.init $0$shadow $m$shadow (i32.const 67583) (i32.const 0) (i32.const 1))
//    (data.drop $0$shadow)
//    (call $original_start))                          ;; if there was one

#include <algorithm>

#include "ir/manipulation.h"
#include "ir/names.h"
#include "wasm-builder.h"
#include "wasm.h"

#include "../record_context.h"

using namespace wasm;

namespace srr {

namespace {

// The offset of a shadow data segment: the same constant expression, moved by
// the skew (folded when it is a plain constant).
Expression* skewedOffset(Module& wasm, Expression* offset) {
  Builder builder(wasm);
  if (auto* c = offset->dynCast<Const>()) {
    return builder.makeConst(Literal(int32_t(uint32_t(c->value.geti32()) + ShadowLayout::kShadowSkew)));
  }
  // A global.get (or an extended constant expression): add the skew.
  wasm.features |= FeatureSet::ExtendedConst;
  return builder.makeBinary(AddInt32, ExpressionManipulator::copy(offset, wasm),
                            builder.makeConst(Literal(int32_t(ShadowLayout::kShadowSkew))));
}

// Whether the host can reach the memory: imported, or exported under any name.
bool hostReachable(Module& wasm, Memory* memory) {
  if (memory->imported()) {
    return true;
  }
  for (auto& exp : wasm.exports) {
    if (exp->kind == ExternalKind::Memory && *exp->getInternalName() == memory->name) {
      return true;
    }
  }
  return false;
}

} // namespace

std::vector<std::pair<uint32_t, Name>> RecordContext::allMemories() const {
  std::vector<std::pair<uint32_t, Name>> all;
  for (const auto& pair : memories) {
    all.push_back({pair.index, pair.memory});
  }
  for (const auto& [name, index] : privateMemories) {
    all.push_back({index, name});
  }
  std::sort(all.begin(), all.end());
  return all;
}

void addShadowMemories(Module& wasm, RecordContext& context) {
  // Collect first: adding memories while iterating would invalidate.
  std::vector<Memory*> originals;
  for (auto& memory : wasm.memories) {
    originals.push_back(memory.get());
  }
  for (uint32_t index = 0; index < originals.size(); index++) {
    Memory* memory = originals[index];
    if (!hostReachable(wasm, memory) || context.alwaysSynced()) {
      context.privateMemories[memory->name] = index;
      continue;
    }
    auto shadow = std::make_unique<Memory>();
    shadow->name = Names::getValidMemoryName(wasm, memory->name.toString() + "$shadow");
    shadow->initial = memory->initial + ShadowLayout::kShadowSparePages;
    if (memory->hasMax()) {
      shadow->max = std::min<uint64_t>(memory->max + ShadowLayout::kShadowSparePages,
                                       Memory::kDefaultMaxSize32);
    } else {
      shadow->max = Memory::kUnlimitedSize;
    }
    shadow->addressType = memory->addressType;
    context.byMemory[memory->name] = context.memories.size();
    context.memories.push_back({memory->name, shadow->name, index});
    wasm.addMemory(std::move(shadow));
  }
  // Shadow copies of the active data segments, after all the originals so
  // that a segment out of bounds still fails instantiation first.
  std::vector<DataSegment*> segments;
  for (auto& segment : wasm.dataSegments) {
    if (segment->isActive() && context.isShadowed(segment->memory)) {
      segments.push_back(segment.get());
    }
  }
  for (DataSegment* segment : segments) {
    auto copy = std::make_unique<DataSegment>();
    copy->name = Names::getValidDataSegmentName(wasm, segment->name.toString() + "$shadow");
    const auto& pair = context.pairOf(segment->memory);
    copy->data = segment->data;
    if (wasm.getMemory(segment->memory)->imported()) {
      // Passive: shadow-init copies it in (see the top of this file).
      context.deferredSegments.push_back(
        {copy->name, pair.shadow, skewedOffset(wasm, segment->offset), uint32_t(segment->data.size())});
    } else {
      copy->memory = pair.shadow;
      copy->offset = skewedOffset(wasm, segment->offset);
    }
    wasm.addDataSegment(std::move(copy));
  }
}

void addShadowInit(Module& wasm, const RecordContext& context) {
  Builder builder(wasm);
  std::vector<Expression*> body;
  for (const auto& pair : context.memories) {
    if (wasm.getMemory(pair.memory)->imported()) {
      body.push_back(hostGrowthCheck(builder, context, pair));
    }
  }
  // (shadow-tables: the same for imported externref tables)
  for (const auto& pair : context.tables) {
    if (wasm.getTable(pair.table)->imported()) {
      body.push_back(tableSizeCheck(builder, pair));
    }
  }
  if (body.empty()) {
    return;
  }
  for (const auto& deferred : context.deferredSegments) {
    body.push_back(builder.makeMemoryInit(deferred.segment, deferred.offset, builder.makeConst(Literal(int32_t(0))),
                                          builder.makeConst(Literal(int32_t(deferred.size))), deferred.shadow));
    body.push_back(builder.makeDataDrop(deferred.segment));
  }
  for (const auto& deferred : context.deferredElements) {
    body.push_back(builder.makeTableInit(deferred.segment, deferred.offset, builder.makeConst(Literal(int32_t(0))),
                                         builder.makeConst(Literal(int32_t(deferred.size))), deferred.shadow));
    body.push_back(builder.makeElemDrop(deferred.segment));
  }
  if (!context.deferredSegments.empty()) {
    wasm.features |= FeatureSet::BulkMemory;
  }
  if (wasm.start.is()) {
    body.push_back(builder.makeCall(wasm.start, {}, Type::none));
  }
  Name init = Names::getValidFunctionName(wasm, "srr$shadow-init");
  wasm.addFunction(builder.makeFunction(init, Signature(Type::none, Type::none), {}, builder.makeBlock(body)));
  wasm.start = init;
}

} // namespace srr
