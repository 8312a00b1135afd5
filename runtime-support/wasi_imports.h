/*
 * wasi_imports.h: the imports the two wasm32 runtimes (recorder.c and
 * replayer.c, freestanding) share: the host functions both ABIs define
 * (module "shadowrr", recorder_abi.h / replayer_abi.h section 2), the WASI
 * preview1 calls they make (section 3), and the WASI constants they use.
 * An import declared here and not called by a runtime is not imported by it.
 * Each runtime's own host imports are in its *_imports.h, which includes
 * this. Internal to runtime-support/.
 */
#ifndef SHADOWRR_WASI_IMPORTS_H
#define SHADOWRR_WASI_IMPORTS_H

#include <stdint.h>

/* ---- "shadowrr": the prototypes both ABIs give, with their import module
 * and name (each ABI header declares them the same way, without). ---- */
#define SRR_HOST_IMPORT(name) __attribute__((import_module("shadowrr"), import_name(#name)))

SRR_HOST_IMPORT(srr_host_header_size) uint32_t srr_host_header_size(void);
SRR_HOST_IMPORT(srr_host_header_copy) void srr_host_header_copy(uint32_t rs_dst);
SRR_HOST_IMPORT(srr_host_trace_path_size) uint32_t srr_host_trace_path_size(void);
SRR_HOST_IMPORT(srr_host_trace_path_copy) void srr_host_trace_path_copy(uint32_t rs_dst);
SRR_HOST_IMPORT(srr_host_flags) uint32_t srr_host_flags(void);
SRR_HOST_IMPORT(srr_host_memory_pages) uint32_t srr_host_memory_pages(uint32_t memory);
SRR_HOST_IMPORT(srr_host_app_read)
void srr_host_app_read(uint32_t memory, uint32_t app_src, uint32_t rs_dst, uint32_t size);
SRR_HOST_IMPORT(srr_host_app_write)
void srr_host_app_write(uint32_t memory, uint32_t app_dst, uint32_t rs_src, uint32_t size);
SRR_HOST_IMPORT(srr_host_wasi_memory) uint32_t srr_host_wasi_memory(void);

/* ---- "wasi_snapshot_preview1" ------------------------------------------- */
#define SRR_WASI_IMPORT(name)                                                                  \
  __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))

/* Every pointer argument is an address in the application memory exported as
 * "memory" (srr_host_wasi_memory()). */
SRR_WASI_IMPORT(path_open)
int32_t srr_wasi_path_open(int32_t dirfd, int32_t dirflags, int32_t path, int32_t path_len,
                           int32_t oflags, int64_t rights_base, int64_t rights_inheriting,
                           int32_t fdflags, int32_t result_fd);
SRR_WASI_IMPORT(fd_read)
int32_t srr_wasi_fd_read(int32_t fd, int32_t iovs, int32_t iovs_len, int32_t result_nread);
SRR_WASI_IMPORT(fd_write)
int32_t srr_wasi_fd_write(int32_t fd, int32_t iovs, int32_t iovs_len, int32_t result_nwritten);
SRR_WASI_IMPORT(fd_close) int32_t srr_wasi_fd_close(int32_t fd);
SRR_WASI_IMPORT(fd_prestat_get) int32_t srr_wasi_fd_prestat_get(int32_t fd, int32_t result_prestat);
SRR_WASI_IMPORT(fd_prestat_dir_name)
int32_t srr_wasi_fd_prestat_dir_name(int32_t fd, int32_t path, int32_t path_len);
SRR_WASI_IMPORT(environ_sizes_get)
int32_t srr_wasi_environ_sizes_get(int32_t result_count, int32_t result_buf_size);
SRR_WASI_IMPORT(environ_get) int32_t srr_wasi_environ_get(int32_t environ, int32_t environ_buf);
/* Returns only when it is the transform's stub (a module without WASI). */
SRR_WASI_IMPORT(proc_exit) void srr_wasi_proc_exit(int32_t code);

/* WASI preview1 constants. */
#define SRR_WASI_ESUCCESS 0
#define SRR_WASI_EACCES 2
#define SRR_WASI_EBADF 8
#define SRR_WASI_EIO 29
#define SRR_WASI_EISDIR 31
#define SRR_WASI_ENAMETOOLONG 37
#define SRR_WASI_ENOENT 44
#define SRR_WASI_ENOMEM 48
#define SRR_WASI_ENOSYS 52
#define SRR_WASI_ENOTDIR 54
#define SRR_WASI_ENOTCAPABLE 76

#define SRR_WASI_LOOKUP_SYMLINK_FOLLOW 1
#define SRR_WASI_O_CREAT 1
#define SRR_WASI_O_TRUNC 8
#define SRR_WASI_FDFLAG_APPEND 1
#define SRR_WASI_RIGHT_FD_READ (UINT64_C(1) << 1)
#define SRR_WASI_RIGHT_FD_WRITE (UINT64_C(1) << 6)
#define SRR_WASI_PREOPENTYPE_DIR 0

#endif /* SHADOWRR_WASI_IMPORTS_H */
