// Steps the record and replay transforms share: what belongs to the
// application before anything is added, and sending every use of an import
// to a generated function.
#ifndef SHADOWRR_MODULE_ITEMS_H
#define SHADOWRR_MODULE_ITEMS_H

#include <map>
#include <set>
#include <string>
#include <vector>

#include "wasm.h"

namespace srr {

// The application's own items, listed before a transform adds any.
struct AppItems {
  std::vector<wasm::Function*> functions; // defined
  std::vector<wasm::Function*> imports;   // in function-import order
  // Function exports (export name, function) whose calls a trace can hold,
  // numbered in this order in the trace: numbers and vectors, and funcref
  // and externref (by null-ness) unless the module inspects references
  // (inspectsReferences). An export left out is not wrapped: its calls are
  // not events.
  std::vector<std::pair<wasm::Name, wasm::Name>> exports;
};
AppItems collectAppItems(wasm::Module& wasm);

// Whether the module's code can learn more of a reference than whether it
// is null (casts, type tests, any.convert_extern): then a trace, which holds
// only that, cannot stand for the references the host passes.
bool inspectsReferences(wasm::Module& wasm);

// Whether calls of this signature can go into a trace (with `references`:
// funcref and externref too).
bool recordableSignature(wasm::Signature sig, bool references = false);

// Sends every use of each import (calls, ref.func, element segments, the
// start function, exports) to a new function name "<prefix><import name>",
// which the caller then defines; the imports keep their names. Refuses (false,
// `error` set) an import whose signature passes references, which a trace
// cannot hold. Returns the map import -> new name in `redirected`.
bool redirectImports(wasm::Module& wasm, const std::vector<wasm::Function*>& imports, const std::string& prefix,
                     std::map<wasm::Name, wasm::Name>& redirected, std::string& error);

// The function imports named "module.name" in `names` (`count` of them),
// added to `found`; false with `error` ("<what> M.N: the module has no such
// function import") for a name that matches none.
bool findNamedImports(const std::vector<wasm::Function*>& imports, const char* const* names, size_t count,
                      const char* what, std::set<wasm::Name>& found, std::string& error);

// After the functions behind some ref.func changed from imports (inexact
// types) to defined ones (exact types): gives every ref.func its type again.
void retypeRefFuncs(wasm::Module& wasm);

} // namespace srr

#endif // SHADOWRR_MODULE_ITEMS_H
