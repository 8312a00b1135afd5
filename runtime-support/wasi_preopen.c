/*
 * wasi_preopen.c: the preopen a trace path lives in (wasi_preopen.h), for
 * both wasm32 runtimes. Freestanding.
 */
#include <stdint.h>

#include "srr_trace_decode.h"
#include "wasi_imports.h"
#include "wasi_preopen.h"

/* Preopens are fds from 3 up, with no gap; the scan stops at the first
 * closed fd or after this many. */
#define PREOPEN_SCAN_MAX 256
#define PREOPEN_NAME_MAX 1024u

static uint8_t name_buf[PREOPEN_NAME_MAX];

static inline uint32_t rs(const void *p) { return (uint32_t)(uintptr_t)p; }

int32_t srr_find_preopen(uint32_t wm, uint32_t room, const uint8_t *path, uint32_t path_len, int32_t *dirfd,
                         uint32_t *skip) {
  uint8_t io_buf[8];
  int absolute = path[0] == '/';
  int32_t best = -1;
  uint32_t best_len = 0;
  for (int32_t fd = 3; fd < 3 + PREOPEN_SCAN_MAX; fd++) {
    int32_t r = srr_wasi_fd_prestat_get(fd, (int32_t)SRR_SLOT_RESULT);
    if (r == SRR_WASI_EBADF) {
      break;
    }
    if (r == SRR_WASI_ENOSYS) {
      return r;
    }
    if (r != 0) {
      continue;
    }
    srr_host_app_read(wm, SRR_SLOT_RESULT, rs(io_buf), 8);
    if (io_buf[0] != SRR_WASI_PREOPENTYPE_DIR) {
      continue;
    }
    uint32_t len = srr_get_u32(io_buf + 4);
    if (!absolute && best < 0) {
      best = fd; /* the first preopen, unless "." comes */
    }
    if (len == 0 || len > PREOPEN_NAME_MAX || len > room || (!absolute && len > 8) ||
        (absolute && len > path_len + 8)) {
      continue;
    }
    if (srr_wasi_fd_prestat_dir_name(fd, (int32_t)SRR_SLOT_DATA, (int32_t)len) != 0) {
      continue;
    }
    srr_host_app_read(wm, SRR_SLOT_DATA, rs(name_buf), len);
    while (len > 1 && name_buf[len - 1] == '/') {
      len--;
    }
    if (!absolute) {
      if (len == 1 && name_buf[0] == '.') {
        best = fd;
        break;
      }
      continue;
    }
    if (name_buf[0] != '/' || len > path_len || (best >= 0 && len <= best_len)) {
      continue;
    }
    uint32_t i = 0;
    while (i < len && name_buf[i] == path[i]) {
      i++;
    }
    if (i < len || (len > 1 && (len == path_len || path[len] != '/'))) {
      continue;
    }
    best = fd;
    best_len = len;
  }
  if (best < 0) {
    return SRR_WASI_ENOTCAPABLE;
  }
  uint32_t s = absolute ? best_len : 0;
  while (absolute && s < path_len && path[s] == '/') {
    s++;
  }
  if (s == path_len) {
    return SRR_WASI_ENOTCAPABLE;
  }
  *dirfd = best;
  *skip = s;
  return 0;
}

