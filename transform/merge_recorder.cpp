// merge-recorder: brings the recorder (runtime-support/recorder, C compiled to
// wasm32 with its own memory) into the application module, and gives it what
// it imports (runtime-support/recorder/recorder_abi.h):
//
//  - every item of the recorder is renamed with the prefix "srr$rt$", then
//    copied in; its memory becomes one more memory of the module, so the
//    guest's memory layout is untouched;
//  - its imports from "shadowrr" become functions generated here, which reach
//    the application's memories and their shadows with cross-memory
//    memory.copy, and hold the trace header and path in passive data
//    segments:
//
//     (func $srr$rt$srr_host_shadow_read (param $memory i32) (param $src i32) (param $dst i32) (param $size i32)
//      (if (i32.eq (local.get $memory) (i32.const 0))
//       (then (memory.copy $srr$rt$memory $m$shadow (local.get $dst)
//               (i32.add (local.get $src) (i32.const 2048)) (local.get $size)))))
//
//  - its WASI imports stay imports when the application imports WASI itself
//    (the host then serves both; the recorder's calls are not guest events),
//    and otherwise become stubs returning ENOSYS, so that a module that
//    imports nothing still imports nothing;
//  - its exports named shadowrr_* become exports of the module.

#include <map>

#include "ir/module-utils.h"
#include "ir/names.h"
#include "wasm-binary.h"
#include "wasm-builder.h"
#include "wasm.h"

#include "merge_recorder.h"
#include "record_context.h"

using namespace wasm;

namespace srr {

namespace {

const char* const kPrefix = "srr$rt$";

Name prefixed(Name name) { return Name(std::string(kPrefix) + name.toString()); }

// Renames every item of a module and every use of it.
void prefixAllNames(Module& rs) {
  struct Renamer : public WalkerPass<PostWalker<Renamer, UnifiedExpressionVisitor<Renamer>>> {
    void visitExpression(Expression* curr) {
#define DELEGATE_ID curr->_id
#define DELEGATE_START(id) [[maybe_unused]] auto* cast = curr->cast<id>();
#define DELEGATE_GET_FIELD(id, field) cast->field
#define DELEGATE_FIELD_TYPE(id, field)
#define DELEGATE_FIELD_HEAPTYPE(id, field)
#define DELEGATE_FIELD_CHILD(id, field)
#define DELEGATE_FIELD_OPTIONAL_CHILD(id, field)
#define DELEGATE_FIELD_INT(id, field)
#define DELEGATE_FIELD_LITERAL(id, field)
#define DELEGATE_FIELD_NAME(id, field)
#define DELEGATE_FIELD_SCOPE_NAME_DEF(id, field)
#define DELEGATE_FIELD_SCOPE_NAME_USE(id, field)
#define DELEGATE_FIELD_ADDRESS(id, field)
#define DELEGATE_FIELD_NAME_KIND(id, field, kind)                                                         \
  if (cast->field.is()) {                                                                                 \
    cast->field = prefixed(cast->field);                                                                  \
  }
#include "wasm-delegations-fields.def"
    }
  };
  for (auto& f : rs.functions) f->name = prefixed(f->name);
  for (auto& g : rs.globals) g->name = prefixed(g->name);
  for (auto& m : rs.memories) m->name = prefixed(m->name);
  for (auto& t : rs.tables) t->name = prefixed(t->name);
  for (auto& t : rs.tags) t->name = prefixed(t->name);
  for (auto& d : rs.dataSegments) {
    d->name = prefixed(d->name);
    if (d->memory.is()) d->memory = prefixed(d->memory);
  }
  for (auto& e : rs.elementSegments) {
    e->name = prefixed(e->name);
    if (e->table.is()) e->table = prefixed(e->table);
  }
  for (auto& exp : rs.exports) {
    if (auto* internal = exp->getInternalName()) {
      *internal = prefixed(*internal);
    }
  }
  if (rs.start.is()) {
    rs.start = prefixed(rs.start);
  }
  rs.updateMaps();
  Renamer renamer;
  PassRunner runner(&rs);
  renamer.run(&runner, &rs);
  renamer.runOnModuleCode(&runner, &rs);
}

// Builds the bodies of the recorder's "shadowrr" imports.
struct HostFunctions {
  Module& wasm;
  const RecordContext& context;
  Name rsMemory;
  Builder builder;

  HostFunctions(Module& wasm, const RecordContext& context, Name rsMemory)
    : wasm(wasm), context(context), rsMemory(rsMemory), builder(wasm) {}

  Expression* i32(uint32_t v) { return builder.makeConst(Literal(int32_t(v))); }
  Expression* param(Index i) { return builder.makeLocalGet(i, Type::i32); }

  // A passive segment holding `bytes`, and the (size, copy) pair for it.
  Name segment(const std::string& root, const std::vector<char>& bytes) {
    auto seg = std::make_unique<DataSegment>();
    seg->name = Names::getValidDataSegmentName(wasm, root);
    // No memory: a passive segment.
    seg->data = bytes;
    Name name = seg->name;
    wasm.addDataSegment(std::move(seg));
    return name;
  }
  Expression* copySegment(Name seg, size_t size) {
    // (memory.init $seg $rs (param 0) 0 size): not dropped, so it can be
    // copied again.
    return builder.makeMemoryInit(seg, param(0), i32(0), i32(uint32_t(size)), rsMemory);
  }

  // One arm per application memory: if (param 0 == index) body(pair).
  template<typename F> Expression* perMemory(F body) {
    std::vector<Expression*> arms;
    for (const auto& pair : context.memories) {
      arms.push_back(builder.makeIf(builder.makeBinary(EqInt32, param(0), i32(pair.index)), body(pair)));
    }
    return arms.empty() ? static_cast<Expression*>(builder.makeNop()) : builder.makeBlock(arms);
  }
  Expression* skewed(Index local) {
    return builder.makeBinary(AddInt32, param(local), i32(uint32_t(ShadowLayout::kShadowSkew)));
  }

  // The body for import `base`, or nullptr if the ABI has no such function.
  Expression* bodyFor(Name base, const RecorderConfig& config) {
    std::string name = base.toString();
    if (name == "srr_host_header_size") {
      return i32(uint32_t(config.header.size()));
    }
    if (name == "srr_host_header_copy") {
      return copySegment(segment("srr$trace-header", config.header), config.header.size());
    }
    if (name == "srr_host_trace_path_size") {
      return i32(uint32_t(config.tracePath.size()));
    }
    if (name == "srr_host_trace_path_copy") {
      std::vector<char> path(config.tracePath.begin(), config.tracePath.end());
      return copySegment(segment("srr$trace-path", path), path.size());
    }
    if (name == "srr_host_flags") {
      return i32(config.flags);
    }
    if (name == "srr_host_memory_count") {
      return i32(uint32_t(context.memories.size()));
    }
    if (name == "srr_host_wasi_memory") {
      for (auto& exp : wasm.exports) {
        if (exp->kind == ExternalKind::Memory && exp->name == "memory" && context.isShadowed(*exp->getInternalName())) {
          return i32(context.pairOf(*exp->getInternalName()).index);
        }
      }
      return i32(0xFFFFFFFFu);
    }
    if (name == "srr_host_memory_pages") {
      // Unknown memory index: 0 pages.
      Index result = 1;
      return builder.makeBlock(
        {perMemory([&](const RecordContext::MemoryPair& pair) {
           return builder.makeLocalSet(result, builder.makeMemorySize(pair.memory));
         }),
         builder.makeLocalGet(result, Type::i32)},
        Type::i32);
    }
    // (memory, app address, rs address, size)
    if (name == "srr_host_app_read") {
      return perMemory([&](const RecordContext::MemoryPair& pair) {
        return builder.makeMemoryCopy(param(2), param(1), param(3), rsMemory, pair.memory);
      });
    }
    if (name == "srr_host_app_write") {
      return perMemory([&](const RecordContext::MemoryPair& pair) {
        return builder.makeMemoryCopy(param(1), param(2), param(3), pair.memory, rsMemory);
      });
    }
    if (name == "srr_host_shadow_read") {
      return perMemory([&](const RecordContext::MemoryPair& pair) {
        return builder.makeMemoryCopy(param(2), skewed(1), param(3), rsMemory, pair.shadow);
      });
    }
    if (name == "srr_host_shadow_write") {
      return perMemory([&](const RecordContext::MemoryPair& pair) {
        return builder.makeMemoryCopy(skewed(1), param(2), param(3), pair.shadow, rsMemory);
      });
    }
    return nullptr;
  }
};

// Turns an imported function into a defined one with `body` (defined
// functions have exact types, imports inexact ones).
void makeDefined(Function* func, Expression* body) {
  func->module = func->base = Name();
  func->type = Type(func->type.getHeapType(), NonNullable, Exact);
  func->body = body;
}

bool importsWasi(const Module& wasm) {
  for (auto& func : wasm.functions) {
    if (func->imported() && (func->module == "wasi_snapshot_preview1" || func->module == "wasi_unstable")) {
      return true;
    }
  }
  return false;
}

} // namespace

bool mergeRecorder(Module& app, RecordContext& context, const RecorderConfig& config, std::string& error) {
  Module rs;
  try {
    std::vector<char> input(config.recorderWasm, config.recorderWasm + config.recorderWasmSize);
    WasmBinaryReader reader(rs, FeatureSet::All, input);
    reader.read();
  } catch (ParseException& p) {
    error = "internal error: the embedded recorder does not parse: " + p.text;
    return false;
  }
  if (rs.memories.size() != 1) {
    error = "internal error: the embedded recorder must have exactly one memory";
    return false;
  }
  // Names in the application that already use the prefix would collide.
  for (auto& f : app.functions) {
    if (f->name.startsWith(std::string_view(kPrefix))) {
      error = "unsupported: the module already has a function named $" + f->name.toString() +
              " (was it instrumented before?)";
      return false;
    }
  }
  prefixAllNames(rs);
  Name rsMemory = rs.memories[0]->name;

  // Find the recorder's functions by their export names before dropping its
  // exports.
  std::map<std::string, Name> exported;
  for (auto& exp : rs.exports) {
    if (exp->kind == ExternalKind::Function) {
      exported[exp->name.toString()] = *exp->getInternalName();
    }
  }
  auto need = [&](const char* name, Name& out) {
    auto it = exported.find(name);
    if (it == exported.end()) {
      error = std::string("internal error: the embedded recorder does not export ") + name;
      return false;
    }
    out = it->second;
    return true;
  };
  if (!need("srr_rec_begin", context.recBegin) || !need("srr_rec_i32", context.recI32) ||
      !need("srr_rec_i64", context.recI64) || !need("srr_rec_f32", context.recF32) ||
      !need("srr_rec_f64", context.recF64) || !need("srr_rec_v128", context.recV128) ||
      !need("srr_rec_end", context.recEnd) || !need("srr_rec_load_mismatch", context.recLoadMismatch) ||
      !need("srr_rec_reconcile", context.recReconcile) || !need("srr_rec_memory_grow", context.recMemoryGrow) ||
      !need("srr_rec_host_memory_grow", context.recHostMemoryGrow) || !need("srr_rec_finish", context.recFinish)) {
    return false;
  }

  bool keepWasi = importsWasi(app);
  ModuleUtils::copyModuleItems(rs, app);

  // Resolve the recorder's imports, now functions of the application.
  HostFunctions host(app, context, rsMemory);
  Builder builder(app);
  for (auto& rsFunc : rs.functions) {
    if (!rsFunc->imported()) {
      continue;
    }
    Function* func = app.getFunction(rsFunc->name);
    if (func->module == "shadowrr") {
      Expression* body = host.bodyFor(func->base, config);
      if (!body) {
        error = "internal error: the recorder imports unknown shadowrr." + func->base.toString();
        return false;
      }
      if (func->base == "srr_host_memory_pages") {
        func->vars.push_back(Type::i32);
      }
      makeDefined(func, body);
    } else if (func->module == "wasi_snapshot_preview1") {
      if (!keepWasi) {
        // ENOSYS: the recorder then keeps the trace for the drain exports.
        makeDefined(func, builder.makeConst(Literal(int32_t(52))));
      }
    } else {
      error = "internal error: the recorder imports " + func->module.toString() + "." + func->base.toString();
      return false;
    }
  }

  for (auto& exp : rs.exports) {
    if (exp->kind == ExternalKind::Function && exp->name.startsWith(std::string_view("shadowrr_"))) {
      if (app.getExportOrNull(exp->name)) {
        error = "unsupported: the module already exports \"" + exp->name.toString() + "\" (was it instrumented before?)";
        return false;
      }
      app.addExport(Builder::makeExport(exp->name, *exp->getInternalName(), ExternalKind::Function));
    }
  }
  if (!app.getExportOrNull("shadowrr_memory")) {
    app.addExport(Builder::makeExport("shadowrr_memory", rsMemory, ExternalKind::Memory));
  }
  return true;
}

} // namespace srr
