// What the replay transform's files share (replay.cpp, passes/replay_host_calls.cpp):
// the replayer's functions the generated code calls, and how values pass
// between the two.
#ifndef SHADOWRR_REPLAY_INTERNAL_H
#define SHADOWRR_REPLAY_INTERNAL_H

#include <functional>
#include <map>
#include <string>

#include "wasm-builder.h"
#include "wasm.h"

#include "runtime_merge.h"
#include "trace_header.h"

namespace srr {

// The replayer's functions the generated code calls (replayer_abi.h).
struct ReplayerFunctions {
  wasm::Name run, callBegin, callCheck, callEnd, memoryGrow, exportArgRef, exportResultRef, hostFuncrefCalled;
  wasm::Name funcrefBegin, argRef, funcrefCall, retRef, isHostCall;
  wasm::Name compiledDiverged, compiledReturn;
  std::map<wasm::Type::BasicType, wasm::Name> arg, ret, exportArg, exportResult;
  wasm::Name retV128Low, retV128High, exportArgV128Low, exportArgV128High;

  bool find(const srr::MergedRuntime& rt, std::string& error) {
    using namespace wasm;
    Name i32a, i64a, f32a, f64a, v128a, i32r, i64r, f32r, f64r, i32ea, i64ea, f32ea, f64ea, i32er, i64er, f32er,
      f64er, v128er;
    if (!srr::findRuntimeFunctions(
          rt, "replayer",
          {{"srr_rep_run", &run},
           {"srr_rep_call_begin", &callBegin},
           {"srr_rep_call_check", &callCheck},
           {"srr_rep_call_end", &callEnd},
           {"srr_rep_memory_grow", &memoryGrow},
           {"srr_rep_arg_i32", &i32a},
           {"srr_rep_arg_i64", &i64a},
           {"srr_rep_arg_f32", &f32a},
           {"srr_rep_arg_f64", &f64a},
           {"srr_rep_arg_v128", &v128a},
           {"srr_rep_ret_i32", &i32r},
           {"srr_rep_ret_i64", &i64r},
           {"srr_rep_ret_f32", &f32r},
           {"srr_rep_ret_f64", &f64r},
           {"srr_rep_ret_v128_low", &retV128Low},
           {"srr_rep_ret_v128_high", &retV128High},
           {"srr_rep_export_arg_i32", &i32ea},
           {"srr_rep_export_arg_i64", &i64ea},
           {"srr_rep_export_arg_f32", &f32ea},
           {"srr_rep_export_arg_f64", &f64ea},
           {"srr_rep_export_arg_v128_low", &exportArgV128Low},
           {"srr_rep_export_arg_v128_high", &exportArgV128High},
           {"srr_rep_export_result_i32", &i32er},
           {"srr_rep_export_result_i64", &i64er},
           {"srr_rep_export_result_f32", &f32er},
           {"srr_rep_export_result_f64", &f64er},
           {"srr_rep_export_result_v128", &v128er},
           {"srr_rep_export_arg_ref", &exportArgRef},
           {"srr_rep_export_result_ref", &exportResultRef},
           {"srr_rep_host_funcref_called", &hostFuncrefCalled},
           {"srr_rep_funcref_begin", &funcrefBegin},
           {"srr_rep_arg_ref", &argRef},
           {"srr_rep_funcref_call", &funcrefCall},
           {"srr_rep_ret_ref", &retRef},
           {"srr_rep_is_host_call", &isHostCall},
           {"srr_rep_compiled_diverged", &compiledDiverged},
           {"srr_rep_compiled_return", &compiledReturn}},
          error)) {
      return false;
    }
    arg = {{Type::i32, i32a}, {Type::i64, i64a}, {Type::f32, f32a}, {Type::f64, f64a}, {Type::v128, v128a}};
    ret = {{Type::i32, i32r}, {Type::i64, i64r}, {Type::f32, f32r}, {Type::f64, f64r}};
    exportArg = {{Type::i32, i32ea}, {Type::i64, i64ea}, {Type::f32, f32ea}, {Type::f64, f64ea}};
    exportResult = {{Type::i32, i32er}, {Type::i64, i64er}, {Type::f32, f32er}, {Type::f64, f64er}, {Type::v128, v128er}};
    return true;
  }
};

// A v128 from two i64 halves, each produced by a call (evaluated low first).
inline wasm::Expression* v128FromHalves(wasm::Builder& builder, wasm::Name low, wasm::Name high) {
  using namespace wasm;
  return builder.makeSIMDReplace(ReplaceLaneVecI64x2, builder.makeUnary(SplatVecI64x2, builder.makeCall(low, {}, Type::i64)),
                                 1, builder.makeCall(high, {}, Type::i64));
}

// Hands a value to the replayer: one call, or two i64 halves for a v128
// (the value must then be a local.get, read twice).
inline wasm::Expression* passValue(wasm::Builder& builder, const std::map<wasm::Type::BasicType, wasm::Name>& byType,
                                   wasm::Expression* value) {
  using namespace wasm;
  if (value->type == Type::v128) {
    auto* again = builder.makeLocalGet(value->cast<LocalGet>()->index, Type::v128);
    return builder.makeCall(byType.at(Type::v128),
                            {builder.makeSIMDExtract(ExtractLaneVecI64x2, value, 0),
                             builder.makeSIMDExtract(ExtractLaneVecI64x2, again, 1)},
                            Type::none);
  }
  return builder.makeCall(byType.at(value->type.getBasic()), {value}, Type::none);
}

// Appends to `body` the recorded results of the call the replayer has just
// checked (srr_rep_ret_*), as one value (a tuple for several); a funcref or
// externref result is null or `standIn(type)` (srr_rep_ret_ref).
inline void appendRecordedResults(wasm::Builder& builder, const ReplayerFunctions& rep, wasm::Type results,
                                  const std::function<wasm::Expression*(wasm::Type)>& standIn,
                                  std::vector<wasm::Expression*>& body) {
  using namespace wasm;
  std::vector<Expression*> values;
  for (Type t : results) {
    if (t.isRef()) {
      Select* select = builder.makeSelect(
        builder.makeCall(rep.retRef, {builder.makeConst(Literal(int32_t(traceTypeCode(t))))}, Type::i32),
        standIn(t), builder.makeRefNull(t.getHeapType().getBottom()));
      select->type = t;
      values.push_back(select);
    } else {
      values.push_back(t == Type::v128 ? v128FromHalves(builder, rep.retV128Low, rep.retV128High)
                                       : builder.makeCall(rep.ret.at(t.getBasic()), {}, t));
    }
  }
  if (values.size() == 1) {
    body.push_back(values[0]);
  } else if (values.size() > 1) {
    body.push_back(builder.makeTupleMake(values));
  }
}

} // namespace srr

#endif // SHADOWRR_REPLAY_INTERNAL_H
