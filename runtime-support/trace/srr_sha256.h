/*
 * srr_sha256.h: SHA-256 (FIPS 180-4), to bind a trace to the module it was
 * recorded from. Freestanding.
 */
#ifndef SHADOWRR_SHA256_H
#define SHADOWRR_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Computes the SHA-256 digest of data[0..size) into digest. */
void srr_sha256(const void *data, size_t size, uint8_t digest[32]);

#ifdef __cplusplus
}
#endif

#endif /* SHADOWRR_SHA256_H */
