/*
 * replayer_blob.h: the replayer module (replayer.wasm, built from replayer.c
 * for wasm32), embedded into the shadowrr binary by the static library
 * shadowrr_replayer_blob. The replay transform merges it into every replay
 * module; replayer_abi.h is its contract.
 */
#ifndef SHADOWRR_REPLAYER_BLOB_H
#define SHADOWRR_REPLAYER_BLOB_H

#ifdef __cplusplus
extern "C" {
#endif

extern const unsigned char srr_replayer_wasm[];
extern const unsigned long srr_replayer_wasm_size;

#ifdef __cplusplus
}
#endif

#endif /* SHADOWRR_REPLAYER_BLOB_H */
