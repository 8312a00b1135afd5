// Merging a runtime module (the recorder or the replayer: C compiled to
// wasm32 with a memory of its own) into an application module, and the
// generated functions that answer its "shadowrr" imports.
#ifndef SHADOWRR_RUNTIME_MERGE_H
#define SHADOWRR_RUNTIME_MERGE_H

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "wasm-builder.h"
#include "wasm.h"

namespace srr {

struct MergedRuntime {
  wasm::Name memory;                          // the runtime's own memory
  std::map<std::string, wasm::Name> exports;  // its function exports -> internal names
  std::set<wasm::Name> generated;             // its resolved imports and stubs
};

// Copies the runtime in `bytes` into `app`, every item renamed with the
// prefix "srr$rt$". Its imports from "shadowrr" become defined functions
// whose bodies `resolveHost` gives (it may add locals to the function; a
// nullptr body is an error). Its WASI imports stay imports if `keepWasi`, or
// become stubs returning ENOSYS. Its exports named shadowrr_* become exports
// of `app`, and its memory is exported as "shadowrr_memory". `what` names the
// runtime in messages.
bool mergeRuntime(wasm::Module& app, const unsigned char* bytes, size_t size, const char* what, bool keepWasi,
                  const std::function<wasm::Expression*(wasm::Function*)>& resolveHost, MergedRuntime& out,
                  std::string& error);

// Inlines the runtime's generated functions (MergedRuntime::generated: its
// resolved imports and stubs) wherever they are called, and removes them; no
// other function is inlined, so the application's code is untouched. Call it
// once their bodies are final.
void inlineGenerated(wasm::Module& app, const MergedRuntime& runtime);

// Looks up the runtime's exported functions by name, failing with `error`
// if one is missing.
bool findRuntimeFunctions(const MergedRuntime& runtime, const char* what,
                          std::initializer_list<std::pair<const char*, wasm::Name*>> wanted, std::string& error);

// Whether the module imports WASI preview1 (or its older name).
bool importsWasi(const wasm::Module& wasm);

// Building blocks for the bodies of "shadowrr" functions: parameters are
// i32s read with param(i); `perIndex` emits one arm per application memory
// (or table: any numbered item) (if param 0 == index then ...).
struct HostBodyBuilder {
  wasm::Module& wasm;
  wasm::Builder builder;
  wasm::Name runtimeMemory;

  HostBodyBuilder(wasm::Module& wasm, wasm::Name runtimeMemory)
    : wasm(wasm), builder(wasm), runtimeMemory(runtimeMemory) {}

  wasm::Expression* i32(uint32_t v) { return builder.makeConst(wasm::Literal(int32_t(v))); }
  wasm::Expression* param(wasm::Index i, wasm::Type type = wasm::Type::i32) { return builder.makeLocalGet(i, type); }

  // A passive segment holding `bytes` (not dropped: it can be copied again),
  // and a memory.init of [offset, offset+size) of it into the runtime's
  // memory at param 0.
  wasm::Name segment(const std::string& root, const std::vector<char>& bytes);
  wasm::Expression* copySegment(wasm::Name segment, wasm::Expression* offset, wasm::Expression* size);

  // One arm per (index, memory or table): if (param 0 == index) body(name).
  wasm::Expression* perIndex(const std::vector<std::pair<uint32_t, wasm::Name>>& memories,
                              const std::function<wasm::Expression*(wasm::Name)>& body);

  // "No such memory", where a memory index is expected (recorder_abi.h).
  static constexpr uint32_t kNoMemory = 0xFFFFFFFFu;

  // The index of the memory exported as "memory" among `memories`, or
  // kNoMemory.
  wasm::Expression* wasiMemoryIndex(const std::vector<std::pair<uint32_t, wasm::Name>>& memories);
};

} // namespace srr

#endif // SHADOWRR_RUNTIME_MERGE_H
