// Import wrappers shared by imports of one signature (shared_wrappers.cpp):
// the record transform's wrappers (record_imports.cpp) and the replay
// transform's stubs (replay.cpp) are written once, as a function of which
// import they stand for, and defined through defineImportWrappers.
#ifndef SHADOWRR_SHARED_WRAPPERS_H
#define SHADOWRR_SHARED_WRAPPERS_H

#include <functional>
#include <map>
#include <set>
#include <vector>

#include "wasm.h"

namespace srr {

// Where a wrapper's body is being built.
struct WrapperSite {
  // The import (of a shared wrapper: the group's first, which is like the
  // others but for its number and itself).
  wasm::Function* import;
  // A new i32 expression giving the import's number in the trace (a
  // constant, or the shared wrapper's last parameter); cheap to repeat.
  std::function<wasm::Expression*()> index;
  // A new call of the import itself (for a shared wrapper: of whichever
  // import the caller named) with these arguments, of the signature's
  // results.
  std::function<wasm::Expression*(std::vector<wasm::Expression*>)> callImport;
  // The wrapper's first local after its parameters.
  wasm::Index firstVar;
};

// Builds a wrapper's body at `site`, adding the types of the locals it uses
// from site.firstVar on to `vars`.
using WrapperBody = std::function<wasm::Expression*(const WrapperSite& site, std::vector<wasm::Type>& vars)>;

// An import to wrap: its number in the trace, the import and the name its
// uses were redirected to (redirectImports).
struct WrappedImport {
  uint32_t index;
  wasm::Function* import;
  wasm::Name wrapper;
};

// `imports` (numbered in this order, wrapped as `wrapperOf` says) in groups
// for defineImportWrappers: imports of one signature and one `kind` share a
// group; an import whose kind is -1 has a group of its own.
std::vector<std::vector<WrappedImport>> groupImports(const std::vector<wasm::Function*>& imports,
                                                     const std::map<wasm::Name, wasm::Name>& wrapperOf,
                                                     const std::function<int(wasm::Function*)>& kind);

// Defines the wrapper of every import in `groups` with the body `makeBody`
// builds. The imports of one group must have one signature and wrappers that
// differ only in their number and the import they call. A group of one gets
// its own wrapper. A larger group gets one shared wrapper (named
// `sharedName`), taking the import's number as an extra last parameter, and
// every direct call of its imports' wrappers in the module calls the shared
// one instead; each import's own wrapper stays, forwarding to it, for calls
// through tables, ref.func and exports. Run it after the module's code is in
// place: a later direct call of a wrapper still works, without the sharing.
// Returns the names of the functions it defined (wrappers and shared ones).
std::set<wasm::Name> defineImportWrappers(wasm::Module& wasm, const std::vector<std::vector<WrappedImport>>& groups,
                          const std::string& sharedName, const WrapperBody& makeBody);

} // namespace srr

#endif // SHADOWRR_SHARED_WRAPPERS_H
