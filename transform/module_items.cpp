#include "ir/module-utils.h"
#include "ir/names.h"
#include "pass.h"
#include "wasm-traversal.h"

#include "module_items.h"
#include "passes/record_events.h"

using namespace wasm;

namespace srr {

namespace {

// Finds code that learns more of a reference than whether it is null: a
// cast or type test (of a funcref: its function's type), and
// any.convert_extern (which makes a host value inspectable). Without them
// (the reference-types proposal alone), a guest can only store, pass on,
// call (a funcref) and test for null the references it is given.
struct ReferenceInspection : public PostWalker<ReferenceInspection> {
  bool found = false;
  void visitRefTest(RefTest*) { found = true; }
  void visitRefCast(RefCast*) { found = true; }
  void visitBrOn(BrOn* curr) { found |= curr->op != BrOnNull && curr->op != BrOnNonNull; }
  void visitRefAs(RefAs* curr) { found |= curr->op == AnyConvertExtern; }
};

} // namespace

bool inspectsReferences(Module& wasm) {
  ReferenceInspection scan;
  for (auto& func : wasm.functions) {
    if (!func->imported()) {
      scan.walkFunctionInModule(func.get(), &wasm);
    }
  }
  scan.walkModuleCode(&wasm);
  return scan.found;
}

AppItems collectAppItems(Module& wasm) {
  AppItems items;
  for (auto& func : wasm.functions) {
    (func->imported() ? items.imports : items.functions).push_back(func.get());
  }
  bool references = !inspectsReferences(wasm);
  for (auto& exp : wasm.exports) {
    if (exp->kind == ExternalKind::Function &&
        recordableSignature(wasm.getFunction(*exp->getInternalName())->getSig(), references)) {
      items.exports.push_back({exp->name, *exp->getInternalName()});
    }
  }
  return items;
}

bool recordableSignature(Signature sig, bool references) {
  return recordable(sig.params, references) && recordable(sig.results, references);
}

bool redirectImports(Module& wasm, const std::vector<Function*>& imports, const std::string& prefix,
                     std::map<Name, Name>& redirected, std::string& error) {
  for (Function* import : imports) {
    if (!recordable(import->getParams()) || !recordable(import->getResults())) {
      error = "unsupported: import " + import->module.toString() + "." + import->base.toString() +
              " passes references, which a trace cannot hold";
      return false;
    }
    redirected[import->name] = Names::getValidFunctionName(wasm, prefix + import->name.toString());
  }
  // renameFunctions renames the functions themselves too: give the imports
  // their names back afterwards.
  ModuleUtils::renameFunctions(wasm, redirected);
  for (Function* import : imports) {
    for (auto& [original, replacement] : redirected) {
      if (import->name == replacement) {
        import->name = original;
      }
    }
  }
  wasm.updateMaps();
  for (auto& exp : wasm.exports) {
    if (exp->kind == ExternalKind::Function) {
      if (auto it = redirected.find(*exp->getInternalName()); it != redirected.end()) {
        *exp->getInternalName() = it->second;
      }
    }
  }
  return true;
}

void retypeRefFuncs(Module& wasm) {
  struct Retype : public WalkerPass<PostWalker<Retype>> {
    void visitRefFunc(RefFunc* curr) { curr->finalize(*getModule()); }
  } retype;
  PassRunner runner(&wasm);
  retype.run(&runner, &wasm); // not function-parallel: functions and module code
}

bool findNamedImports(const std::vector<Function*>& imports, const char* const* names, size_t count, const char* what,
                      std::set<Name>& found, std::string& error) {
  for (size_t i = 0; i < count; i++) {
    std::string wanted = names[i];
    bool matched = false;
    for (Function* import : imports) {
      if (import->module.toString() + "." + import->base.toString() == wanted) {
        found.insert(import->name);
        matched = true;
      }
    }
    if (!matched) {
      error = std::string(what) + " " + wanted + ": the module has no such function import";
      return false;
    }
  }
  return true;
}

} // namespace srr
