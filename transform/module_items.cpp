#include "ir/module-utils.h"
#include "ir/names.h"
#include "pass.h"
#include "wasm-traversal.h"

#include "module_items.h"
#include "passes/record_events.h"

using namespace wasm;

namespace srr {

AppItems collectAppItems(Module& wasm) {
  AppItems items;
  for (auto& func : wasm.functions) {
    (func->imported() ? items.imports : items.functions).push_back(func.get());
  }
  for (auto& exp : wasm.exports) {
    if (exp->kind == ExternalKind::Function &&
        recordableSignature(wasm.getFunction(*exp->getInternalName())->getSig())) {
      items.exports.push_back({exp->name, *exp->getInternalName()});
    }
  }
  return items;
}

bool recordableSignature(Signature sig) { return recordable(sig.params) && recordable(sig.results); }

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

} // namespace srr
