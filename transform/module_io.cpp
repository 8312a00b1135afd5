// Module I/O for the transform: parse (binary or text), detect features,
// refuse what cannot be instrumented, validate, write, print.
//
// Binaryen reports problems on std::cerr and through exceptions; this file is
// the one place that turns them into the one-line srr_error of the C API.

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>

#include "parser/wat-parser.h"
#include "wasm-binary.h"
#include "wasm-traversal.h"
#include "wasm-validator.h"
#include "wasm.h"

#include "declared_segments.h"
#include "srr_sha256.h"
#include "module_internal.h"

using namespace wasm;

void srr_set_error(srr_error* err, const char* fmt, ...) {
  if (!err) {
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof(err->message), fmt, ap);
  va_end(ap);
  // A message is one line: binaryen's texts sometimes carry newlines.
  for (char* p = err->message; *p; p++) {
    if (*p == '\n' || *p == '\r') {
      *p = ' ';
    }
  }
}

namespace {

// Features every engine shadowrr targets has (node 20+, bun, deno, Wasmtime),
// and that the transform itself needs (a second memory; bulk memory for the
// shadow's memory.copy/fill; SIMD for the full sync's compare). A module is
// never narrowed below this.
const FeatureSet kBaseFeatures = FeatureSet::SignExt | FeatureSet::MutableGlobals |
                                 FeatureSet::TruncSat | FeatureSet::SIMD |
                                 FeatureSet::BulkMemory | FeatureSet::BulkMemoryOpt |
                                 FeatureSet::Multivalue | FeatureSet::ReferenceTypes |
                                 FeatureSet::MultiMemory;

// Finds the proposals a module's code uses, so that the module keeps exactly
// its own features: later passes and binaryen's optimiser must not introduce
// instructions the engines running the module lack.
struct FeatureScanner
  : public PostWalker<FeatureScanner, UnifiedExpressionVisitor<FeatureScanner>> {
  FeatureSet used = FeatureSet::MVP;

  void noteType(Type type) {
    for (auto t : type) {
      if (t == Type::v128) {
        used |= FeatureSet::SIMD;
      }
      if (t.isRef() && !t.getHeapType().isBasic()) {
        used |= FeatureSet::GC;
      }
    }
  }

  void visitExpression(Expression* curr) {
    noteType(curr->type);
    switch (curr->_id) {
      case Expression::StoreId:
        noteType(curr->cast<Store>()->valueType);
        break;
      case Expression::AtomicRMWId:
      case Expression::AtomicCmpxchgId:
      case Expression::AtomicWaitId:
      case Expression::AtomicNotifyId:
      case Expression::AtomicFenceId:
        used |= FeatureSet::Atomics;
        break;
      case Expression::TryId:
      case Expression::TryTableId:
      case Expression::ThrowId:
      case Expression::RethrowId:
      case Expression::ThrowRefId:
        used |= FeatureSet::ExceptionHandling;
        break;
      case Expression::CallId:
        if (curr->cast<Call>()->isReturn) {
          used |= FeatureSet::TailCall;
        }
        break;
      case Expression::CallIndirectId:
        if (curr->cast<CallIndirect>()->isReturn) {
          used |= FeatureSet::TailCall;
        }
        break;
      case Expression::SIMDTernaryId:
        // Relaxed SIMD ops are ternaries or other SIMD shapes; detected by
        // validation below when the scan misses them.
        break;
      default:
        break;
    }
    if (auto* load = curr->dynCast<Load>()) {
      if (load->isAtomic()) {
        used |= FeatureSet::Atomics;
      }
    } else if (auto* store = curr->dynCast<Store>()) {
      if (store->isAtomic()) {
        used |= FeatureSet::Atomics;
      }
    }
  }
};

bool validatesWith(Module& wasm, FeatureSet features) {
  FeatureSet saved = wasm.features;
  wasm.features = features;
  // The validator prints its findings to std::cerr even when asked to be
  // quiet about some; keep them out of the user's terminal.
  std::stringstream sink;
  auto* old = std::cerr.rdbuf(sink.rdbuf());
  bool ok = WasmValidator().validate(wasm, WasmValidator::Globally | WasmValidator::Quiet);
  std::cerr.rdbuf(old);
  wasm.features = saved;
  return ok;
}

// Decides the module's features: the scan's findings, the target_features
// section, and the base set; then, if that does not validate (a proposal the
// scan does not know), whatever subset of "all" still validates.
FeatureSet detectFeatures(Module& wasm, FeatureSet sectionFeatures) {
  FeatureScanner scanner;
  for (auto& func : wasm.functions) {
    for (auto t : func->getParams()) {
      scanner.noteType(t);
    }
    for (auto t : func->getResults()) {
      scanner.noteType(t);
    }
    for (auto t : func->vars) {
      scanner.noteType(t);
    }
    if (!func->imported()) {
      scanner.walk(func->body);
    }
  }
  for (auto& global : wasm.globals) {
    scanner.noteType(global->type);
    if (!global->imported() && global->init) {
      scanner.walk(global->init);
    }
  }
  for (auto& memory : wasm.memories) {
    if (memory->shared) {
      scanner.used |= FeatureSet::Atomics;
    }
    if (memory->is64()) {
      scanner.used |= FeatureSet::Memory64;
    }
  }
  if (!wasm.tags.empty()) {
    scanner.used |= FeatureSet::ExceptionHandling;
  }
  FeatureSet guess = kBaseFeatures | scanner.used | sectionFeatures;
  if (validatesWith(wasm, guess)) {
    return guess;
  }
  // Narrow "all" one proposal at a time.
  FeatureSet features = FeatureSet::All;
  for (uint32_t bit = 1; bit < FeatureSet::All; bit <<= 1) {
    FeatureSet::Feature feature = FeatureSet::Feature(bit);
    if (kBaseFeatures.has(feature) || guess.has(feature)) {
      continue;
    }
    FeatureSet without = features;
    without.disable(feature);
    if (validatesWith(wasm, without)) {
      features = without;
    }
  }
  return features;
}

std::string firstValidationProblem(Module& wasm) {
  std::stringstream sink;
  auto* old = std::cerr.rdbuf(sink.rdbuf());
  bool ok = WasmValidator().validate(wasm, WasmValidator::Globally);
  std::cerr.rdbuf(old);
  if (ok) {
    return "";
  }
  // The validator prints "[wasm-validator error in function X] message, on"
  // followed by the offending expression; keep the first line.
  std::string line;
  while (std::getline(sink, line)) {
    if (line.find("error") != std::string::npos) {
      // Drop the dangling ", on" that introduces the printed expression.
      const std::string tail = ", on";
      while (!line.empty() && line.back() == ' ') {
        line.pop_back();
      }
      if (line.size() > tail.size() && line.compare(line.size() - tail.size(), tail.size(), tail) == 0) {
        line.resize(line.size() - tail.size());
      }
      return line;
    }
  }
  return "validation failed";
}

} // namespace

extern "C" {

srr_module* srr_module_parse(const uint8_t* bytes, size_t size, srr_error* err) {
  if (size == 0) {
    srr_set_error(err, "empty file, not a WebAssembly module");
    return nullptr;
  }
  auto* module = new (std::nothrow) srr_module();
  if (!module) {
    srr_set_error(err, "out of memory");
    return nullptr;
  }
  Module& wasm = module->wasm;
  srr_sha256(bytes, size, module->sha256);
  FeatureSet sectionFeatures = FeatureSet::MVP;
  static const uint8_t magic[4] = {0, 'a', 's', 'm'};
  bool binary = size >= 4 && memcmp(bytes, magic, 4) == 0;
  try {
    if (binary) {
      if (size < 8) {
        throw ParseException("truncated header (a module has at least 8 bytes)");
      }
      uint32_t version = bytes[4] | bytes[5] << 8 | bytes[6] << 16 | uint32_t(bytes[7]) << 24;
      if (version != 1) {
        // 0x1000d and friends are component-model binaries.
        throw ParseException(version == 0x1000d
                               ? std::string("a component, not a core module (components are not supported yet)")
                               : "unsupported binary version " + std::to_string(version));
      }
      std::vector<char> input(bytes, bytes + size);
      auto declared = srr::makeDeclaredSegmentsPassive(input);
      WasmBinaryReader reader(wasm, FeatureSet::All, input);
      reader.setDebugInfo(true);
      reader.read();
      sectionFeatures = reader.getFeaturesSectionFeatures();
      srr::dropDeclaredSegmentsAtStart(wasm, declared);
    } else {
      // Only accept text that looks like text: a binary with a damaged magic
      // number should say so, not produce a text-parser complaint.
      size_t i = 0;
      while (i < size && (bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\n' || bytes[i] == '\r')) {
        i++;
      }
      if (i == size || (bytes[i] != '(' && bytes[i] != ';')) {
        srr_set_error(err, "not a WebAssembly module (no \\0asm magic number, and not text)");
        delete module;
        return nullptr;
      }
      wasm.features = FeatureSet::All;
      std::string_view text(reinterpret_cast<const char*>(bytes), size);
      auto parsed = WATParser::parseModule(wasm, text);
      if (auto* e = parsed.getErr()) {
        throw ParseException(e->msg);
      }
    }
  } catch (ParseException& p) {
    std::string where;
    if (binary && p.col != size_t(-1)) {
      where = " (at byte " + std::to_string(p.col) + ")";
    } else if (p.line != size_t(-1)) {
      where = " (at " + std::to_string(p.line) + ":" + std::to_string(p.col) + ")";
    }
    srr_set_error(err, "malformed module: %s%s", p.text.c_str(), where.c_str());
    delete module;
    return nullptr;
  } catch (std::exception& e) {
    srr_set_error(err, "malformed module: %s", e.what());
    delete module;
    return nullptr;
  }
  // Keep binaryen from re-sorting types on write (the module stays as close to
  // its input as possible).
  wasm.typeIndices.clear();
  wasm.features = detectFeatures(wasm, sectionFeatures);
  return module;
}

void srr_module_free(srr_module* module) { delete module; }

int srr_module_check_supported(srr_module* module, srr_error* err) {
  Module& wasm = module->wasm;
  for (Index i = 0; i < wasm.memories.size(); i++) {
    auto& memory = wasm.memories[i];
    std::string what = "memory " + std::to_string(i) + " ($" + memory->name.toString() + ")";
    if (memory->shared) {
      srr_set_error(err, "unsupported: %s is shared (threads are not supported)", what.c_str());
      return 1;
    }
    if (memory->is64()) {
      srr_set_error(err, "unsupported: %s is a 64-bit memory (memory64 is not supported)", what.c_str());
      return 1;
    }
    if (memory->pageSizeLog2 != Memory::kDefaultPageSizeLog2) {
      srr_set_error(err, "unsupported: %s has a custom page size", what.c_str());
      return 1;
    }
  }
  return 0;
}

int srr_module_validate(srr_module* module, srr_error* err) {
  std::string problem = firstValidationProblem(module->wasm);
  if (!problem.empty()) {
    srr_set_error(err, "invalid module: %s", problem.c_str());
    return 1;
  }
  return 0;
}

int srr_module_write_binary(srr_module* module, uint8_t** out, size_t* size, srr_error* err) {
  try {
    BufferWithRandomAccess buffer;
    PassOptions options;
    options.debugInfo = true;
    WasmBinaryWriter writer(&module->wasm, buffer, options);
    writer.setNamesSection(true);
    writer.write();
    auto* bytes = static_cast<uint8_t*>(malloc(buffer.size() ? buffer.size() : 1));
    if (!bytes) {
      srr_set_error(err, "out of memory writing %zu bytes", buffer.size());
      return 1;
    }
    std::copy(buffer.begin(), buffer.end(), bytes);
    *out = bytes;
    *size = buffer.size();
    return 0;
  } catch (std::exception& e) {
    srr_set_error(err, "cannot write module: %s", e.what());
    return 1;
  }
}

char* srr_module_to_text(srr_module* module) {
  std::ostringstream os;
  os << module->wasm;
  std::string text = os.str();
  return strdup(text.c_str());
}

char* srr_module_features(srr_module* module, char* buf, size_t bufsize) {
  std::string names;
  module->wasm.features.iterFeatures([&](FeatureSet::Feature feature) {
    if (!names.empty()) {
      names += ' ';
    }
    names += FeatureSet::toString(feature);
  });
  snprintf(buf, bufsize, "%s", names.c_str());
  return buf;
}

void srr_module_sha256(srr_module* module, uint8_t digest[32]) { memcpy(digest, module->sha256, 32); }

uint32_t srr_module_memory_count(srr_module* module) {
  return static_cast<uint32_t>(module->wasm.memories.size());
}

} // extern "C"
