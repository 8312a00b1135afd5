// Evaluating operands once: the passes that instrument an instruction read
// its operands again, so they first move them into fresh locals.
#ifndef SHADOWRR_SPILL_H
#define SHADOWRR_SPILL_H

#include <vector>

#include "wasm-builder.h"
#include "wasm.h"

namespace srr {

// Operands into fresh locals of `func`, in order: `sets` gets the
// local.sets, the returned indexes read them.
inline std::vector<wasm::Index> spillToLocals(wasm::Function* func, wasm::Builder& builder,
                                              const std::vector<wasm::Expression*>& operands,
                                              std::vector<wasm::Expression*>& sets) {
  std::vector<wasm::Index> locals;
  for (wasm::Expression* operand : operands) {
    wasm::Index local = wasm::Builder::addVar(func, operand->type);
    sets.push_back(builder.makeLocalSet(local, operand));
    locals.push_back(local);
  }
  return locals;
}

} // namespace srr

#endif // SHADOWRR_SPILL_H
