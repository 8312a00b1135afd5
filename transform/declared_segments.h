// Declarative element segments through binaryen's reader: see
// declared_segments.cpp for why and how.
#ifndef SHADOWRR_DECLARED_SEGMENTS_H
#define SHADOWRR_DECLARED_SEGMENTS_H

#include <cstdint>
#include <vector>

#include "wasm.h"

namespace srr {

// Rewrites the flags of every declarative element segment in a module binary
// to "passive", in place, and returns their indexes. Leaves the bytes as they
// were (and returns nothing) if the element section is absent or not
// understood.
std::vector<uint32_t> makeDeclaredSegmentsPassive(std::vector<char>& bytes);

// Adds a start function that drops those segments (then calls the previous
// start function), which makes them behave as declarative segments do.
void dropDeclaredSegmentsAtStart(wasm::Module& wasm, const std::vector<uint32_t>& declared);

} // namespace srr

#endif // SHADOWRR_DECLARED_SEGMENTS_H
