// Generated code that records one event through the recorder's
// srr_rec_begin / srr_rec_<type> / srr_rec_end calls (recorder_abi.h).
#ifndef SHADOWRR_RECORD_EVENTS_H
#define SHADOWRR_RECORD_EVENTS_H

#include <vector>

#include "wasm-builder.h"
#include "wasm.h"

#include "../record_context.h"

namespace srr {

// funcref or externref (nullable, inexact): the references a trace holds, by
// whether they are null (docs/trace-format.md, "References").
inline bool isTraceRef(wasm::Type type) {
  using namespace wasm;
  return type.isRef() && type.isNullable() && !type.isExact() &&
         (type.getHeapType() == HeapType(HeapType::func) || type.getHeapType() == HeapType(HeapType::ext));
}

// Bytes a value of `type` takes at most in the trace (docs/trace-format.md).
inline uint32_t maxEncodedSize(wasm::Type type) {
  if (isTraceRef(type)) {
    return 1;
  }
  if (!type.isBasic()) {
    return 0;
  }
  switch (type.getBasic()) {
    case wasm::Type::i32:
      return 5;
    case wasm::Type::i64:
      return 10;
    case wasm::Type::f32:
      return 4;
    case wasm::Type::f64:
      return 8;
    case wasm::Type::v128:
      return 16;
    default:
      return 0;
  }
}

// Whether every value of a signature can go into a trace: numbers and
// vectors, and with `references` funcref and externref (by null-ness).
inline bool recordable(wasm::Type types, bool references = false) {
  for (auto t : types) {
    if (maxEncodedSize(t) == 0 || (!references && isTraceRef(t))) {
      return false;
    }
  }
  return true;
}

// Whether a call_indirect of signature `sig` that reached a function of
// the host's is recorded (HOST_FUNCREF_CALL, shadow_tables.cpp) and so can
// be replayed (replay_host_calls.cpp): its arguments and results are all
// values a trace holds.
inline bool recordableHostCall(wasm::Signature sig) {
  return recordable(sig.params, true) && recordable(sig.results, true);
}

// Appends to `out` the calls recording event `kind` for `index` (an i32
// expression) with the given values (each expression is evaluated once, in
// order).
inline void recordEvent(wasm::Builder& builder, const RecordContext& context, uint32_t kind, wasm::Expression* index,
                        const std::vector<wasm::Expression*>& values, std::vector<wasm::Expression*>& out) {
  using namespace wasm;
  uint32_t maxSize = 1 + 5;
  for (auto* value : values) {
    maxSize += maxEncodedSize(value->type);
  }
  out.push_back(builder.makeCall(context.recBegin,
                                 {builder.makeConst(Literal(int32_t(kind))), index,
                                  builder.makeConst(Literal(int32_t(maxSize)))},
                                 Type::none));
  for (auto* value : values) {
    if (isTraceRef(value->type)) { // 1 for a non-null reference, 0 for null
      out.push_back(builder.makeCall(context.recI32, {builder.makeUnary(EqZInt32, builder.makeRefIsNull(value))},
                                     Type::none));
      continue;
    }
    switch (value->type.getBasic()) {
      case Type::i32:
        out.push_back(builder.makeCall(context.recI32, {value}, Type::none));
        break;
      case Type::i64:
        out.push_back(builder.makeCall(context.recI64, {value}, Type::none));
        break;
      case Type::f32:
        out.push_back(builder.makeCall(context.recF32, {value}, Type::none));
        break;
      case Type::f64:
        out.push_back(builder.makeCall(context.recF64, {value}, Type::none));
        break;
      case Type::v128: {
        // Two i64 halves; the value must be read twice, so the caller passes
        // a local.get (checked by the assert).
        assert(value->is<LocalGet>());
        auto* copy = builder.makeLocalGet(value->cast<LocalGet>()->index, Type::v128);
        out.push_back(builder.makeCall(context.recV128,
                                       {builder.makeSIMDExtract(ExtractLaneVecI64x2, value, 0),
                                        builder.makeSIMDExtract(ExtractLaneVecI64x2, copy, 1)},
                                       Type::none));
        break;
      }
      default:
        WASM_UNREACHABLE("unrecordable value");
    }
  }
  out.push_back(builder.makeCall(context.recEnd, {}, Type::none));
}

// recordEvent for a constant `index`.
inline void recordEvent(wasm::Builder& builder, const RecordContext& context, uint32_t kind, uint32_t index,
                        const std::vector<wasm::Expression*>& values, std::vector<wasm::Expression*>& out) {
  recordEvent(builder, context, kind, builder.makeConst(wasm::Literal(int32_t(index))), values, out);
}

// Calls `call` (whose type is `results`), keeping its results in locals of a
// generated function whose locals start at `firstLocal` (added to `vars`),
// and returns expressions reading each result for recordEvent. A v128 inside
// a tuple gets a local of its own, since recording reads it twice.
inline std::vector<wasm::Expression*> keepResults(wasm::Builder& builder, wasm::Expression* call,
                                                  wasm::Type results, wasm::Index firstLocal,
                                                  std::vector<wasm::Type>& vars,
                                                  std::vector<wasm::Expression*>& out) {
  using namespace wasm;
  std::vector<Expression*> values;
  if (results == Type::none) {
    out.push_back(call);
    return values;
  }
  vars.push_back(results);
  out.push_back(builder.makeLocalSet(firstLocal, call));
  for (Index i = 0; i < results.size(); i++) {
    if (!results.isTuple()) {
      values.push_back(builder.makeLocalGet(firstLocal, results));
      continue;
    }
    Expression* part = builder.makeTupleExtract(builder.makeLocalGet(firstLocal, results), i);
    if (results[i] == Type::v128) {
      Index lane = firstLocal + vars.size();
      vars.push_back(Type::v128);
      out.push_back(builder.makeLocalSet(lane, part));
      part = builder.makeLocalGet(lane, Type::v128);
    }
    values.push_back(part);
  }
  return values;
}

} // namespace srr

#endif // SHADOWRR_RECORD_EVENTS_H
