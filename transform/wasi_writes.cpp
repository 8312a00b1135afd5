// The table of WASI preview1 functions and the bytes each may write
// (wasi_writes.h). Left out, so checked generically: proc_exit (it does not
// return) and everything of wasi_unstable, whose layouts differ. args_get
// and environ_get write as much as the guest's last args_sizes_get and
// environ_sizes_get answered (after the recorder's SHADOWRR_TRACE fixup,
// which makes environ_get's answer match it).

#include <cstring>

#include "wasi_writes.h"

using namespace wasm;

namespace srr {

namespace {

struct WasiFunction {
  const char* name;
  const char* params; // one letter per parameter: i = i32, I = i64
  std::vector<WasiWrite> writes;
};

WasiWrite fixed(Index pointer, uint32_t bytes) { return {WasiWrite::Fixed, pointer, 0, bytes}; }
WasiWrite sized(Index pointer, Index size) { return {WasiWrite::Sized, pointer, size, 0}; }
WasiWrite iovecs(Index pointer, Index count, Index length) { return {WasiWrite::Iovecs, pointer, count, 0, length}; }
WasiWrite scaled(Index pointer, Index count, uint32_t bytes) { return {WasiWrite::Scaled, pointer, count, bytes}; }
WasiWrite listSizes(WasiList list) { return {WasiWrite::ListSizes, 0, 1, list}; }
WasiWrite list(WasiList list) { return {WasiWrite::List, 0, 1, list}; }

// Every function returns an errno (i32). Sizes from the preview1 witx:
// filestat 64, fdstat 24, prestat 8, timestamp/filesize 8, size/fd 4,
// event 32, roflags 2.
const std::vector<WasiFunction>& table() {
  static const std::vector<WasiFunction> functions = {
    {"args_get", "ii", {list(WasiArgs)}},
    {"args_sizes_get", "ii", {fixed(0, 4), fixed(1, 4), listSizes(WasiArgs)}},
    {"environ_get", "ii", {list(WasiEnviron)}},
    {"environ_sizes_get", "ii", {fixed(0, 4), fixed(1, 4), listSizes(WasiEnviron)}},
    {"clock_res_get", "ii", {fixed(1, 8)}},
    {"clock_time_get", "iIi", {fixed(2, 8)}},
    {"fd_advise", "iIIi", {}},
    {"fd_allocate", "iII", {}},
    {"fd_close", "i", {}},
    {"fd_datasync", "i", {}},
    {"fd_fdstat_get", "ii", {fixed(1, 24)}},
    {"fd_fdstat_set_flags", "ii", {}},
    {"fd_fdstat_set_rights", "iII", {}},
    {"fd_filestat_get", "ii", {fixed(1, 64)}},
    {"fd_filestat_set_size", "iI", {}},
    {"fd_filestat_set_times", "iIIi", {}},
    {"fd_pread", "iiiIi", {iovecs(1, 2, 4), fixed(4, 4)}},
    {"fd_prestat_get", "ii", {fixed(1, 8)}},
    {"fd_prestat_dir_name", "iii", {sized(1, 2)}},
    {"fd_pwrite", "iiiIi", {fixed(4, 4)}},
    {"fd_read", "iiii", {iovecs(1, 2, 3), fixed(3, 4)}},
    {"fd_readdir", "iiiIi", {sized(1, 2), fixed(4, 4)}},
    {"fd_renumber", "ii", {}},
    {"fd_seek", "iIii", {fixed(3, 8)}},
    {"fd_sync", "i", {}},
    {"fd_tell", "ii", {fixed(1, 8)}},
    {"fd_write", "iiii", {fixed(3, 4)}},
    {"path_create_directory", "iii", {}},
    {"path_filestat_get", "iiiii", {fixed(4, 64)}},
    {"path_filestat_set_times", "iiiiIIi", {}},
    {"path_link", "iiiiiii", {}},
    {"path_open", "iiiiiIIii", {fixed(8, 4)}},
    {"path_readlink", "iiiiii", {sized(3, 4), fixed(5, 4)}},
    {"path_remove_directory", "iii", {}},
    {"path_rename", "iiiiii", {}},
    {"path_symlink", "iiiii", {}},
    {"path_unlink_file", "iii", {}},
    {"poll_oneoff", "iiii", {scaled(1, 2, 32), fixed(3, 4)}},
    {"proc_raise", "i", {}},
    {"random_get", "ii", {sized(0, 1)}},
    {"sched_yield", "", {}},
    {"sock_accept", "iii", {fixed(2, 4)}},
    {"sock_recv", "iiiiii", {iovecs(1, 2, 4), fixed(4, 4), fixed(5, 2)}},
    {"sock_send", "iiiii", {fixed(4, 4)}},
    {"sock_shutdown", "ii", {}},
  };
  return functions;
}

bool hasParams(Signature sig, const char* params) {
  if (sig.results != Type::i32 || sig.params.size() != strlen(params)) {
    return false;
  }
  for (Index i = 0; i < sig.params.size(); i++) {
    if (sig.params[i] != (params[i] == 'I' ? Type::i64 : Type::i32)) {
      return false;
    }
  }
  return true;
}

} // namespace

bool knownWasiWrites(Function& import, std::vector<WasiWrite>& writes) {
  if (!import.imported() || import.module != "wasi_snapshot_preview1") {
    return false;
  }
  for (const auto& function : table()) {
    if (import.base == function.name) {
      if (!hasParams(import.getSig(), function.params)) {
        return false;
      }
      writes = function.writes;
      return true;
    }
  }
  return false;
}

} // namespace srr
