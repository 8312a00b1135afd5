// What a WASI preview1 import may write into the guest's memory (the one
// exported as "memory"), as the preview1 specification defines it: the
// record transform reconciles exactly these bytes when the import returns,
// and needs no generic check for them (synced_versions.cpp).
#ifndef SHADOWRR_WASI_WRITES_H
#define SHADOWRR_WASI_WRITES_H

#include <cstdint>
#include <vector>

#include "wasm.h"

namespace srr {

struct WasiWrite {
  enum Kind {
    Fixed,  // `bytes` bytes at argument `pointer`
    Sized,  // argument `size` bytes at argument `pointer`
    Iovecs, // the buffers of the iovec array at `pointer`, `size` entries
    Scaled, // argument `size` times `bytes` bytes at argument `pointer`
    // args_sizes_get / environ_sizes_get: the count (at argument `pointer`)
    // and the strings' bytes (at argument `size`) of list `bytes` (a
    // WasiList), which the matching *_get writes.
    ListSizes,
    // args_get / environ_get: the list's pointers (4 bytes each) at argument
    // `pointer`, its strings at argument `size`, as many as the last
    // ListSizes answer of list `bytes` gave.
    List,
  };
  Kind kind;
  wasm::Index pointer;
  wasm::Index size;
  uint32_t bytes;
  // Iovecs of a read: the argument that points to where the call puts the
  // number of bytes it read (kNoLength: none).
  static constexpr wasm::Index kNoLength = ~wasm::Index(0);
  wasm::Index length = kNoLength;
};

// The lists a *_sizes_get call announces (WasiWrite::ListSizes, List).
enum WasiList : uint32_t { WasiArgs = 0, WasiEnviron = 1 };

// The writes of `import` if it is a wasi_snapshot_preview1 function with its
// standard signature whose writes are known exactly (true; `writes` may be
// empty: it writes nothing); false for any other import, whose writes must
// be found by the generic checks.
bool knownWasiWrites(wasm::Function& import, std::vector<WasiWrite>& writes);

} // namespace srr

#endif // SHADOWRR_WASI_WRITES_H
