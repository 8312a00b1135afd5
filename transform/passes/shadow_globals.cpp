// shadow-globals: the host can change a mutable global that the module
// exports or imports. Each such global gets a shadow global that follows the
// guest's own global.set; at every event boundary the two are compared, and a
// difference (the host's change) is recorded as GLOBAL_CHANGE and copied into
// the shadow.
//
//  Before:
//   (global $g (export "counter") (mut i32) (i32.const 0))
//   (global.set $g (local.get $x))
//
//  After:
//   (global $g (export "counter") (mut i32) (i32.const 0))
//   (global $g$shadow (mut i32) (i32.const 0))
//   (global.set $g$shadow (local.tee $v (local.get $x)))
//   (global.set $g (local.get $v))
//
//  and in $srr$boundary (record-imports):
//   (if (i32.ne (global.get $g) (global.get $g$shadow))
//    (then (call $srr_rec_begin (i32.const 8) (i32.const 0) (i32.const 11))
//          (call $srr_rec_i32 (global.get $g)) (call $srr_rec_end)
//          (global.set $g$shadow (global.get $g))))
//
// An imported global's shadow starts at zero (a mutable import cannot be read
// in a constant expression), so its value at the first boundary is recorded.

#include "ir/manipulation.h"
#include "ir/names.h"
#include "wasm-builder.h"
#include "wasm.h"

#include "../record_context.h"
#include "record_events.h"

using namespace wasm;

namespace srr {

namespace {

struct ShadowGlobalSets : public WalkerPass<PostWalker<ShadowGlobalSets>> {
  const RecordContext* context;

  explicit ShadowGlobalSets(const RecordContext* context) : context(context) {}

  bool isFunctionParallel() override { return true; }
  std::unique_ptr<Pass> create() override { return std::make_unique<ShadowGlobalSets>(context); }

  void visitGlobalSet(GlobalSet* curr) {
    const RecordContext::GlobalPair* pair = context->globalPairOf(curr->name);
    if (!pair || curr->value->type == Type::unreachable) {
      return;
    }
    Builder builder(*getModule());
    Index value = Builder::addVar(getFunction(), pair->type);
    Expression* tee = builder.makeLocalTee(value, curr->value, pair->type);
    curr->value = builder.makeLocalGet(value, pair->type);
    replaceCurrent(builder.makeBlock({builder.makeGlobalSet(pair->shadow, tee), curr}));
  }
};

} // namespace

std::vector<HostGlobal> hostChangeableGlobals(Module& wasm) {
  std::vector<HostGlobal> out;
  for (auto& global : wasm.globals) {
    // An immutable import's value is the host's too, set once: recorded as
    // its first change (from the shadow's zero), at the first boundary.
    if (!(global->mutable_ || global->imported()) || !(global->type.isNumber() || isTraceRef(global->type))) {
      continue;
    }
    std::string name;
    for (auto& exp : wasm.exports) {
      if (exp->kind == ExternalKind::Global && *exp->getInternalName() == global->name) {
        name = exp->name.toString();
        break;
      }
    }
    if (name.empty() && global->imported()) {
      name = global->module.toString() + "." + global->base.toString();
    }
    if (!name.empty()) {
      out.push_back({global->name, uint32_t(out.size()), global->type, name});
    }
  }
  return out;
}

void addShadowGlobals(Module& wasm, RecordContext& context) {
  Builder builder(wasm);
  for (const HostGlobal& host : hostChangeableGlobals(wasm)) {
    Global* global = wasm.getGlobal(host.global);
    Name shadow = Names::getValidGlobalName(wasm, global->name.toString() + "$shadow");
    // An imported mutable global cannot be read in a constant expression: its
    // shadow starts at zero, so the host's initial value is the first change.
    Expression* init = global->imported() ? builder.makeConstantExpression(Literal::makeZero(global->type))
                                          : ExpressionManipulator::copy(global->init, wasm);
    wasm.addGlobal(builder.makeGlobal(shadow, global->type, init, Builder::Mutable));
    context.globals.add(global->name, {global->name, shadow, host.index, global->type, host.name});
  }
}

std::unique_ptr<Pass> createShadowGlobalSetsPass(const RecordContext* context) {
  return std::make_unique<ShadowGlobalSets>(context);
}

} // namespace srr
