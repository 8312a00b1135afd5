// merge-recorder: the recorder (runtime-support/recorder) merged into the
// application module (runtime_merge.h), with the bodies of its "shadowrr"
// imports (recorder_abi.h section 2): they reach the application's memories
// and their shadows with cross-memory memory.copy, and hold the trace header
// and path in passive data segments:
//
//  (func $srr$rt$srr_host_shadow_read (param $memory i32) (param $src i32) (param $dst i32) (param $size i32)
//   (if (i32.eq (local.get $memory) (i32.const 0))
//    (then (memory.copy $srr$rt$memory $m$shadow (local.get $dst)
//            (i32.add (local.get $src) (i32.const 2048)) (local.get $size)))))
//
// The recorder's WASI imports stay imports when the application imports WASI
// itself, else they are ENOSYS stubs and the trace is drained through exports.

#include "wasm-builder.h"
#include "wasm.h"

#include "merge_recorder.h"
#include "record_context.h"
#include "runtime_merge.h"

using namespace wasm;

namespace srr {

bool mergeRecorder(Module& app, RecordContext& context, const RecorderConfig& config, std::string& error) {
  // Every application memory (the host's writes are read from it), and the
  // shadows of those that have one.
  std::vector<std::pair<uint32_t, Name>> memories = context.allMemories(), shadows;
  for (const auto& pair : context.memories) {
    shadows.push_back({pair.index, pair.shadow});
  }
  MergedRuntime rt;
  bool wasi = importsWasi(app);
  auto resolve = [&](Function* func) -> Expression* {
    HostBodyBuilder host(app, rt.memory);
    Builder& b = host.builder;
    std::string name = func->base.toString();
    auto skewed = [&](Index local) {
      return b.makeBinary(AddInt32, host.param(local), host.i32(uint32_t(ShadowLayout::kShadowSkew)));
    };
    auto whole = [&](const char* root, const std::vector<char>& bytes) {
      return host.copySegment(host.segment(root, bytes), host.i32(0), host.i32(uint32_t(bytes.size())));
    };
    if (name == "srr_host_header_size") return host.i32(uint32_t(config.header.size()));
    if (name == "srr_host_header_copy") return whole("srr$trace-header", config.header);
    if (name == "srr_host_trace_path_size") return host.i32(uint32_t(config.tracePath.size()));
    if (name == "srr_host_trace_path_copy") {
      return whole("srr$trace-path", std::vector<char>(config.tracePath.begin(), config.tracePath.end()));
    }
    if (name == "srr_host_flags") return host.i32(config.flags);
    if (name == "srr_host_memory_count") return host.i32(uint32_t(context.allMemories().size()));
    if (name == "srr_host_wasi_memory") return wasi ? host.wasiMemoryIndex(memories) : host.i32(HostBodyBuilder::kNoMemory);
    if (name == "srr_host_memory_pages") {
      // An unknown memory index has 0 pages.
      Index result = Builder::addVar(func, Type::i32);
      return b.makeBlock({host.perIndex(memories, [&](Name m) { return b.makeLocalSet(result, b.makeMemorySize(m)); }),
                          b.makeLocalGet(result, Type::i32)},
                         Type::i32);
    }
    // (memory, app address, runtime address, size)
    if (name == "srr_host_app_read") {
      return host.perIndex(memories, [&](Name m) {
        return b.makeMemoryCopy(host.param(2), host.param(1), host.param(3), rt.memory, m);
      });
    }
    if (name == "srr_host_app_write") {
      return host.perIndex(memories, [&](Name m) {
        return b.makeMemoryCopy(host.param(1), host.param(2), host.param(3), m, rt.memory);
      });
    }
    if (name == "srr_host_shadowed") {
      Index result = Builder::addVar(func, Type::i32);
      return b.makeBlock({host.perIndex(shadows, [&](Name) { return b.makeLocalSet(result, host.i32(1)); }),
                          b.makeLocalGet(result, Type::i32)},
                         Type::i32);
    }
    if (name == "srr_host_shadow_read") {
      return host.perIndex(shadows, [&](Name s) {
        return b.makeMemoryCopy(host.param(2), skewed(1), host.param(3), rt.memory, s);
      });
    }
    if (name == "srr_host_shadow_write") {
      return host.perIndex(shadows, [&](Name s) {
        return b.makeMemoryCopy(skewed(1), host.param(2), host.param(3), s, rt.memory);
      });
    }
    return nullptr;
  };
  if (!mergeRuntime(app, config.recorderWasm, config.recorderWasmSize, "recorder", wasi, resolve, rt,
                    error)) {
    return false;
  }
  if (!findRuntimeFunctions(rt, "recorder",
                              {{"srr_rec_begin", &context.recBegin},
                               {"srr_rec_i32", &context.recI32},
                               {"srr_rec_i64", &context.recI64},
                               {"srr_rec_f32", &context.recF32},
                               {"srr_rec_f64", &context.recF64},
                               {"srr_rec_v128", &context.recV128},
                               {"srr_rec_end", &context.recEnd},
                               {"srr_rec_load_mismatch", &context.recLoadMismatch},
                               {"srr_rec_reconcile", &context.recReconcile},
                               {"srr_rec_reconcile_iovecs", &context.recReconcileIovecs},
                               {"srr_rec_overwritten", &context.recOverwritten},
                               {"srr_rec_reconcile_read", &context.recReconcileRead},
                               {"srr_rec_memory_grow", &context.recMemoryGrow},
                               {"srr_rec_host_memory_grow", &context.recHostMemoryGrow},
                               {"srr_rec_finish", &context.recFinish},
                               {"srr_rec_started", &context.recStarted},
                               {"srr_rec_host_table_set", &context.recHostTableSet},
                               {"srr_rec_host_table_grow", &context.recHostTableGrow},
                               {"srr_rec_environ_sizes_fixup", &context.recEnvironSizesFixup},
                               {"srr_rec_environ_prepare", &context.recEnvironPrepare},
                               {"srr_rec_environ_fixup", &context.recEnvironFixup},
                               {"srr_rec_hidden_fd", &context.recHiddenFd}},
                              error)) {
    return false;
  }
  // An embedder of a module without WASI (a reactor, say) ends the recording
  // itself: END is appended and the trace completed (recorder_abi.h §4).
  if (!app.getExportOrNull("shadowrr_finish")) {
    app.addExport(Builder::makeExport("shadowrr_finish", context.recFinish, ExternalKind::Function));
  }
  inlineGenerated(app, rt);
  return true;
}

} // namespace srr
