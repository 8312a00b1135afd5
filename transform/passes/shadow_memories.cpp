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
// An imported memory gets a defined shadow: the host may have filled the
// memory before instantiation, and those bytes are found and recorded as host
// writes when the guest first reads them. The shadow is never exported.

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

} // namespace

void addShadowMemories(Module& wasm, RecordContext& context) {
  // Collect first: adding memories while iterating would invalidate.
  std::vector<Memory*> originals;
  for (auto& memory : wasm.memories) {
    originals.push_back(memory.get());
  }
  for (uint32_t index = 0; index < originals.size(); index++) {
    Memory* memory = originals[index];
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
    copy->memory = context.pairOf(segment->memory).shadow;
    copy->offset = skewedOffset(wasm, segment->offset);
    copy->data = segment->data;
    wasm.addDataSegment(std::move(copy));
  }
}

} // namespace srr
