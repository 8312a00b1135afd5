/*
 * wasi_preopen.h: how the two wasm32 runtimes (recorder.c, replayer.c) find
 * the preopened directory a trace path lives in. Both make their WASI calls
 * through a piece of the application memory they borrow and restore; this
 * is its layout. Internal to runtime-support/.
 */
#ifndef SHADOWRR_WASI_PREOPEN_H
#define SHADOWRR_WASI_PREOPEN_H

#include <stdint.h>

/* The borrowed piece of the WASI memory, from address 0. */
#define SRR_SLOT_RESULT 0u /* 8 bytes: prestat, fd, a count */
#define SRR_SLOT_IOVEC 16u /* 8 bytes: one iovec */
#define SRR_SLOT_DATA 32u  /* path, directory names, data */

/* Finds the preopened directory the path [path, path+path_len) lives in
 * (path_len > 0). Relative path: the preopen named "." (trailing slashes
 * ignored), else the first preopen. Absolute path: the preopen whose name is
 * the longest prefix of the path ending at a '/'. Returns a WASI errno
 * (ENOSYS without WASI, ENOTCAPABLE when none fits); on success *dirfd is
 * the preopen and *skip the bytes of the path to drop (its name and the
 * slashes after it). Uses the borrowed piece of WASI memory `wm`:
 * SRR_SLOT_RESULT, and `room` bytes from SRR_SLOT_DATA. */
int32_t srr_find_preopen(uint32_t wm, uint32_t room, const uint8_t *path, uint32_t path_len, int32_t *dirfd,
                         uint32_t *skip);

#endif /* SHADOWRR_WASI_PREOPEN_H */
