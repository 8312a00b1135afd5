// Single memory: lowers a module with several memories (a recording module:
// the guest's memories, their shadows and the recorder's; a replay module:
// the guest's and the replayer's) to one, for engines without multi-memory
// (node 20). binaryen's multi-memory-lowering does the work: the memories
// are laid end to end in one, in their order, each access moved by its
// memory's offset (a global; growing a memory moves the ones after it up),
// and memory.size/memory.grow answered per memory. The first memory keeps
// offset 0, so the memory exported as "memory" (the one WASI pointers
// address) must be the first. Around the pass:
//
//  - a memory with a maximum gets that maximum checked at each of its
//    memory.grow (the lowered memory has one maximum for all);
//  - what a memory grows by is zeroed: the pass moves the memories after it
//    up but leaves their old bytes where the grown part now is (binaryen
//    132), where a guest (and a replay, whose trace holds only the bytes
//    the host wrote that differed from zero) expects zeros;
//  - exports of the other memories are removed (the pass allows only the
//    first to be exported), but for the runtime's "shadowrr_memory", which
//    becomes an export of the one memory, with every function export
//    shadowrr_*_ptr (an address in it: shadowrr_message_ptr,
//    shadowrr_drain_ptr) moved by the runtime memory's offset, so that hosts
//    read the runtime's memory as before.
//
// Refused (a one-line reason): an imported memory (the host would have to
// provide room for all of them), and an active data segment whose offset is
// not a constant (the pass cannot move it).
//
//  - an access past the end of one of the guest's memories must still trap,
//    not reach the next memory: every load, store and bulk access of a
//    memory that is neither the last (whose end is the lowered memory's)
//    nor a recording's shadow (whose accesses follow checked ones) first
//    checks its end against the memory's size (KeepBoundsChecks; the
//    -with-bounds-checks variant of the pass is broken in binaryen 132).
//    Such a trap is an `unreachable` rather than an out-of-bounds access.
//    Not checked: atomic accesses (only valid on unshared memories here,
//    and rare).

#include <map>
#include <set>
#include <string>

#include "ir/module-utils.h"
#include "ir/names.h"
#include "pass.h"
#include "passes/passes.h"
#include "wasm-builder.h"
#include "wasm.h"

#include "module_internal.h"
#include "passes/spill.h"

using namespace wasm;

namespace {

// memory.grow $m (delta) on a memory with a maximum:
//   (if (i64.gt_u (i64.add (memory.size $m) (delta)) (max)) -1 (memory.grow $m (delta)))
struct CheckGrowMaximum : public WalkerPass<PostWalker<CheckGrowMaximum>> {
  bool isFunctionParallel() override { return true; }
  std::unique_ptr<Pass> create() override { return std::make_unique<CheckGrowMaximum>(); }
  void visitMemoryGrow(MemoryGrow* curr) {
    Memory* memory = getModule()->getMemory(curr->memory);
    if (!memory->hasMax() || curr->type == Type::unreachable) {
      return;
    }
    Builder builder(*getModule());
    Index delta = Builder::addVar(getFunction(), Type::i32);
    auto wide = [&](Expression* e) { return builder.makeUnary(ExtendUInt32, e); };
    Expression* tooBig = builder.makeBinary(
      GtUInt64,
      builder.makeBinary(AddInt64, wide(builder.makeMemorySize(curr->memory)),
                         wide(builder.makeLocalGet(delta, Type::i32))),
      builder.makeConst(Literal(int64_t(memory->max))));
    Expression* grow = builder.makeMemoryGrow(builder.makeLocalGet(delta, Type::i32), curr->memory);
    replaceCurrent(builder.makeBlock(
      {builder.makeLocalSet(delta, curr->delta),
       builder.makeIf(tooBig, builder.makeConst(Literal(int32_t(-1))), grow, Type::i32)},
      Type::i32));
  }
};

// Before the lowering: accesses of the memories in `checked` trap, as they
// would have, when they reach past the end of their memory:
//   (i32.load offset=4 (ptr))
//   => (i32.load offset=4 (call $srr$in-bounds$m (ptr) (i64.const 8)))
//   (func $srr$in-bounds$m (param $at i32) (param $end i64) (result i32)
//    (if (i64.gt_u (i64.add (i64.extend_i32_u (local.get $at)) (local.get $end))
//                  (i64.shl (i64.extend_i32_u (memory.size $m)) (i64.const 16)))
//     (then unreachable))
//    (local.get $at))
// `end` is how far past `at` the access reaches (offset and size; a bulk
// access's length).
struct KeepBoundsChecks : public WalkerPass<PostWalker<KeepBoundsChecks>> {
  const std::map<Name, Name>* checkOf; // memory -> its in-bounds function
  explicit KeepBoundsChecks(const std::map<Name, Name>* checkOf) : checkOf(checkOf) {}
  bool isFunctionParallel() override { return true; }
  std::unique_ptr<Pass> create() override { return std::make_unique<KeepBoundsChecks>(checkOf); }

  // `at` checked for an access reaching `end` bytes past it in `memory`.
  Expression* checked(Name memory, Expression* at, Expression* end) {
    auto it = checkOf->find(memory);
    return it == checkOf->end() ? at : Builder(*getModule()).makeCall(it->second, {at, end}, Type::i32);
  }
  Expression* reach(uint64_t offset, uint32_t bytes) {
    return Builder(*getModule()).makeConst(Literal(int64_t(offset + bytes)));
  }
  Expression* length(Index local) {
    Builder b(*getModule());
    return b.makeUnary(ExtendUInt32, b.makeLocalGet(local, Type::i32));
  }
  bool skip(Expression* curr, Name memory) { return curr->type == Type::unreachable || !checkOf->count(memory); }

  void visitLoad(Load* curr) {
    if (!skip(curr, curr->memory)) curr->ptr = checked(curr->memory, curr->ptr, reach(curr->offset, curr->bytes));
  }
  void visitStore(Store* curr) {
    if (!skip(curr, curr->memory)) curr->ptr = checked(curr->memory, curr->ptr, reach(curr->offset, curr->bytes));
  }
  void visitSIMDLoad(SIMDLoad* curr) {
    if (!skip(curr, curr->memory)) curr->ptr = checked(curr->memory, curr->ptr, reach(curr->offset, curr->getMemBytes()));
  }
  void visitSIMDLoadStoreLane(SIMDLoadStoreLane* curr) {
    if (!skip(curr, curr->memory)) curr->ptr = checked(curr->memory, curr->ptr, reach(curr->offset, curr->getMemBytes()));
  }
  // Bulk accesses: the operands into locals (in order), then the access
  // with its ends checked: `dest` (and a memory.copy's `source`) by its
  // length, `size`.
  void checkBulk(Expression* curr, Expression** dest, Name destMemory, Expression** other, Name sourceMemory,
                 Expression** size) {
    Builder b(*getModule());
    std::vector<Expression*> sets;
    std::vector<Index> l = srr::spillToLocals(getFunction(), b, {*dest, *other, *size}, sets);
    *dest = checked(destMemory, b.makeLocalGet(l[0], Type::i32), length(l[2]));
    *other = sourceMemory.is() ? checked(sourceMemory, b.makeLocalGet(l[1], Type::i32), length(l[2]))
                               : b.makeLocalGet(l[1], Type::i32);
    *size = b.makeLocalGet(l[2], Type::i32);
    sets.push_back(curr);
    replaceCurrent(b.makeBlock(sets));
  }
  void visitMemoryFill(MemoryFill* curr) {
    if (!skip(curr, curr->memory)) checkBulk(curr, &curr->dest, curr->memory, &curr->value, Name(), &curr->size);
  }
  void visitMemoryCopy(MemoryCopy* curr) {
    if (curr->type != Type::unreachable && (checkOf->count(curr->destMemory) || checkOf->count(curr->sourceMemory))) {
      checkBulk(curr, &curr->dest, curr->destMemory, &curr->source, curr->sourceMemory, &curr->size);
    }
  }
  void visitMemoryInit(MemoryInit* curr) {
    if (!skip(curr, curr->memory)) checkBulk(curr, &curr->dest, curr->memory, &curr->offset, Name(), &curr->size);
  }
};

// The in-bounds functions of KeepBoundsChecks, for every memory but the last
// and the shadows (named "...$shadow" by shadow-memories).
void addBoundsChecks(Module& wasm) {
  std::map<Name, Name> checkOf;
  Builder b(wasm);
  for (size_t i = 0; i + 1 < wasm.memories.size(); i++) {
    Name memory = wasm.memories[i]->name;
    if (memory.toString().ends_with("$shadow")) {
      continue;
    }
    Name name = Names::getValidFunctionName(wasm, "srr$in-bounds$" + memory.toString());
    Expression* end = b.makeBinary(AddInt64, b.makeUnary(ExtendUInt32, b.makeLocalGet(0, Type::i32)),
                                   b.makeLocalGet(1, Type::i64));
    Expression* size = b.makeBinary(ShlInt64, b.makeUnary(ExtendUInt32, b.makeMemorySize(memory)),
                                    b.makeConst(Literal(int64_t(16))));
    wasm.addFunction(b.makeFunction(
      name, Signature(Type({Type::i32, Type::i64}), Type::i32), {},
      b.makeSequence(b.makeIf(b.makeBinary(GtUInt64, end, size), b.makeUnreachable()), b.makeLocalGet(0, Type::i32))));
    checkOf[memory] = name;
  }
  // (the in-bounds functions access no memory: the pass leaves them alone)
  PassRunner runner(&wasm);
  runner.add(std::make_unique<KeepBoundsChecks>(&checkOf));
  runner.run();
}

// Sends calls of the lowered grow functions to their zeroing wrappers (but
// in the wrappers themselves).
struct RedirectGrowCalls : public WalkerPass<PostWalker<RedirectGrowCalls>> {
  const std::map<Name, Name>* wrapperOf;
  explicit RedirectGrowCalls(const std::map<Name, Name>* wrapperOf) : wrapperOf(wrapperOf) {}
  bool isFunctionParallel() override { return true; }
  std::unique_ptr<Pass> create() override { return std::make_unique<RedirectGrowCalls>(wrapperOf); }
  void visitCall(Call* curr) {
    auto it = wrapperOf->find(curr->target);
    if (it != wrapperOf->end() && getFunction()->name != it->second) {
      curr->target = it->second;
    }
  }
};

// After the lowering: every memory but the last grows through a wrapper
// that zeroes what it grew by, [the next memory's old offset, + delta pages).
// `grows` are the pass's grow functions and `offsets` its offset globals,
// both in memory order.
void zeroGrownMemory(Module& wasm, const std::vector<Name>& grows, const std::vector<Name>& offsets) {
  Builder builder(wasm);
  Name combined = wasm.memories[0]->name;
  std::map<Name, Name> wrapperOf;
  for (size_t i = 0; i + 1 < grows.size() && i < offsets.size(); i++) {
    Name wrapper = Names::getValidFunctionName(wasm, "srr$single$" + grows[i].toString());
    // (param $delta i32) (local $next i32) (local $result i32)
    auto delta = [&]() { return builder.makeLocalGet(0, Type::i32); };
    Expression* body = builder.makeBlock(
      {builder.makeLocalSet(1, builder.makeGlobalGet(offsets[i], Type::i32)),
       builder.makeLocalSet(2, builder.makeCall(grows[i], {delta()}, Type::i32)),
       builder.makeIf(builder.makeBinary(NeInt32, builder.makeLocalGet(2, Type::i32),
                                         builder.makeConst(Literal(int32_t(-1)))),
                      builder.makeMemoryFill(builder.makeLocalGet(1, Type::i32), builder.makeConst(Literal(int32_t(0))),
                                             builder.makeBinary(ShlInt32, delta(), builder.makeConst(Literal(int32_t(16)))),
                                             combined)),
       builder.makeLocalGet(2, Type::i32)},
      Type::i32);
    wasm.addFunction(builder.makeFunction(wrapper, Signature(Type::i32, Type::i32), {Type::i32, Type::i32}, body));
    wrapperOf[grows[i]] = wrapper;
  }
  PassRunner runner(&wasm);
  runner.add(std::make_unique<RedirectGrowCalls>(&wrapperOf));
  runner.run();
}

bool refuse(srr_error* err, const std::string& why) {
  srr_set_error(err, "single memory: %s", why.c_str());
  return false;
}

bool lowerable(Module& wasm, srr_error* err) {
  for (Index i = 0; i < wasm.memories.size(); i++) {
    Memory* memory = wasm.memories[i].get();
    std::string what = "memory " + std::to_string(i) + " ($" + memory->name.toString() + ")";
    if (memory->imported()) {
      return refuse(err, what + " is imported; only a module that defines its memories can be lowered to one");
    }
    if (memory->shared || memory->is64() || memory->pageSizeLog2 != Memory::kDefaultPageSizeLog2) {
      return refuse(err, what + " is shared, 64-bit or has a custom page size");
    }
  }
  for (Index i = 0; i < wasm.dataSegments.size(); i++) {
    DataSegment* segment = wasm.dataSegments[i].get();
    if (segment->isActive() && !segment->offset->is<Const>()) {
      return refuse(err, "data segment " + std::to_string(i) + " ($" + segment->name.toString() +
                           ") has an offset that is not a constant");
    }
  }
  if (Export* exp = wasm.getExportOrNull("memory");
      exp && exp->kind == ExternalKind::Memory && *exp->getInternalName() != wasm.memories[0]->name) {
    return refuse(err, "the memory exported as \"memory\" is not the first one");
  }
  return true;
}

} // namespace

extern "C" int srr_module_lower_memories(srr_module* module, srr_error* err) {
  Module& wasm = module->wasm;
  if (wasm.memories.size() <= 1) {
    return 0;
  }
  try {
    if (!lowerable(wasm, err)) {
      return 1;
    }
    // The runtime's memory, by its index, if it is exported.
    Index runtimeIndex = 0;
    if (Export* exp = wasm.getExportOrNull("shadowrr_memory"); exp && exp->kind == ExternalKind::Memory) {
      for (Index i = 0; i < wasm.memories.size(); i++) {
        if (wasm.memories[i]->name == *exp->getInternalName()) {
          runtimeIndex = i;
        }
      }
    }
    Name first = wasm.memories[0]->name;
    std::vector<Name> otherExports;
    for (auto& exp : wasm.exports) {
      if (exp->kind == ExternalKind::Memory && *exp->getInternalName() != first) {
        otherExports.push_back(exp->name);
      }
    }
    for (Name name : otherExports) {
      wasm.removeExport(name);
    }
    {
      PassRunner runner(&wasm);
      runner.add(std::make_unique<CheckGrowMaximum>());
      runner.run();
    }
    for (auto& memory : wasm.memories) {
      memory->max = Memory::kUnlimitedSize; // checked at each grow now
    }
    addBoundsChecks(wasm);
    std::set<Name> globalsBefore, functionsBefore;
    for (auto& global : wasm.globals) {
      globalsBefore.insert(global->name);
    }
    for (auto& func : wasm.functions) {
      functionsBefore.insert(func->name);
    }
    {
      PassRunner runner(&wasm);
      runner.add(std::unique_ptr<Pass>(createMultiMemoryLoweringPass()));
      runner.run();
    }
    // The pass adds one offset global per memory after the first, in order.
    std::vector<Name> offsets;
    for (auto& global : wasm.globals) {
      if (!globalsBefore.count(global->name)) {
        offsets.push_back(global->name);
      }
    }
    // ...and a size function (no params) and a grow function (one) per
    // memory, in order.
    std::vector<Name> grows;
    for (auto& func : wasm.functions) {
      if (!functionsBefore.count(func->name) && func->getParams() == Type::i32) {
        grows.push_back(func->name);
      }
    }
    zeroGrownMemory(wasm, grows, offsets);
    if (runtimeIndex == 0) {
      return 0;
    }
    if (runtimeIndex > offsets.size()) {
      srr_set_error(err, "single memory: the lowering did not add the offset globals it should have");
      return 1;
    }
    Name offset = offsets[runtimeIndex - 1];
    Name combined = wasm.memories[0]->name;
    wasm.addExport(Builder::makeExport("shadowrr_memory", combined, ExternalKind::Memory));
    Builder builder(wasm);
    for (auto& exp : wasm.exports) {
      std::string name = exp->name.toString();
      if (exp->kind != ExternalKind::Function || !name.starts_with("shadowrr_") || !name.ends_with("_ptr")) {
        continue;
      }
      Function* target = wasm.getFunction(*exp->getInternalName());
      if (target->getSig() != Signature(Type::none, Type::i32)) {
        continue;
      }
      Name moved = Names::getValidFunctionName(wasm, "srr$single$" + name);
      wasm.addFunction(builder.makeFunction(
        moved, Signature(Type::none, Type::i32), {},
        builder.makeBinary(AddInt32, builder.makeCall(target->name, {}, Type::i32),
                           builder.makeGlobalGet(offset, Type::i32))));
      *exp->getInternalName() = moved;
    }
  } catch (std::exception& e) {
    srr_set_error(err, "single memory: %s", e.what());
    return 1;
  }
  return 0;
}
