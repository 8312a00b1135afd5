/*
 * recorder_abi.h: the contract between the record transform (transform/,
 * C++) and the recorder (runtime-support/recorder/, C compiled to wasm32 and
 * merged into every instrumented module).
 *
 * The recorder is a separate wasm module with its own memory. The transform
 * merges it into the application module (renaming all its items), then:
 *  - generated code in the application calls the recorder's srr_rec_*
 *    functions (section 1), by their export names;
 *  - the recorder's imports from module "shadowrr" (section 2) are replaced by
 *    functions the transform generates, which reach the application's
 *    memories, their shadows, and the trace's header and path;
 *  - the recorder's imports from "wasi_snapshot_preview1" (section 3) stay
 *    imports when the application imports WASI itself, and are otherwise
 *    replaced by stubs returning ENOSYS (52), so that a module importing
 *    nothing still imports nothing; the trace is then drained by the
 *    embedder through exports (section 4).
 *
 * Addresses called "app" are addresses in an application memory (numbered as
 * in the original module, imported memories first); "rs" addresses are in the
 * recorder's own memory. All sizes are bytes unless they say pages.
 */
#ifndef SHADOWRR_RECORDER_ABI_H
#define SHADOWRR_RECORDER_ABI_H

#include <stdint.h>

/* ---- 1. Exported by the recorder, called by generated code --------------- */

/* Starts an event of `kind` (enum srr_event_kind: IMPORT_CALL, IMPORT_RETURN,
 * EXPORT_CALL, EXPORT_RETURN, GLOBAL_CHANGE) for import/export/global `index`.
 * `max_size` bounds the event's encoded size (kind, index and every value at
 * its largest), computed by the transform: the recorder flushes first if the
 * buffer cannot take it, so an event never spans two chunks. The values
 * follow with srr_rec_i32..v128, then srr_rec_end. */
void srr_rec_begin(uint32_t kind, uint32_t index, uint32_t max_size);
void srr_rec_i32(uint32_t value);
void srr_rec_i64(uint64_t value);
void srr_rec_f32(float value);  /* bit-exact: NaN payloads kept */
void srr_rec_f64(double value);
void srr_rec_v128(uint64_t low, uint64_t high);
/* Ends the event begun last (in durable mode: flushes). */
void srr_rec_end(void);

/* The slow path of a load: the `size` bytes at app address `address` of
 * memory `memory` differ from their shadow somewhere. Records every
 * differing byte of the maximal differing runs that touch [address,
 * address+size) as MEMORY_WRITE events (only bytes that differ; the scan goes
 * on past the load, so a large host write costs few events), then copies
 * them into the shadow. */
void srr_rec_load_mismatch(uint32_t memory, uint32_t address, uint32_t size);

/* Records and copies into the shadow every differing byte in [address,
 * address+size): used before memory.copy reads its source range. */
void srr_rec_reconcile(uint32_t memory, uint32_t address, uint32_t size);

/* Records every byte of [address, address+size) as a MEMORY_WRITE, whether
 * or not it differs from its shadow, and copies it into the shadow: the
 * shadow of the range was left stale by deferred writes (the guest's own
 * memory.copy or memory.fill, not yet copied) when the host got control
 * without a flush (a trap), so it cannot tell what the host wrote. */
void srr_rec_overwritten(uint32_t memory, uint32_t address, uint32_t size);

/* A read (fd_read, fd_pread, sock_recv) returned; `length_at` is where it
 * put the number of bytes it read (-1: unknown, the call failed). In a
 * memory without shadow, those bytes are recorded from the iovecs at
 * `iovs` in order; otherwise, or when the length is unknown, the same as
 * srr_rec_reconcile_iovecs. */
void srr_rec_reconcile_read(uint32_t memory, uint32_t iovs, uint32_t count, uint32_t length_at);

/* The same for the buffers of the `count` iovecs (pointer, length; 8 bytes
 * each) at app address `iovs`: after a WASI read (fd_read, fd_pread,
 * sock_recv) returned, every byte it may have written. */
void srr_rec_reconcile_iovecs(uint32_t memory, uint32_t iovs, uint32_t count);

/* The guest's memory.grow of `memory` by `delta` pages returned `result`
 * (-1 on failure). The shadow has been grown by the same amount. */
void srr_rec_memory_grow(uint32_t memory, uint32_t delta, int32_t result);

/* At an event boundary (after an import returned), the primary of `memory`
 * was found larger than its shadow: the host grew it to `new_pages`. The
 * generated code then grows the shadow. */
void srr_rec_host_memory_grow(uint32_t memory, uint32_t new_pages);

/* Host-writable externref tables (exported or imported; numbered as the
 * module numbers its tables): each has a shadow table that follows the
 * guest's own writes. A reference cannot be compared, but the guest can only
 * learn whether one is null (docs/trace-format.md, "References"), so:
 *  - the guest read element `element` (table.get, or table.copy's source)
 *    and found it null where the shadow is not, or the other way round: the
 *    host wrote it. HOST_TABLE_SET records whether it is null now; the
 *    generated code then copies it into the shadow;
 *  - at an event boundary (or before such a read) the table was found larger
 *    than its shadow: the host grew it to `new_size` elements
 *    (HOST_TABLE_GROW); the generated code then grows the shadow.
 * Like the memory calls, never between srr_rec_begin and srr_rec_end. */
void srr_rec_host_table_set(uint32_t table, uint32_t element, uint32_t non_null);
void srr_rec_host_table_grow(uint32_t table, uint32_t new_size);

/* Instantiation is over: the module's start function (if any) returned.
 * Then an import called while no export call is under way was called by
 * the host itself, through a funcref the guest's table or an export gave
 * it: the guest did not call it, and the call is no event (a replay has no
 * guest code to make it). Called by the generated start function. The
 * recorder also prepares its buffer and the trace header then, so that the
 * guest's first event does not pay for it. */
void srr_rec_started(void);

/* The run is over (`_start` returned, or proc_exit is about to be called):
 * appends END and flushes everything. Called once; later events are ignored. */
void srr_rec_finish(void);

/* The trace path at run time. If the environment the host gives the module
 * holds SHADOWRR_TRACE=<path>, the trace goes to <path> instead of the path
 * given at instrument time (the same rules: relative to the preopen "." or
 * the first preopen, absolute within a preopen; an empty value changes
 * nothing; a value longer than 4096 bytes fails the trace with
 * ENAMETOOLONG). The recorder finds it with its own environ calls (section
 * 3) at the first flush, or when the guest first asks for its environment.
 * The guest never sees it: the wrappers of its environ_sizes_get and
 * environ_get imports (module wasi_snapshot_preview1 or wasi_unstable) call
 * the three functions below, which rewrite the host's answer in the WASI
 * memory into the answer of a host without SHADOWRR_TRACE entries. These are
 * host writes like any other: the guest's loads find them and record them,
 * so the trace holds what the guest saw. The pointers are the guest's
 * arguments, in the memory exported as "memory". All three do nothing when
 * the environment holds no SHADOWRR_TRACE entry, or when the recorder could
 * not read it (no WASI memory, ENOSYS stubs, an environment larger than
 * 64 KiB with its pointers, or not in the usual layout: then the variable is
 * not used either).
 *
 * Generated code, in the wrappers (not between srr_rec_begin and
 * srr_rec_end; before IMPORT_RETURN is recorded):
 *   result = environ_sizes_get(count_ptr, size_ptr);
 *   if (result == 0) srr_rec_environ_sizes_fixup(count_ptr, size_ptr);
 *
 *   srr_rec_environ_prepare(environ_ptr, environ_buf_ptr);
 *   result = environ_get(environ_ptr, environ_buf_ptr);
 *   if (result == 0) srr_rec_environ_fixup(environ_ptr, environ_buf_ptr);
 */
/* The preopen the guest must not see: `shadowrr record` without --dir gives
 * the trace a directory of its own, preopened as "/.shadowrr" (with
 * SHADOWRR_TRACE=/.shadowrr/<name>), which a plain run would not have. If
 * the trace path lies in a preopen of that name, returns its fd (else -1),
 * and the wrappers of the guest's WASI calls that take an fd (fd_*, path_*,
 * sock_*: the first argument, and fd_renumber's second) answer EBADF for it
 * without calling the host, as a host without that preopen would. So the
 * guest's libc, which scans preopens from fd 3 until EBADF, never finds it
 * (it must be the last preopen), and the guest's calls on that fd number
 * fail as in a plain run. Generated code, in those wrappers:
 *   result = fd == srr_rec_hidden_fd() ? 8 : the_import(fd, ...);
 */
int32_t srr_rec_hidden_fd(void);

/* Subtracts the SHADOWRR_TRACE entries from the count and the buffer size
 * the host just wrote at count_ptr and size_ptr. */
void srr_rec_environ_sizes_fixup(uint32_t count_ptr, uint32_t size_ptr);
/* Before the host's environ_get: saves the guest bytes that the host is
 * about to write past buffers sized without SHADOWRR_TRACE (4 bytes per entry
 * after the pointer array, the entries' bytes after the strings). */
void srr_rec_environ_prepare(uint32_t environ_ptr, uint32_t environ_buf_ptr);
/* After the host's environ_get returned 0: removes the entries' pointers
 * from the array and their strings from the buffer (later strings move left,
 * later pointers follow them), and gives the bytes past both what
 * srr_rec_environ_prepare saved. */
void srr_rec_environ_fixup(uint32_t environ_ptr, uint32_t environ_buf_ptr);

/* ---- 2. Imported by the recorder from module "shadowrr" ------------------ */
/* (Declared with import_module("shadowrr") and these names.) */

/* The trace header body (docs/trace-format.md), built by the transform. */
uint32_t srr_host_header_size(void);
void srr_host_header_copy(uint32_t rs_dst);

/* The trace file's path as given at instrument time (not NUL-terminated). */
uint32_t srr_host_trace_path_size(void);
void srr_host_trace_path_copy(uint32_t rs_dst);

/* SRR_FLAG_DURABLE and future flags. */
uint32_t srr_host_flags(void);

/* Number of application memories, and one's current size in pages. */
uint32_t srr_host_memory_count(void);
uint32_t srr_host_memory_pages(uint32_t memory);

/* Copies between an application memory (or its shadow) and the recorder's
 * memory. The caller keeps app ranges within the memory's current size. */
void srr_host_app_read(uint32_t memory, uint32_t app_src, uint32_t rs_dst, uint32_t size);
void srr_host_app_write(uint32_t memory, uint32_t app_dst, uint32_t rs_src, uint32_t size);
void srr_host_shadow_read(uint32_t memory, uint32_t app_src, uint32_t rs_dst, uint32_t size);
void srr_host_shadow_write(uint32_t memory, uint32_t app_dst, uint32_t rs_src, uint32_t size);

/* The index of the application memory exported as "memory" (the one WASI
 * calls read and write), or 0xFFFFFFFF if there is none or the application
 * imports no WASI (the recorder's WASI imports are then ENOSYS stubs). */
uint32_t srr_host_wasi_memory(void);

/* ---- 3. Imported by the recorder from "wasi_snapshot_preview1" ----------- */
/* path_open, fd_write, fd_close, fd_prestat_get, fd_prestat_dir_name,
 * environ_sizes_get, environ_get, with their preview1 signatures (the
 * environ calls find SHADOWRR_TRACE: see section 1). Their pointer arguments address the memory
 * exported as "memory" (the application's): the recorder borrows a piece of
 * it, saving and restoring it byte for byte around each call, so the guest
 * never sees a difference. The trace file is opened (created/truncated the
 * first time, appended after), written and closed at every flush, so no file
 * descriptor stays open that the guest could notice. A relative trace path is
 * resolved against the preopen named "." (or the first preopen). */

/* ---- 4. Exported by the instrumented module, for launchers and embedders - */
/*   shadowrr_finish()     end the recording: append END and write the trace
 *                         (srr_rec_finish); for embedders of reactors, whose
 *                         runs have no _start to end them; later calls into
 *                         the module are not recorded */
/*   shadowrr_flush() -> i32
 *                         write buffered events to the trace now; returns 0,
 *                         or a WASI errno once the trace could not be opened
 *                         or written (sticky: nothing more is recorded, the
 *                         guest runs on; a launcher reports it)
 *   shadowrr_on_trap() -> i32
 *                         a launcher calls it after catching a trap, at top
 *                         level (no call of the module under way any more),
 *                         so a crash keeps its whole trace: appends TRAP
 *                         (empty message) if an export or import call of the
 *                         module was under way (the trap unwound it: the
 *                         recorder counts EXPORT_CALL/IMPORT_CALL events not
 *                         yet returned), drops an event the trap cut short,
 *                         resets that count, and flushes. Recording goes on:
 *                         a host that keeps calling exports after the trap (a
 *                         reactor) gets them in the same trace (docs/
 *                         trace-format.md, "Traps"). Nothing is appended
 *                         after the run ended (END), or when nothing of the
 *                         module was under way (the trap was not in it).
 *                         A host that catches a trap inside an import and
 *                         returns to the guest cannot be replayed (the replay
 *                         of a trap unwinds every call under way). Returns
 *                         like shadowrr_flush
 *   shadowrr_drain_ptr(), shadowrr_drain_size(), shadowrr_drain_reset(),
 *   memory "shadowrr_memory"
 *                         for modules without WASI (or with an empty trace
 *                         path): the trace bytes not yet written (file
 *                         prefix, header and raw chunks, in file order) sit
 *                         at [ptr, ptr+size) in shadowrr_memory;
 *                         drain_size() flushes first (so they include every
 *                         event so far) and is 0 when the trace goes to a
 *                         file; ptr never changes; the embedder appends them
 *                         to its file and calls shadowrr_drain_reset().
 *
 * Call order: srr_rec_load_mismatch, srr_rec_reconcile(_iovecs), srr_rec_memory_grow
 * and srr_rec_host_memory_grow are never called between srr_rec_begin and
 * srr_rec_end (their events would land inside the open one). */

#endif /* SHADOWRR_RECORDER_ABI_H */
