// ShadowAccess: the address arithmetic the shadow passes share. One memory
// access is rewritten at a time: its address is evaluated once into a local,
// and the shadow access reuses it with the offset moved by the skew
// (ShadowLayout), so no instruction is spent on the shadow's address.
#ifndef SHADOWRR_SHADOW_ACCESS_H
#define SHADOWRR_SHADOW_ACCESS_H

#include <cstdint>
#include <map>
#include <utility>

#include "ir/manipulation.h"
#include "wasm-builder.h"
#include "wasm.h"

#include "../record_context.h"

namespace srr {

// Scratch locals shared by the accesses of one function. An instrumented
// access needs an address and a value local only between their set and the
// access's last use, and nothing instrumented runs in between except what a
// store's value computes. So every load of a type can share one pair, and so
// can every store whose value holds no other store (the passes check). A
// function with thousands of accesses then has a handful of new locals
// instead of thousands, which engines would zero at every call and compile
// slowly (measured: a wasm-r3 program went from 31 ms to 2 s on V8).
class LocalPool {
public:
  enum Role { LoadAddress, LoadValue, StoreAddress, StoreValue };
  wasm::Index get(wasm::Function* func, Role role, wasm::Type type) {
    auto key = std::make_pair(int(role), type.getID());
    auto it = locals.find(key);
    if (it != locals.end()) {
      return it->second;
    }
    wasm::Index index = wasm::Builder::addVar(func, type);
    locals[key] = index;
    return index;
  }

private:
  std::map<std::pair<int, uintptr_t>, wasm::Index> locals;
};

class ShadowAccess {
public:
  ShadowAccess(wasm::Module& wasm, wasm::Function* func, const RecordContext& context, wasm::Name memory)
    : wasm(wasm), func(func), pair(context.pairOf(memory)), builder(wasm) {}

  // Evaluates the access's address once. A constant or a local.get can be
  // re-read as it is when `reusable` (nothing between the two accesses can
  // change the local); otherwise it goes into a fresh local. Returns what to
  // put where the address was evaluated (a nop when nothing is needed).
  // With a `pool`, the address goes into the pool's local for `role`
  // (see LocalPool for when that is safe), else into a fresh local.
  wasm::Expression* captureAddress(wasm::Expression* ptr, bool reusable = false, LocalPool* pool = nullptr,
                                   LocalPool::Role role = LocalPool::LoadAddress) {
    if (reusable && (ptr->is<wasm::Const>() || ptr->is<wasm::LocalGet>())) {
      reused = ptr;
      return builder.makeNop();
    }
    local = pool ? pool->get(func, role, wasm::Type::i32) : wasm::Builder::addVar(func, wasm::Type::i32);
    return builder.makeLocalSet(local, ptr);
  }

  // The captured address, as a new expression each time.
  wasm::Expression* address() {
    if (reused) {
      return wasm::ExpressionManipulator::copy(reused, wasm);
    }
    return builder.makeLocalGet(local, wasm::Type::i32);
  }

  // The shadow access's offset immediate and address operand for an access
  // with `offset`. The skew normally goes into the immediate; if that would
  // overflow 32 bits, the original offset is added to the address instead
  // (it cannot wrap: the primary access already succeeded at that address).
  wasm::Address shadowOffset(wasm::Address offset) const {
    return fitsImmediate(offset) ? wasm::Address(uint64_t(offset) + ShadowLayout::kShadowSkew)
                                 : wasm::Address(ShadowLayout::kShadowSkew);
  }
  wasm::Expression* shadowAddress(wasm::Address offset) {
    if (fitsImmediate(offset)) {
      return address();
    }
    return builder.makeBinary(wasm::AddInt32, address(),
                              builder.makeConst(wasm::Literal(int32_t(uint32_t(offset)))));
  }

  // The access's effective address (address + offset), for the recorder.
  wasm::Expression* effectiveAddress(wasm::Address offset) {
    if (offset == 0) {
      return address();
    }
    return builder.makeBinary(wasm::AddInt32, address(),
                              builder.makeConst(wasm::Literal(int32_t(uint32_t(offset)))));
  }

  wasm::Name primaryMemory() const { return pair.memory; }
  wasm::Name shadowMemory() const { return pair.shadow; }
  wasm::Expression* memoryIndex() { return builder.makeConst(wasm::Literal(int32_t(pair.index))); }
  uint32_t memoryIndexValue() const { return pair.index; }

private:
  static bool fitsImmediate(wasm::Address offset) {
    return uint64_t(offset) + ShadowLayout::kShadowSkew <= UINT32_MAX;
  }

  wasm::Module& wasm;
  wasm::Function* func;
  const RecordContext::MemoryPair& pair;
  wasm::Builder builder;
  wasm::Index local = 0;
  wasm::Expression* reused = nullptr;
};

// "mine != shadow" for a value and an integer (or vector) of the same width:
// floats compared by their bits, vectors whole. The shadow loads compare a
// value read from memory with the same bytes read from its shadow; the
// replay's compiled runs compare a result with the recorded one.
inline wasm::Expression* differs(wasm::Builder& builder, wasm::Expression* mine, wasm::Expression* shadow) {
  using namespace wasm;
  switch (mine->type.getBasic()) {
    case Type::i32:
      return builder.makeBinary(NeInt32, mine, shadow);
    case Type::i64:
      return builder.makeBinary(NeInt64, mine, shadow);
    case Type::f32:
      return builder.makeBinary(NeInt32, builder.makeUnary(ReinterpretFloat32, mine), shadow);
    case Type::f64:
      return builder.makeBinary(NeInt64, builder.makeUnary(ReinterpretFloat64, mine), shadow);
    case Type::v128:
      return builder.makeUnary(AnyTrueVec128, builder.makeBinary(XorVec128, mine, shadow));
    default:
      WASM_UNREACHABLE("unexpected load type");
  }
}

} // namespace srr

#endif // SHADOWRR_SHADOW_ACCESS_H
