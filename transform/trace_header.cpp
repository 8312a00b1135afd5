// Building the trace header body: tagged fields of docs/trace-format.md,
// encoded with the one implementation of the format (srr_trace.h).

#include <string>

#include "passes/record_events.h"
#include "srr_trace.h"
#include "module_items.h"
#include "trace_header.h"

using namespace wasm;

namespace srr {

uint8_t traceTypeCode(Type t) {
  if (srr::isTraceRef(t)) {
    return t.getHeapType() == HeapType(HeapType::func) ? SRR_T_FUNCREF : SRR_T_EXTERNREF;
  }
  switch (t.getBasic()) {
    case Type::i32:
      return SRR_T_I32;
    case Type::i64:
      return SRR_T_I64;
    case Type::f32:
      return SRR_T_F32;
    case Type::f64:
      return SRR_T_F64;
    case Type::v128:
      return SRR_T_V128;
    default:
      return 0; // other references are refused before a header is built
  }
}

namespace {

void uleb(std::vector<uint8_t>& out, uint64_t value) {
  uint8_t tmp[SRR_MAX_ULEB];
  size_t n = srr_put_uleb(tmp, value);
  out.insert(out.end(), tmp, tmp + n);
}

void str(std::vector<uint8_t>& out, const std::string& s) {
  uleb(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}


void signature(std::vector<uint8_t>& out, Signature sig) {
  for (Type types : {sig.params, sig.results}) {
    uleb(out, types.size());
    for (auto t : types) {
      out.push_back(traceTypeCode(t));
    }
  }
}

void field(std::vector<char>& header, uint8_t tag, const std::vector<uint8_t>& payload) {
  header.push_back(char(tag));
  uint8_t tmp[SRR_MAX_ULEB];
  size_t n = srr_put_uleb(tmp, payload.size());
  header.insert(header.end(), tmp, tmp + n);
  header.insert(header.end(), payload.begin(), payload.end());
}

} // namespace

std::vector<char> buildTraceHeader(Module& wasm, const uint8_t sha256[32], const char* moduleName,
                                   const std::vector<std::pair<uint32_t, Name>>& memories,
                                   const std::vector<HostGlobal>& globals, uint32_t flags) {
  std::vector<char> header;
  field(header, SRR_HDR_MODULE_SHA256, std::vector<uint8_t>(sha256, sha256 + 32));
  if (moduleName) {
    std::vector<uint8_t> p;
    str(p, moduleName);
    field(header, SRR_HDR_MODULE_NAME, p);
  }
  uint32_t index = 0;
  for (auto& func : wasm.functions) {
    if (func->imported()) {
      std::vector<uint8_t> p;
      uleb(p, index++);
      str(p, func->module.toString());
      str(p, func->base.toString());
      signature(p, func->getSig());
      field(header, SRR_HDR_IMPORT, p);
    }
  }
  index = 0;
  for (auto& [exportName, function] : collectAppItems(wasm).exports) {
    std::vector<uint8_t> p;
    uleb(p, index++);
    str(p, exportName.toString());
    signature(p, wasm.getFunction(function)->getSig());
    field(header, SRR_HDR_EXPORT, p);
  }
  for (auto& [memoryIndex, name] : memories) {
    Memory* memory = wasm.getMemory(name);
    std::vector<uint8_t> p;
    uleb(p, memoryIndex);
    uleb(p, memory->initial);
    p.push_back(memory->hasMax() ? 1 : 0);
    if (memory->hasMax()) {
      uleb(p, memory->max);
    }
    field(header, SRR_HDR_MEMORY, p);
  }
  for (const auto& global : globals) {
    std::vector<uint8_t> p;
    uleb(p, global.index);
    p.push_back(traceTypeCode(global.type));
    str(p, global.name);
    field(header, SRR_HDR_GLOBAL, p);
  }
  for (const auto& table : hostWritableTables(wasm)) {
    std::vector<uint8_t> p;
    uleb(p, table.index);
    p.push_back(traceTypeCode(wasm.getTable(table.table)->type)); // externref or funcref
    field(header, SRR_HDR_TABLE, p);
  }
  std::vector<uint8_t> recorder;
  str(recorder, "shadowrr " SHADOWRR_VERSION_STRING);
  field(header, SRR_HDR_RECORDER, recorder);
  std::vector<uint8_t> f;
  uleb(f, flags);
  field(header, SRR_HDR_FLAGS, f);
  std::vector<uint8_t> skew;
  uleb(skew, ShadowLayout::kShadowSkew);
  field(header, SRR_HDR_SHADOW_OFFSET, skew);
  return header;
}

} // namespace srr
