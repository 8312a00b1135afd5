/*
 * file_io.h: reading inputs and writing outputs the way every shadowrr
 * command must: a clear one-line reason on failure, and never a half-written
 * or overwritten file (outputs go to a temporary name, then are renamed).
 */
#ifndef SHADOWRR_FILE_IO_H
#define SHADOWRR_FILE_IO_H

#include <stddef.h>
#include <stdint.h>

/* Reads a whole regular file into a malloc'd buffer (*bytes, *size; *bytes is
 * non-NULL even for an empty file). On failure returns non-zero and writes
 * the reason ("no such file", "is a directory", ...) into why. */
int srr_read_file(const char *path, uint8_t **bytes, size_t *size, char *why, size_t whysize);

/* Writes bytes to path atomically: to "<path>.tmp.<pid>" in the same folder,
 * flushed, then renamed over path. With overwrite == 0 an existing path is
 * refused. On failure nothing is left behind and why holds the reason. */
int srr_write_file_atomic(const char *path, const void *bytes, size_t size, int overwrite,
                          char *why, size_t whysize);

#endif /* SHADOWRR_FILE_IO_H */
