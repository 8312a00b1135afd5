// The record transform: shadow memories, shadowed stores and loads, bulk
// memory, wrapped imports and exports, and the recorder merged in, applied in
// the order that keeps each step from seeing another's code:
//
//  1. the trace header is taken from the module as the user gave it;
//  2. shadow-memories adds the shadows (record_context.h says where a byte's
//     shadow is);
//  3. merge-recorder brings the recorder in (its functions must not be
//     instrumented, so the next steps work on lists taken before);
//  4. synced-versions gives code that cannot reach the host a copy that runs
//     unchecked while the memories equal their shadows; shadow-stores,
//     shadow-loads and shadow-bulk rewrite the application's own functions;
//  5. record-imports and record-exports wrap the application's imports and
//     exports.

#include <string>

#include "ir/module-utils.h"
#include "ir/names.h"
#include "pass.h"
#include "wasm-builder.h"
#include "wasm.h"

#include "merge_recorder.h"
#include "module_internal.h"
#include "module_items.h"
#include "record_context.h"
#include "recorder_blob.h"
#include "srr_trace.h"
#include "passes/record_events.h"
#include "trace_header.h"

using namespace wasm;

namespace {

// The tables the host can write (exported or imported) get shadow tables
// (shadow_tables.cpp) when their elements are funcref or externref: the
// host's writes are recorded by whether each element is null, and a call
// through a funcref table that reaches a host function leaves the memories
// unsynced. What a funcref table cannot record is which function an element
// is (funcrefs cannot be compared in wasm): README, "Known limits". A table
// of typed references has no shadow: refused if the host could write it
// while the guest runs (during an import call); a module without imports
// only runs host code between export calls.
bool checkTables(Module& wasm, std::string& error) {
  bool hasImports = false;
  for (auto& func : wasm.functions) {
    hasImports |= bool(func->imported());
  }
  auto shadowed = [&](Name table) { return srr::isTraceRef(wasm.getTable(table)->type); };
  for (auto& exp : wasm.exports) {
    if (exp->kind == ExternalKind::Table && hasImports && !shadowed(*exp->getInternalName())) {
      error = "unsupported: table \"" + exp->name.toString() +
              "\" is exported, and the host could write it during an import call; "
              "shadowrr cannot record table writes";
      return false;
    }
  }
  for (auto& table : wasm.tables) {
    if (table->imported() && hasImports && !shadowed(table->name)) {
      error = "unsupported: table " + table->module.toString() + "." + table->base.toString() +
              " is imported, and the host could write it during an import call; shadowrr cannot record table writes";
      return false;
    }
  }
  return true;
}

} // namespace

extern "C" int srr_instrument_record(srr_module* module, const srr_record_options* options, srr_error* err) {
  Module& wasm = module->wasm;
  try {
    std::string error;
    if (!checkTables(wasm, error)) {
      srr_set_error(err, "%s", error.c_str());
      return 1;
    }
    srr::AppItems app = srr::collectAppItems(wasm);

    srr::RecordContext context;
    context.hostWritesInCalls = options->host_writes_in_calls != 0;
    if (!srr::findNamedImports(app.imports, options->pure_imports, options->pure_import_count, "pure import",
                               context.pureImports, error)) {
      srr_set_error(err, "%s", error.c_str());
      return 1;
    }
    for (Function* import : app.imports) {
      context.functionImportsKnown &= srr::writesKnownOnReturn(context, *import);
    }
    context.importsKnown = context.functionImportsKnown;
    context.readsOnly = options->reads_only != 0;
    auto notKnown = [&](auto*) { context.importsKnown = false; };
    ModuleUtils::iterImportedMemories(wasm, notKnown);
    ModuleUtils::iterImportedTables(wasm, notKnown);
    ModuleUtils::iterImportedGlobals(wasm, notKnown);
    ModuleUtils::iterImportedTags(wasm, notKnown);
    srr::addShadowMemories(wasm, context);
    srr::addShadowGlobals(wasm, context);
    if (!srr::addShadowTables(wasm, context, error)) {
      srr_set_error(err, "%s", error.c_str());
      return 1;
    }
    srr::RecorderConfig config;
    config.recorderWasm = srr_recorder_wasm;
    config.recorderWasmSize = srr_recorder_wasm_size;
    std::vector<std::pair<uint32_t, Name>> memories = context.allMemories();
    config.header = srr::buildTraceHeader(wasm, module->sha256, options->module_name, memories,
                                          srr::hostChangeableGlobals(wasm), options->durable ? SRR_FLAG_DURABLE : 0);
    config.tracePath = options->trace_path ? options->trace_path : "trace.srr";
    config.flags = options->durable ? SRR_FLAG_DURABLE : 0;
    if (!srr::mergeRecorder(wasm, context, config, error)) {
      srr_set_error(err, "%s", error.c_str());
      return 1;
    }
    if (!options->reads_only) {
      srr::addSyncState(wasm, context);
      srr::addSyncedVersions(wasm, context, app.functions);
    }
    srr::addTableHelpers(wasm, context);
    srr::addGuestEntryMarks(wasm, context, app.functions);
    srr::addDeferredShadowWrites(wasm, context);
    srr::addLoadMismatchHelpers(wasm, context);
    PassRunner runner(&wasm);
    runner.add(srr::createShadowStoresPass(&context));
    runner.add(srr::createShadowLoadsPass(&context));
    runner.add(srr::createShadowBulkPass(&context));
    runner.add(srr::createShadowGlobalSetsPass(&context));
    runner.add(srr::createShadowTablesPass(&context));
    for (Function* func : app.functions) {
      runner.runOnFunction(func);
    }
    Name boundary = srr::addBoundaryCheck(wasm, context);
    // Before the imports are wrapped: a start function that is an import is
    // then called through its wrapper.
    srr::addShadowInit(wasm, context);
    if (!srr::wrapImports(wasm, context, app.imports, boundary, error) ||
        !srr::wrapExports(wasm, context, app.exports, boundary, error)) {
      srr_set_error(err, "%s", error.c_str());
      return 1;
    }
    // The recorder learns when instantiation is over (srr_rec_started):
    // the last thing the start function does.
    // With host_writes_in_calls, the guest's own run of instantiation ends
    // there too (record_exports.cpp).
    Builder builder(wasm);
    std::vector<Expression*> startBody;
    if (wasm.start.is()) {
      startBody.push_back(builder.makeCall(wasm.start, {}, Type::none));
    }
    if (context.flushStale.is()) { // the host runs next (deferred_shadow_writes.cpp)
      startBody.push_back(builder.makeCall(context.flushStale, {}, Type::none));
    }
    startBody.push_back(builder.makeCall(context.recStarted, {}, Type::none));
    if (context.guestDepth.is()) {
      startBody.push_back(builder.makeGlobalSet(context.guestDepth, builder.makeConst(Literal(int32_t(0)))));
    }
    Name start = Names::getValidFunctionName(wasm, "srr$start");
    wasm.addFunction(builder.makeFunction(start, Signature(Type::none, Type::none), {}, builder.makeBlock(startBody)));
    wasm.start = start;
  } catch (std::exception& e) {
    srr_set_error(err, "record transform failed: %s", e.what());
    return 1;
  }
  return 0;
}

namespace {

// Stand-ins for the recorder's functions, as imports from "recorder", so one
// pass can be shown alone (srr_record_pass_preview).
void addRecorderStubs(Module& wasm, srr::RecordContext& context) {
  Builder builder(wasm);
  auto stub = [&](const char* name, std::vector<Type> params, Name& out) {
    out = Names::getValidFunctionName(wasm, name);
    auto func = Builder::makeFunction(out, Type(Signature(Type(params), Type::none), NonNullable, Inexact), {});
    func->module = "recorder";
    func->base = name;
    wasm.addFunction(std::move(func));
  };
  stub("srr_rec_begin", {Type::i32, Type::i32, Type::i32}, context.recBegin);
  stub("srr_rec_i32", {Type::i32}, context.recI32);
  stub("srr_rec_i64", {Type::i64}, context.recI64);
  stub("srr_rec_f32", {Type::f32}, context.recF32);
  stub("srr_rec_f64", {Type::f64}, context.recF64);
  stub("srr_rec_v128", {Type::i64, Type::i64}, context.recV128);
  stub("srr_rec_end", {}, context.recEnd);
  stub("srr_rec_load_mismatch", {Type::i32, Type::i32, Type::i32}, context.recLoadMismatch);
  stub("srr_rec_reconcile", {Type::i32, Type::i32, Type::i32}, context.recReconcile);
  stub("srr_rec_memory_grow", {Type::i32, Type::i32, Type::i32}, context.recMemoryGrow);
  stub("srr_rec_host_memory_grow", {Type::i32, Type::i32}, context.recHostMemoryGrow);
  stub("srr_rec_finish", {}, context.recFinish);
  if (!context.tables.empty()) { // (only then: the other previews stay as they are)
    stub("srr_rec_host_table_set", {Type::i32, Type::i32, Type::i32}, context.recHostTableSet);
    stub("srr_rec_host_table_grow", {Type::i32, Type::i32}, context.recHostTableGrow);
  }
}

} // namespace

extern "C" int srr_record_pass_preview(srr_module* module, const char* pass, srr_error* err) {
  Module& wasm = module->wasm;
  std::string name = pass;
  srr::AppItems app = srr::collectAppItems(wasm);
  srr::RecordContext context;
  srr::addShadowMemories(wasm, context);
  srr::addShadowGlobals(wasm, context);
  std::string error;
  if (!srr::addShadowTables(wasm, context, error)) {
    srr_set_error(err, "%s", error.c_str());
    return 1;
  }
  addRecorderStubs(wasm, context);
  srr::addTableHelpers(wasm, context);
  if (name == "shadow-memories") {
    srr::addShadowInit(wasm, context);
    return 0;
  }
  if (name == "synced-versions") {
    srr::addSyncState(wasm, context);
    std::vector<Function*> functions = app.functions;
    srr::addSyncedVersions(wasm, context, functions);
    return 0;
  }
  if (name == "shadow-globals") {
    PassRunner runner(&wasm);
    runner.add(srr::createShadowGlobalSetsPass(&context));
    for (Function* func : app.functions) {
      runner.runOnFunction(func);
    }
    srr::addBoundaryCheck(wasm, context);
    return 0;
  }
  if (name == "shadow-stores" || name == "shadow-loads" || name == "shadow-bulk" || name == "shadow-tables") {
    if (name == "shadow-loads") {
      srr::addLoadMismatchHelpers(wasm, context);
    }
    PassRunner runner(&wasm);
    runner.add(name == "shadow-stores"   ? srr::createShadowStoresPass(&context)
               : name == "shadow-loads"  ? srr::createShadowLoadsPass(&context)
               : name == "shadow-tables" ? srr::createShadowTablesPass(&context)
                                         : srr::createShadowBulkPass(&context));
    for (Function* func : app.functions) {
      runner.runOnFunction(func);
    }
    return 0;
  }
  Name boundary = srr::addBoundaryCheck(wasm, context);
  if (name == "record-imports" && srr::wrapImports(wasm, context, app.imports, boundary, error)) {
    return 0;
  }
  if (name == "record-exports" && srr::wrapExports(wasm, context, app.exports, boundary, error)) {
    return 0;
  }
  srr_set_error(err, "%s", error.empty() ? ("no such pass: " + name).c_str() : error.c_str());
  return 1;
}
