// record-exports: every exported function is reached through a wrapper that
// records the host's call with its arguments and the return with its
// results, so reactors, callbacks and re-entrant calls from inside an import
// replay in order. The module's own calls to the function are not events.
// When `_start` returns, the run is over: the trace is finished. A funcref
// or externref goes into the trace as whether it is null (docs/
// trace-format.md, "References"); an export that passes other references, or
// any reference in a module that inspects them (casts, type tests), is not in
// the list (module_items.h): its calls are not events.
//
//  Before:
//   (export "add" (func $add))
//
//  After:
//   (export "add" (func $srr$export$add))
//   (func $srr$export$add (param $0 i32) (param $1 i32) (result i32)
//    (local $result i32)
//    (call $srr_rec_begin (i32.const 3) (i32.const 0) (i32.const 16))  ;; EXPORT_CALL, export 0
//    (call $srr_rec_i32 (local.get $0)) (call $srr_rec_i32 (local.get $1))
//    (call $srr_rec_end)
//    (call $srr$boundary)               ;; the host may have grown memory since
//    (call $srr$host_wrote)             ;; ...or written it (synced_versions.cpp)
//    (local.set $result (call $add (local.get $0) (local.get $1)))
//    (call $srr_rec_begin (i32.const 4) (i32.const 0) (i32.const 11))  ;; EXPORT_RETURN
//    (call $srr_rec_i32 (local.get $result))
//    (call $srr_rec_end)
//    (local.get $result))

#include "ir/names.h"
#include "wasm-builder.h"
#include "wasm.h"

#include "../record_context.h"
#include "record_events.h"

using namespace wasm;

namespace srr {

bool wrapExports(Module& wasm, const RecordContext& context, const std::vector<std::pair<Name, Name>>& exports,
                 Name boundary, std::string& error) {
  Builder builder(wasm);
  uint32_t index = 0;
  for (auto& [exportName, function] : exports) {
    Export* exp = wasm.getExport(exportName);
    Function* target = wasm.getFunction(*exp->getInternalName());
    Signature sig = target->getSig();
    std::vector<Expression*> body, args, argValues, resultValues;
    std::vector<Type> vars;
    for (Index i = 0; i < sig.params.size(); i++) {
      args.push_back(builder.makeLocalGet(i, sig.params[i]));
      argValues.push_back(builder.makeLocalGet(i, sig.params[i]));
    }
    recordEvent(builder, context, /*EXPORT_CALL*/ 3, index, argValues, body);
    if (boundary.is()) {
      body.push_back(builder.makeCall(boundary, {}, Type::none));
    }
    if (context.overwriteStale.is()) {
      // Still stale only after a trap (deferred_shadow_writes.cpp).
      body.push_back(builder.makeCall(context.overwriteStale, {}, Type::none));
    }
    auto depth = [&]() { return builder.makeGlobalGet(context.guestDepth, Type::i32); };
    auto addToDepth = [&](int32_t n) {
      return builder.makeGlobalSet(context.guestDepth, builder.makeBinary(AddInt32, depth(), builder.makeConst(Literal(n))));
    };
    if (context.guestDepth.is()) {
      // The host writes only while the guest calls it: a host write may be
      // pending only if this call comes from inside another guest call.
      body.push_back(builder.makeIf(depth(), builder.makeCall(context.hostWrote, {}, Type::none)));
      body.push_back(addToDepth(1));
    } else if (context.hostWrote.is()) {
      // The host may have written the memories before this call.
      body.push_back(builder.makeCall(context.hostWrote, {}, Type::none));
    }
    Index resultsLocal = sig.params.size();
    Expression* call = builder.makeCall(target->name, args, sig.results);
    resultValues = keepResults(builder, call, sig.results, resultsLocal, vars, body);
    if (context.flushStale.is()) { // the host runs next
      body.push_back(builder.makeCall(context.flushStale, {}, Type::none));
    }
    if (context.guestDepth.is()) {
      // (A trap leaves the count up: later calls then assume a host write.)
      body.push_back(addToDepth(-1));
    }
    recordEvent(builder, context, /*EXPORT_RETURN*/ 4, index, resultValues, body);
    if (context.guestEntered.is()) {
      // Back to the host, which may go on running code of its own before
      // returning to a call of the guest's (shadow_tables.cpp, markHostCall).
      body.push_back(builder.makeGlobalSet(context.guestEntered, builder.makeConst(Literal(int32_t(0)))));
    }
    if (exp->name == "_start") {
      body.push_back(builder.makeCall(context.recFinish, {}, Type::none));
    }
    if (sig.results != Type::none) {
      body.push_back(builder.makeLocalGet(resultsLocal, sig.results));
    }
    Name wrapper = Names::getValidFunctionName(wasm, "srr$export$" + exp->name.toString());
    wasm.addFunction(builder.makeFunction(wrapper, sig, std::move(vars), builder.makeBlock(body, sig.results)));
    *exp->getInternalName() = wrapper;
    index++;
  }
  return true;
}

} // namespace srr
