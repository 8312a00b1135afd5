/*
 * recorder_blob.h: the recorder module (recorder.wasm, built from recorder.c
 * for wasm32), embedded into the shadowrr binary by the static library
 * shadowrr_recorder_blob. The record transform merges it into every
 * instrumented module; recorder_abi.h is its contract.
 */
#ifndef SHADOWRR_RECORDER_BLOB_H
#define SHADOWRR_RECORDER_BLOB_H

#ifdef __cplusplus
extern "C" {
#endif

extern const unsigned char srr_recorder_wasm[];
extern const unsigned long srr_recorder_wasm_size;

#ifdef __cplusplus
}
#endif

#endif /* SHADOWRR_RECORDER_BLOB_H */
