/*
 * recorder.c: the recorder that runs inside every instrumented module
 * (recorder_abi.h is the contract; docs/trace-format.md the format).
 *
 * Freestanding C for wasm32 (no libc; copies are __builtin_memcpy/memmove,
 * which -mbulk-memory turns into memory.copy). Built by CMakeLists.txt here
 * into recorder.wasm, whose memory is exported as "shadowrr_memory".
 *
 * Recorder memory, above the (small) stack and static data:
 *
 *   __heap_base: trace path | out_base ........ out_end | chunk header slot | events ... ev_pos
 *                             pending file bytes          the chunk being built
 *
 * [out_base, out_end) holds complete file bytes not yet written: the first
 * time the file prefix, header body and header CRC, then closed raw chunks.
 * The chunk being built always starts at out_end (its 20-byte header is
 * written when it is closed), so closing a chunk copies nothing. A flush
 * closes the chunk, then:
 *  - WASI sink: writes [out_base, out_end) to the trace file (open, write,
 *    close) and moves the (empty) current chunk back to out_base;
 *  - drain sink (no WASI): keeps the bytes for shadowrr_drain_*; memory grows
 *    as needed until the embedder drains.
 * The sink is drain from the start when there is no WASI memory (none
 * exported as "memory", or no WASI import: srr_host_wasi_memory). Otherwise
 * it is chosen at the first flush: drain when the trace path is empty or the
 * first WASI call answers ENOSYS (the transform's stubs); WASI otherwise.
 * (Deciding early keeps the WASI and environment code out of a short run:
 * an engine that compiles lazily compiles every function a run reaches.)
 *
 * SHADOWRR_TRACE (recorder_abi.h, "The trace path at run time"): at the
 * first flush, or when the guest first asks for its environment, the recorder
 * reads the host's environment itself (environ_sizes_get / environ_get through
 * the borrowed piece of the WASI memory, restored as for every hidden call).
 * A SHADOWRR_TRACE=<path> there replaces the trace path; every
 * SHADOWRR_TRACE=... entry is removed from what the guest's own environ calls
 * return (srr_rec_environ_*), so the guest sees the environment of a run
 * without it.
 *
 * Guest WASI calls the recorder watches (found by name in the trace header at
 * init; their arguments are taken as srr_rec_i32 passes them, and acted on at
 * srr_rec_end of the IMPORT_CALL, i.e. just before the host runs the call):
 *  - fd_write to the run's stdout or stderr: the iovecs and the bytes they
 *    point to are reconciled (recorded where they differ from the shadow)
 *    before the call, and the IMPORT_CALL event is moved after those
 *    MEMORY_WRITEs. Bytes the host wrote and the guest never loaded (read
 *    from a file or stdin, written out unchanged) would otherwise be missing
 *    from the trace, and the replay's output passthrough, which takes the
 *    bytes from the guest's memory at the call, would print stale ones. The
 *    replayer applies the writes at the previous event, before the call. A
 *    memory without shadow has no such pending write (every host write was
 *    recorded as its import returned), and is left alone.
 *    When it returns, its nwritten (4 bytes) is reconciled as well, after
 *    the IMPORT_RETURN event: the replay passes through as many bytes as
 *    nwritten says, and a guest that never loads nwritten (a WAT program
 *    dropping it) would leave the replay with a stale count.
 *    Only stdout and stderr: the replay writes nothing else, and a guest
 *    copying a file without looking at it would otherwise put the whole file
 *    in the trace. "stdout and stderr" are fds 1 and 2 as the guest's
 *    successful fd_close and fd_renumber calls move them (out_fds), as the
 *    replayer follows them.
 *  - fd_close(fd) and fd_renumber(from, to) touching an fd at or below the
 *    preopen the trace goes into: the trace is written through that preopen
 *    (found again at each flush by scanning fds 3.. until EBADF), and a guest
 *    that closes or replaces it (wasi-testsuite's close_preopen,
 *    overwrite_preopen) would leave the trace nowhere to go. Before such a
 *    call the recorder opens the preopen's directory once more ("pins" it:
 *    path_open(dirfd, ".", O_DIRECTORY)) and writes every later flush
 *    through that fd. It stays open to the end of the run: the guest sees
 *    one more fd than without recording from then on (a later open may get
 *    another number), and a guest closing that fd number itself ends the
 *    trace with EBADF.
 *
 * Errors: a WASI failure (no matching preopen, path_open or fd_write failing)
 * or recorder memory exhaustion sets a sticky WASI errno. From then on
 * nothing more is recorded (the shadow is still kept in sync, so the guest
 * runs at full speed), pending bytes of the WASI sink are dropped, and
 * shadowrr_flush / shadowrr_on_trap return that errno (0 while all is well)
 * so a launcher can report that the trace is incomplete. A drain-sink trace
 * keeps what was recorded before the error.
 */
#include <stddef.h>
#include <stdint.h>

#include "recorder_abi.h"
#include "recorder_imports.h"
#include "srr_trace.h"
#include "wasi_preopen.h"
#include "wasm_own_memory.h"
#include "wasm_stack.h"

#define SRR_EXPORT(name) __attribute__((export_name(#name)))

/* Section 4 of recorder_abi.h (the ABI names them without prototypes). */
int32_t shadowrr_flush(void);
int32_t shadowrr_on_trap(void);
uint32_t shadowrr_drain_ptr(void);
uint32_t shadowrr_drain_size(void);
void shadowrr_drain_reset(void);

/* Events per chunk (a chunk holds more only for a single event whose
 * max_size exceeds it). */
#define EV_CAP (256u * 1024u)
/* Largest MEMORY_WRITE header: kind, uleb memory, uleb address, uleb length. */
#define MW_HDR 16u
/* A run longer than a chunk fills the current chunk first unless less than
 * this is left in it. */
#define MW_MIN_PIECE 4096u
/* Compare windows of the slow path: the first is small (a load usually hits
 * a few host-written bytes), then they double up to WIN. */
#define WIN 16384u
#define WIN_FIRST 64u
/* The piece of the WASI memory borrowed at each flush: [0, BORROW_MAX) at
 * most, and only as much as the flush needs. Layout: */
#define BORROW_MAX 65536u
#define SLOT_RESULT SRR_SLOT_RESULT /* wasi_preopen.h */
#define SLOT_IOVEC SRR_SLOT_IOVEC
#define SLOT_DATA SRR_SLOT_DATA
/* Watched guest imports (see the top): at most this many (fd_write,
 * fd_close, fd_renumber of wasi_snapshot_preview1 and wasi_unstable). */
#define MAX_WATCHED 8
/* fd_write iovecs reconciled at most (more are left to the loads). */
#define MAX_IOVECS 1024u
/* The IMPORT_CALL event of a watched call: kind, import, 4 i32 arguments. */
#define WATCH_EVENT_MAX (1u + 6u * 5u)
/* path_open of the pinned directory: O_DIRECTORY, and the rights the trace's
 * path_open needs (PATH_OPEN, PATH_CREATE_FILE, PATH_FILESTAT_SET_SIZE for
 * O_TRUNC; FD_WRITE inherited). */
#define PIN_O_DIRECTORY 2
#define PIN_RIGHTS_BASE ((UINT64_C(1) << 13) | (UINT64_C(1) << 10) | (UINT64_C(1) << 19))
#define PIN_RIGHTS_INHERITING SRR_WASI_RIGHT_FD_WRITE

#define NO_MEMORY 0xFFFFFFFFu

/* The environment entry that names the trace file at run time, and the
 * longest path it may give (as `shadowrr instrument --trace-path`). */
#define ENV_NAME "SHADOWRR_TRACE="
#define ENV_NAME_LEN 15u
#define ENV_PATH_MAX 4096u

enum sink { SINK_UNDECIDED, SINK_WASI, SINK_DRAIN };

extern unsigned char __heap_base;

static int inited;
static int finished;
static int in_event;     /* between srr_rec_begin and srr_rec_end */
static int started;      /* srr_rec_started */
static uint32_t host_called_imports; /* imports the host called itself, under way */
static uint32_t depth;   /* export and import calls under way: EXPORT_CALL and
                            IMPORT_CALL events begun and not yet returned */
static int sink;         /* enum sink */
static int opened_once;  /* the trace file was created (later opens append) */
static int32_t err;      /* sticky WASI errno, 0 while all is well */
static uint32_t flags;   /* srr_host_flags() */
static uint8_t *path;    /* trace path (not NUL-terminated) */
static uint32_t path_len;
static uint8_t *out_base;
static uint8_t *out_end;
static uint8_t *ev_start; /* start of the event being written */
static uint8_t *ev_pos;
static uint64_t mem_top; /* bytes of recorder memory known to exist */

static uint8_t win_app[WIN];
static uint8_t win_shadow[WIN];
static uint8_t save_buf[BORROW_MAX]; /* the borrowed app bytes; also the copy
                                        buffer when not recording */
static uint8_t io_buf[16];

/* Watched guest imports (see the top). */
enum watch { W_NONE, W_FD_WRITE, W_FD_CLOSE, W_FD_RENUMBER };
static uint32_t watched_index[MAX_WATCHED];
static uint8_t watched_kind[MAX_WATCHED];
static uint32_t watched_count;
static int watch;               /* the open event's watched import: enum watch */
static int watch_return;        /* ...and it is the IMPORT_RETURN, not the call */
static uint32_t watch_index;    /* its import */
static uint32_t watch_args[4];  /* its first i32 values (a return: the errno) */
static uint32_t watch_nargs;
/* The watched call under way (no watched import calls back into the guest),
 * until its IMPORT_RETURN. */
static uint32_t pending_index = 0xFFFFFFFFu;
static int pending_kind;
static uint32_t pending_args[4];
/* The guest fds that are the run's stdout and stderr (-1: closed). */
static int64_t out_fds[2] = {1, 2};
static int32_t pinned_fd = -1;  /* the pinned trace directory, or -1 */
static uint32_t pinned_skip;    /* srr_find_preopen's skip for it */
static int32_t trace_dirfd = -1; /* the trace's preopen: -1 not looked for yet, -2 none */
static int32_t hidden_fd = -2;   /* srr_rec_hidden_fd's answer: -2 not looked for yet */
static uint32_t trace_skip;

/* The host's environment as seen by env_scan(). */
enum env_state { ENV_UNSCANNED, ENV_PLAIN, ENV_HIDE };
static int env_state;          /* ENV_HIDE: SHADOWRR_TRACE entries to remove */
static uint32_t env_count;     /* the host's environ_sizes_get answers */
static uint32_t env_size;
static uint32_t env_hidden;    /* SHADOWRR_TRACE=... entries */
static uint32_t env_hidden_bytes; /* their bytes, NULs included */
static int env_applied;        /* the first flush has looked at env_path */
static int32_t env_path_err;   /* SHADOWRR_TRACE's value is too long */
static uint32_t env_path_len;  /* 0: no override */
static uint8_t env_path[ENV_PATH_MAX];
/* ENV_HIDE: [0, env_size - env_hidden_bytes) holds the environment strings
 * the guest may see, NUL-terminated, in the host's order (what a host without
 * SHADOWRR_TRACE writes at environ_buf). After them, from
 * srr_rec_environ_prepare to srr_rec_environ_fixup, the guest bytes that the
 * host's environ_get is about to overwrite past the guest's smaller buffers:
 * 4 * env_hidden bytes after its pointer array, then env_hidden_bytes after
 * its strings. Everything fits: the environment fitted in the borrowed
 * piece. */
static uint8_t env_buf[BORROW_MAX];
static int env_prepared;
static uint32_t env_prep_environ, env_prep_buf;

static inline uint32_t rs(const void *p) { return (uint32_t)(uintptr_t)p; }
static inline uint64_t addr64(const void *p) { return (uint64_t)(uintptr_t)p; }

static inline uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t load64(const uint8_t *p) {
  uint64_t v;
  __builtin_memcpy(&v, p, 8);
  return v;
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
/* Non-zero iff some byte of x is zero; its lowest set bit is in the lowest
 * zero byte. */
static inline uint64_t zero_bytes(uint64_t x) { return (x - ONES) & ~x & HIGHS; }

static inline uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }

static inline int recording(void) { return inited && !finished && err == 0; }

static int32_t do_flush(void);

/* ---- recorder memory ------------------------------------------------------ */

/* Makes recorder memory exist up to `end` (exclusive). */
static int ensure(uint64_t end) { return srr_own_memory_ensure(end, &mem_top); }

/* ---- watched imports: from the trace header ------------------------------- */

/* A ULEB128 at *p (below end), or -1 past the end / too long. */
static int64_t hdr_uleb(const uint8_t **p, const uint8_t *end) {
  uint64_t v = 0;
  for (uint32_t shift = 0; *p < end && shift < 35; shift += 7) {
    uint8_t b = *(*p)++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      return (int64_t)v;
    }
  }
  return -1;
}

static int bytes_are(const uint8_t *p, uint32_t len, const char *s) {
  uint32_t i = 0;
  for (; i < len && s[i]; i++) {
    if (p[i] != (uint8_t)s[i]) {
      return 0;
    }
  }
  return i == len && !s[i];
}

/* Notes the function imports of the header body (docs/trace-format.md: u8
 * tag, uleb length, payload; IMPORT = uleb index, str module, str name,
 * signature as uleb count + types, twice) that are WASI fd_write (4 i32 ->
 * i32), fd_close (i32 -> i32) or fd_renumber (2 i32 -> i32). A malformed
 * body just watches nothing more. */
static void find_watched(const uint8_t *body, uint32_t size) {
  const uint8_t *p = body, *end = body + size;
  while (p < end && watched_count < MAX_WATCHED) {
    uint8_t tag = *p++;
    int64_t len = hdr_uleb(&p, end);
    if (len < 0 || len > end - p) {
      return;
    }
    const uint8_t *q = p, *fend = p + len;
    p = fend;
    if (tag != SRR_HDR_IMPORT) {
      continue;
    }
    int64_t index = hdr_uleb(&q, fend);
    int64_t mlen = hdr_uleb(&q, fend);
    if (index < 0 || mlen < 0 || mlen > fend - q) {
      continue;
    }
    const uint8_t *module = q;
    q += mlen;
    int64_t nlen = hdr_uleb(&q, fend);
    if (nlen < 0 || nlen > fend - q) {
      continue;
    }
    const uint8_t *name = q;
    q += nlen;
    int64_t nparams = hdr_uleb(&q, fend);
    if (nparams < 0 || nparams > 4 || nparams > fend - q) {
      continue;
    }
    int all_i32 = 1;
    for (int64_t i = 0; i < nparams; i++) {
      all_i32 &= *q++ == SRR_T_I32;
    }
    int64_t nresults = hdr_uleb(&q, fend);
    if (nresults != 1 || q >= fend || *q != SRR_T_I32 || !all_i32) {
      continue;
    }
    if (!bytes_are(module, (uint32_t)mlen, "wasi_snapshot_preview1") &&
        !bytes_are(module, (uint32_t)mlen, "wasi_unstable")) {
      continue;
    }
    int kind = nparams == 4 && bytes_are(name, (uint32_t)nlen, "fd_write")      ? W_FD_WRITE
               : nparams == 1 && bytes_are(name, (uint32_t)nlen, "fd_close")    ? W_FD_CLOSE
               : nparams == 2 && bytes_are(name, (uint32_t)nlen, "fd_renumber") ? W_FD_RENUMBER
                                                                                  : W_NONE;
    if (kind != W_NONE) {
      watched_index[watched_count] = (uint32_t)index;
      watched_kind[watched_count] = (uint8_t)kind;
      watched_count++;
    }
  }
}

static void init(void) {
  inited = 1;
  flags = srr_host_flags();
  mem_top = (uint64_t)__builtin_wasm_memory_size(0) << 16;
  uint64_t p = (addr64(&__heap_base) + 15) & ~(uint64_t)15;
  path_len = srr_host_trace_path_size();
  uint32_t header_len = srr_host_header_size();
  uint64_t base = (p + path_len + 15) & ~(uint64_t)15;
  uint64_t first = base + SRR_FILE_PREFIX_SIZE + (uint64_t)header_len + 4;
  path = (uint8_t *)(uintptr_t)p;
  if (!ensure(first + SRR_CHUNK_HEADER_SIZE + EV_CAP + 64)) {
    out_base = out_end = ev_start = ev_pos = path;
    path_len = 0;
    err = SRR_WASI_ENOMEM;
    return;
  }
  srr_host_trace_path_copy(rs(path));
  out_base = (uint8_t *)(uintptr_t)base;
  srr_put_file_prefix(out_base, header_len);
  srr_host_header_copy(rs(out_base + SRR_FILE_PREFIX_SIZE));
  srr_put_u32(out_base + SRR_FILE_PREFIX_SIZE + header_len,
              srr_crc32(0, out_base + SRR_FILE_PREFIX_SIZE, header_len));
  find_watched(out_base + SRR_FILE_PREFIX_SIZE, header_len);
  out_end = (uint8_t *)(uintptr_t)first;
  ev_start = ev_pos = out_end + SRR_CHUNK_HEADER_SIZE;
  if (srr_host_wasi_memory() == NO_MEMORY) {
    sink = SINK_DRAIN;
  }
}

/* Bytes of events in the chunk being built. */
static inline uint32_t chunk_used(void) {
  return (uint32_t)(ev_pos - (out_end + SRR_CHUNK_HEADER_SIZE));
}

/* Recorder memory ran out in the middle of recording: drop the event being
 * written, keep the complete ones, stop recording. */
static void fail_nomem(void) {
  if (in_event) {
    ev_pos = ev_start;
    in_event = 0;
  }
  do_flush();
  if (!err) {
    err = SRR_WASI_ENOMEM;
  }
}

/* Prepares for an event of at most `max` bytes outside begin/end: a new
 * chunk if this one cannot take it, room in memory. 0: not recording. */
static int event_room(uint32_t max) {
  if (!inited) {
    init();
  }
  if (!recording()) {
    return 0;
  }
  uint32_t used = chunk_used();
  if (used && (uint64_t)used + max > EV_CAP) {
    do_flush();
    if (!recording()) {
      return 0;
    }
  }
  if (!ensure(addr64(ev_pos) + max + 16)) {
    fail_nomem();
    return 0;
  }
  ev_start = ev_pos;
  return 1;
}

/* Room for one more value (at most 16 bytes) of the open event. */
static inline int value_room(void) {
  if (!in_event) {
    return 0;
  }
  if (addr64(ev_pos) + 16 > mem_top && !ensure(addr64(ev_pos) + 16)) {
    fail_nomem();
    return 0;
  }
  return 1;
}

static inline void durable_flush(void) {
  if (flags & SRR_FLAG_DURABLE) {
    do_flush();
  }
}

/* ---- chunks and the pending bytes ----------------------------------------- */

/* Closes the chunk being built (if it holds events) into the pending bytes.
 * An event still open (a flush between srr_rec_begin and srr_rec_end) moves
 * on to the next chunk. */
static void close_chunk(void) {
  uint8_t *events = out_end + SRR_CHUNK_HEADER_SIZE;
  uint8_t *stop = in_event ? ev_start : ev_pos;
  uint32_t n = (uint32_t)(stop - events);
  if (n == 0) {
    return;
  }
  uint32_t partial = (uint32_t)(ev_pos - stop);
  if (partial && !ensure(addr64(ev_pos) + SRR_CHUNK_HEADER_SIZE + 16)) {
    ev_pos = stop; /* cannot move it: drop it */
    partial = 0;
    in_event = 0;
    err = SRR_WASI_ENOMEM;
  }
  /* The partial event moves up first: the new chunk's header slot overlaps it. */
  if (partial) {
    __builtin_memmove(stop + SRR_CHUNK_HEADER_SIZE, stop, partial);
  }
  srr_put_chunk_header(out_end, SRR_CODEC_RAW, n, n, srr_crc32(0, events, n));
  out_end = stop;
  ev_start = out_end + SRR_CHUNK_HEADER_SIZE;
  ev_pos = ev_start + partial;
}

/* Forgets the pending bytes (written, drained or dropped): the chunk being
 * built moves down to out_base. */
static void drop_pending(void) {
  uint32_t shift = (uint32_t)(out_end - out_base);
  if (!shift) {
    return;
  }
  __builtin_memmove(out_base, out_end, (size_t)(ev_pos - out_end));
  out_end = out_base;
  ev_start -= shift;
  ev_pos -= shift;
}

/* ---- the WASI sink --------------------------------------------------------- */

/* Opens the trace file, writes `len` bytes of `data` to it, closes it, all
 * through the borrowed region [0, region) of the WASI memory. */
static int32_t write_borrowed(uint32_t wm, uint32_t region, const uint8_t *data, uint32_t len) {
  int32_t dirfd = pinned_fd;
  uint32_t skip = pinned_skip;
  int32_t r = dirfd >= 0 ? 0 : srr_find_preopen(wm, region - SLOT_DATA, path, path_len, &dirfd, &skip);
  if (r) {
    return r;
  }
  uint32_t rel_len = path_len - skip;
  srr_host_app_write(wm, SLOT_DATA, rs(path + skip), rel_len);
  int first = !opened_once;
  r = srr_wasi_path_open(dirfd, SRR_WASI_LOOKUP_SYMLINK_FOLLOW, (int32_t)SLOT_DATA,
                         (int32_t)rel_len, first ? SRR_WASI_O_CREAT | SRR_WASI_O_TRUNC : 0,
                         (int64_t)SRR_WASI_RIGHT_FD_WRITE, 0, first ? 0 : SRR_WASI_FDFLAG_APPEND,
                         (int32_t)SLOT_RESULT);
  if (r) {
    return r;
  }
  opened_once = 1;
  srr_host_app_read(wm, SLOT_RESULT, rs(io_buf), 4);
  int32_t fd = (int32_t)get_u32(io_buf);
  uint32_t piece_max = region - SLOT_DATA;
  int stalls = 0;
  while (len > 0 && r == 0) {
    uint32_t piece = min32(len, piece_max);
    srr_host_app_write(wm, SLOT_DATA, rs(data), piece);
    uint32_t done = 0;
    while (done < piece) { /* fd_write may write less than asked */
      srr_put_u32(io_buf, SLOT_DATA + done);
      srr_put_u32(io_buf + 4, piece - done);
      srr_host_app_write(wm, SLOT_IOVEC, rs(io_buf), 8);
      r = srr_wasi_fd_write(fd, (int32_t)SLOT_IOVEC, 1, (int32_t)SLOT_RESULT);
      if (r) {
        break;
      }
      srr_host_app_read(wm, SLOT_RESULT, rs(io_buf), 4);
      uint32_t n = get_u32(io_buf);
      if (n > piece - done || (n == 0 && ++stalls > 8)) {
        r = SRR_WASI_EIO;
        break;
      }
      done += n;
    }
    data += piece;
    len -= piece;
  }
  int32_t rc = srr_wasi_fd_close(fd);
  return r ? r : rc;
}

/* The piece of the WASI memory wm to borrow for `len` bytes of data (and the
 * path), in *region; or a WASI errno. */
static int32_t borrow_region(uint32_t wm, uint32_t len, uint32_t *region) {
  uint64_t msize = (uint64_t)srr_host_memory_pages(wm) << 16;
  uint32_t avail = msize < BORROW_MAX ? (uint32_t)msize : BORROW_MAX;
  if (avail <= SLOT_DATA) {
    return SRR_WASI_ENOMEM;
  }
  if (path_len > avail - SLOT_DATA) {
    return SRR_WASI_ENAMETOOLONG;
  }
  uint32_t want = len > path_len ? len : path_len;
  if (want < 8) {
    want = 8; /* short preopen names */
  }
  *region = want > avail - SLOT_DATA ? avail : SLOT_DATA + want;
  return 0;
}

/* Writes [data, data+len) to the trace file, borrowing the start of the WASI
 * memory and restoring it byte for byte. */
static int32_t wasi_write(const uint8_t *data, uint32_t len) {
  uint32_t wm = srr_host_wasi_memory();
  uint32_t region;
  int32_t r = borrow_region(wm, len, &region);
  if (r) {
    return r;
  }
  srr_host_app_read(wm, 0, rs(save_buf), region);
  r = write_borrowed(wm, region, data, len);
  srr_host_app_write(wm, 0, rs(save_buf), region);
  return r;
}

/* Pins the trace's directory (see the top) if the guest's fd_close /
 * fd_renumber of fds `a` and `b` (-1: none) is about to close or replace the
 * preopen the trace goes into, or an fd below it (the scan for it stops at
 * the first closed fd). Only on the WASI sink (or before it is decided), once. */
static void apply_env_path(void);

/* The preopen the trace goes into (trace_dirfd, trace_skip), or -2 (none);
 * -1 while it cannot be looked for yet (no trace path, no WASI memory). It
 * is looked for once: the guest cannot add preopens, and nothing below it
 * has been closed or replaced before (that pins it). */
static int32_t trace_preopen(void) {
  if (trace_dirfd != -1) {
    return trace_dirfd;
  }
  apply_env_path();
  uint32_t wm = srr_host_wasi_memory();
  uint32_t region;
  if (err || path_len == 0 || wm == NO_MEMORY || borrow_region(wm, 0, &region) != 0) {
    return -1;
  }
  srr_host_app_read(wm, 0, rs(save_buf), region);
  if (srr_find_preopen(wm, region - SLOT_DATA, path, path_len, &trace_dirfd, &trace_skip) != 0) {
    trace_dirfd = -2;
  }
  srr_host_app_write(wm, 0, rs(save_buf), region);
  return trace_dirfd;
}

static void maybe_pin(int64_t a, int64_t b) {
  if (pinned_fd >= 0 || !recording() || sink == SINK_DRAIN || (a < 3 && b < 3)) {
    return;
  }
  int32_t dirfd = trace_preopen();
  /* (the hidden preopen: the guest cannot reach it, nothing to pin) */
  if (dirfd < 3 || !((a >= 3 && a <= dirfd) || (b >= 3 && b <= dirfd)) || dirfd == srr_rec_hidden_fd()) {
    return;
  }
  uint32_t wm = srr_host_wasi_memory();
  uint32_t region;
  if (borrow_region(wm, 0, &region) != 0) {
    return;
  }
  srr_host_app_read(wm, 0, rs(save_buf), region);
  io_buf[0] = '.';
  srr_host_app_write(wm, SLOT_DATA, rs(io_buf), 1);
  if (srr_wasi_path_open(dirfd, SRR_WASI_LOOKUP_SYMLINK_FOLLOW, (int32_t)SLOT_DATA, 1, PIN_O_DIRECTORY,
                         (int64_t)PIN_RIGHTS_BASE, (int64_t)PIN_RIGHTS_INHERITING, 0, (int32_t)SLOT_RESULT) == 0) {
    srr_host_app_read(wm, SLOT_RESULT, rs(io_buf), 4);
    pinned_fd = (int32_t)get_u32(io_buf);
    pinned_skip = trace_skip;
  }
  srr_host_app_write(wm, 0, rs(save_buf), region);
}

/* ---- the environment: SHADOWRR_TRACE ---------------------------------------- */

static int env_is_trace_entry(const uint8_t *e, uint32_t len) {
  if (len < ENV_NAME_LEN) {
    return 0;
  }
  for (uint32_t i = 0; i < ENV_NAME_LEN; i++) {
    if (e[i] != (uint8_t)ENV_NAME[i]) {
      return 0;
    }
  }
  return 1;
}

/* Reads the host's environment, once, through the borrowed start of the WASI
 * memory (restored byte for byte), and notes its SHADOWRR_TRACE entries: the
 * first one's value becomes env_path, and env_buf gets the other entries for
 * srr_rec_environ_fixup. The environment is taken as having no SHADOWRR_TRACE
 * (ENV_PLAIN: nothing is hidden, the trace path stays) when there is no WASI
 * memory, when the environ calls fail (the transform's ENOSYS stubs), when it
 * does not fit in the borrowed piece (BORROW_MAX bytes with its pointers), or
 * when the host's answer is not the usual layout (every pointer to a
 * NUL-terminated string inside environ_buf, the strings' bytes adding up to
 * the size environ_sizes_get gave). */
static void env_scan(void) {
  if (env_state != ENV_UNSCANNED) {
    return;
  }
  env_state = ENV_PLAIN;
  uint32_t wm = srr_host_wasi_memory();
  if (wm == NO_MEMORY) {
    return;
  }
  uint64_t msize = (uint64_t)srr_host_memory_pages(wm) << 16;
  uint32_t avail = msize < BORROW_MAX ? (uint32_t)msize : BORROW_MAX;
  if (avail < SLOT_DATA) {
    return;
  }
  srr_host_app_read(wm, 0, rs(save_buf), SLOT_DATA);
  int32_t r = srr_wasi_environ_sizes_get((int32_t)SLOT_RESULT, (int32_t)SLOT_RESULT + 4);
  srr_host_app_read(wm, SLOT_RESULT, rs(io_buf), 8);
  srr_host_app_write(wm, 0, rs(save_buf), SLOT_DATA);
  if (r != 0) {
    return;
  }
  uint32_t count = get_u32(io_buf);
  uint32_t size = get_u32(io_buf + 4);
  uint32_t room = avail - SLOT_DATA;
  if (count == 0 || count > room / 4 || size > room - 4 * count) {
    return;
  }
  uint32_t strings = SLOT_DATA + 4 * count; /* app addresses */
  uint32_t region = strings + size;
  /* The borrowed bytes go to env_buf, the host's answer to save_buf. */
  srr_host_app_read(wm, 0, rs(env_buf), region);
  r = srr_wasi_environ_get((int32_t)SLOT_DATA, (int32_t)strings);
  srr_host_app_read(wm, SLOT_DATA, rs(save_buf), region - SLOT_DATA);
  srr_host_app_write(wm, 0, rs(env_buf), region);
  if (r != 0) {
    return;
  }
  uint32_t total = 0, hidden = 0, hidden_bytes = 0, kept = 0;
  int32_t path_err = 0;
  uint32_t path_len_found = 0;
  for (uint32_t i = 0; i < count; i++) {
    uint32_t p = get_u32(save_buf + 4 * i);
    if (p < strings || p >= region) {
      return;
    }
    const uint8_t *e = save_buf + (p - SLOT_DATA);
    uint32_t max = region - p, len = 0;
    while (len < max && e[len]) {
      len++;
    }
    if (len == max) {
      return;
    }
    total += len + 1;
    if (!env_is_trace_entry(e, len)) {
      __builtin_memcpy(env_buf + kept, e, len + 1);
      kept += len + 1;
      continue;
    }
    if (hidden == 0) {
      uint32_t vlen = len - ENV_NAME_LEN;
      if (vlen > ENV_PATH_MAX) {
        path_err = SRR_WASI_ENAMETOOLONG;
      } else {
        __builtin_memcpy(env_path, e + ENV_NAME_LEN, vlen);
        path_len_found = vlen;
      }
    }
    hidden++;
    hidden_bytes += len + 1;
  }
  if (total != size || hidden == 0) {
    return;
  }
  env_state = ENV_HIDE;
  env_count = count;
  env_size = size;
  env_hidden = hidden;
  env_hidden_bytes = hidden_bytes;
  env_path_len = path_len_found;
  env_path_err = path_err;
}

/* Once, at the first flush (or before pinning): SHADOWRR_TRACE=<path>
 * replaces the trace path (an empty value changes nothing; one too long
 * fails the trace). */
static void apply_env_path(void) {
  if (env_applied) {
    return;
  }
  env_applied = 1;
  env_scan();
  if (env_path_err) {
    if (!err) {
      err = env_path_err;
    }
  } else if (env_path_len) {
    path = env_path;
    path_len = env_path_len;
  }
}

/* do_flush's WASI part, out of line: a run without WASI never takes it, and
 * an engine that compiles lazily compiles a function whole on its first
 * call, inside the guest's time. */
__attribute__((noinline)) static int32_t flush_to_wasi(void) {
  if (sink == SINK_UNDECIDED) {
    apply_env_path();
  }
  if (err) { /* WASI sink broken: nowhere to write */
    drop_pending();
    return err;
  }
  if (sink == SINK_UNDECIDED && path_len == 0) {
    sink = SINK_DRAIN;
    return err;
  }
  int32_t r = wasi_write(out_base, (uint32_t)(out_end - out_base));
  if (r == SRR_WASI_ENOSYS && sink == SINK_UNDECIDED && !opened_once) {
    sink = SINK_DRAIN; /* the transform's stubs: no WASI in this module */
    return err;
  }
  sink = SINK_WASI;
  err = r;
  drop_pending();
  return err;
}

static int32_t do_flush(void) {
  if (!inited) {
    init();
  }
  close_chunk();
  if (out_end == out_base || sink == SINK_DRAIN) {
    return err;
  }
  return flush_to_wasi();
}

/* ---- the slow path --------------------------------------------------------- */

/* Index of the first differing byte in [i, n), or n. */
static uint32_t first_diff(const uint8_t *a, const uint8_t *b, uint32_t i, uint32_t n) {
  for (; i + 8 <= n; i += 8) {
    uint64_t x = load64(a + i) ^ load64(b + i);
    if (x) {
      return i + ((uint32_t)__builtin_ctzll(x) >> 3);
    }
  }
  for (; i < n; i++) {
    if (a[i] != b[i]) {
      return i;
    }
  }
  return n;
}

/* Index of the first equal byte in [i, n), or n. */
static uint32_t first_equal(const uint8_t *a, const uint8_t *b, uint32_t i, uint32_t n) {
  for (; i + 8 <= n; i += 8) {
    uint64_t z = zero_bytes(load64(a + i) ^ load64(b + i));
    if (z) {
      return i + ((uint32_t)__builtin_ctzll(z) >> 3);
    }
  }
  for (; i < n; i++) {
    if (a[i] == b[i]) {
      return i;
    }
  }
  return n;
}

static void read_windows(uint32_t memory, uint64_t at, uint32_t n) {
  srr_host_app_read(memory, (uint32_t)at, rs(win_app), n);
  srr_host_shadow_read(memory, (uint32_t)at, rs(win_shadow), n);
}

/* Start of the differing run that contains byte `addr`, or addr + 1 if that
 * byte does not differ. */
static uint64_t run_start_back(uint32_t memory, uint32_t addr) {
  uint64_t hi = (uint64_t)addr + 1;
  uint32_t w = WIN_FIRST;
  for (;;) {
    uint64_t lo = hi > w ? hi - w : 0;
    uint32_t n = (uint32_t)(hi - lo);
    read_windows(memory, lo, n);
    uint32_t i = n;
    while (i >= 8 && !zero_bytes(load64(win_app + i - 8) ^ load64(win_shadow + i - 8))) {
      i -= 8;
    }
    for (; i > 0; i--) {
      if (win_app[i - 1] == win_shadow[i - 1]) {
        return lo + i;
      }
    }
    if (lo == 0) {
      return 0;
    }
    hi = lo;
    w = w < WIN ? w * 2 : WIN;
  }
}

/* The bytes [s, e) differ: record them (if recording) and copy them into the
 * shadow. */
static void emit_run(uint32_t memory, uint64_t s, uint64_t e) {
  while (s < e) {
    uint64_t len = e - s;
    if (!recording()) { /* just sync the shadow */
      uint32_t piece = len < BORROW_MAX ? (uint32_t)len : BORROW_MAX;
      srr_host_app_read(memory, (uint32_t)s, rs(save_buf), piece);
      srr_host_shadow_write(memory, (uint32_t)s, rs(save_buf), piece);
      s += piece;
      continue;
    }
    /* A run that fits in a chunk goes whole into this one or the next; a
     * longer one fills this chunk (unless little is left) and goes on in
     * the next ones. */
    uint32_t used = chunk_used();
    uint32_t room = used + MW_HDR < EV_CAP ? EV_CAP - used - MW_HDR : 0;
    int fits = len <= EV_CAP - MW_HDR;
    if (used && (fits ? len > room : room < MW_MIN_PIECE)) {
      do_flush();
      if (!recording()) {
        continue;
      }
      used = chunk_used();
      room = used + MW_HDR < EV_CAP ? EV_CAP - used - MW_HDR : 0;
    }
    uint32_t piece = fits ? (uint32_t)len : room < MW_MIN_PIECE ? MW_MIN_PIECE : room;
    if (!ensure(addr64(ev_pos) + MW_HDR + piece)) {
      fail_nomem();
      continue;
    }
    ev_start = ev_pos;
    *ev_pos++ = SRR_EV_MEMORY_WRITE;
    ev_pos += srr_put_uleb(ev_pos, memory);
    ev_pos += srr_put_uleb(ev_pos, s);
    ev_pos += srr_put_uleb(ev_pos, piece);
    srr_host_app_read(memory, (uint32_t)s, rs(ev_pos), piece);
    srr_host_shadow_write(memory, (uint32_t)s, rs(ev_pos), piece);
    ev_pos += piece;
    s += piece;
  }
}

/* The end of [addr, addr+size) clipped to the memory (initialising the
 * recorder first), or 0 if none of it lies inside. */
static uint64_t clipped_end(uint32_t memory, uint32_t addr, uint32_t size) {
  if (!inited) {
    init();
  }
  uint64_t msize = (uint64_t)srr_host_memory_pages(memory) << 16;
  if (size == 0 || addr >= msize) {
    return 0;
  }
  uint64_t end = (uint64_t)addr + size;
  return end < msize ? end : msize;
}

/* Records and syncs every maximal differing run that touches [addr,
 * addr+size): the first one may start before addr, the last one may end
 * after addr+size. */
static void sync_range(uint32_t memory, uint32_t addr, uint32_t size) {
  uint64_t end = clipped_end(memory, addr, size);
  if (!end) {
    return;
  }
  uint64_t msize = (uint64_t)srr_host_memory_pages(memory) << 16;
  if (!srr_host_shadowed(memory)) { /* nothing to compare with: all of it */
    emit_run(memory, addr, end);
    return;
  }
  uint64_t p = run_start_back(memory, addr);
  if (p > addr) {
    p = addr;
  }
  int in_run = 0;
  uint64_t run = 0;
  uint32_t w = WIN_FIRST;
  while (p < msize && (in_run || p < end)) {
    uint32_t n = (uint32_t)(msize - p < w ? msize - p : w);
    read_windows(memory, p, n);
    uint32_t i = 0;
    while (i < n) {
      if (!in_run) {
        /* A run starting at or after `end` does not touch the range. */
        if (p + i >= end) {
          break;
        }
        uint32_t lim = end - p < n ? (uint32_t)(end - p) : n;
        uint32_t j = first_diff(win_app, win_shadow, i, lim);
        if (j == lim) {
          i = lim;
          continue;
        }
        in_run = 1;
        run = p + j;
        i = j;
      } else {
        uint32_t j = first_equal(win_app, win_shadow, i, n);
        if (j == n) {
          break;
        }
        emit_run(memory, run, p + j);
        in_run = 0;
        i = j;
      }
    }
    p += n;
    w = w < WIN ? w * 2 : WIN;
  }
  if (in_run) {
    emit_run(memory, run, p);
  }
  durable_flush();
}

/* ---- 1. exported to generated code ------------------------------------------ */

/* The end of instantiation (the generated start function): the trace's
 * buffer and header are prepared now, so that the guest's first event does
 * not pay for it (an import-free program's whole run can be shorter). */
SRR_EXPORT(srr_rec_started)
void srr_rec_started(void) {
  started = 1;
  if (!inited) {
    init();
  }
}

/* srr_rec_begin and srr_rec_end, which the guest's import wrappers call,
 * are kept whole (no part out of line, unlike flush_to_wasi), which keeps
 * each above the 500 bytes up to which V8's optimising compiler inlines a
 * wasm function into its caller: inlined into a guest function that calls
 * an import, they used up its inlining budget, and shootout-ctype's hot
 * callees stayed calls (2.3x under --no-liftoff, against 1.0x with them
 * whole). host_declarations.mjs checks their size. */
SRR_EXPORT(srr_rec_begin)
void srr_rec_begin(uint32_t kind, uint32_t index, uint32_t max_size) {
  in_event = 0; /* an event never ended is taken as complete */
  watch = W_NONE;
  /* An import the host itself called, between export calls (see
     srr_rec_started), and its return: not recorded. */
  if (kind == SRR_EV_IMPORT_CALL && depth == 0 && started) {
    host_called_imports++;
    return;
  }
  if (kind == SRR_EV_IMPORT_RETURN && depth == 0 && host_called_imports > 0) {
    host_called_imports--;
    return;
  }
  if (kind == SRR_EV_EXPORT_CALL || kind == SRR_EV_IMPORT_CALL) {
    depth++;
  } else if ((kind == SRR_EV_EXPORT_RETURN || kind == SRR_EV_IMPORT_RETURN) && depth > 0) {
    depth--;
  }
  if (!event_room(max_size < 1 + SRR_MAX_ULEB ? 1 + SRR_MAX_ULEB : max_size)) {
    return;
  }
  if (kind == SRR_EV_IMPORT_CALL) {
    for (uint32_t i = 0; i < watched_count; i++) {
      if (watched_index[i] == index) {
        watch = watched_kind[i];
        watch_return = 0;
        watch_index = index;
        watch_nargs = 0;
      }
    }
  } else if (kind == SRR_EV_IMPORT_RETURN && index == pending_index) {
    watch = pending_kind;
    watch_return = 1;
    watch_nargs = 0;
    pending_index = 0xFFFFFFFFu;
  }
  in_event = 1;
  *ev_pos++ = (uint8_t)kind;
  ev_pos += srr_put_uleb(ev_pos, index);
}

SRR_EXPORT(srr_rec_i32)
void srr_rec_i32(uint32_t value) {
  if (watch && watch_nargs < 4) {
    watch_args[watch_nargs++] = value;
  }
  if (value_room()) {
    ev_pos += srr_put_uleb(ev_pos, value);
  }
}

SRR_EXPORT(srr_rec_i64)
void srr_rec_i64(uint64_t value) {
  if (value_room()) {
    ev_pos += srr_put_uleb(ev_pos, value);
  }
}

SRR_EXPORT(srr_rec_f32)
void srr_rec_f32(float value) {
  if (value_room()) {
    uint32_t bits;
    __builtin_memcpy(&bits, &value, 4);
    ev_pos += srr_put_u32(ev_pos, bits);
  }
}

SRR_EXPORT(srr_rec_f64)
void srr_rec_f64(double value) {
  if (value_room()) {
    uint64_t bits;
    __builtin_memcpy(&bits, &value, 8);
    ev_pos += srr_put_u32(ev_pos, (uint32_t)bits);
    ev_pos += srr_put_u32(ev_pos, (uint32_t)(bits >> 32));
  }
}

SRR_EXPORT(srr_rec_v128)
void srr_rec_v128(uint64_t low, uint64_t high) {
  if (value_room()) {
    ev_pos += srr_put_u32(ev_pos, (uint32_t)low);
    ev_pos += srr_put_u32(ev_pos, (uint32_t)(low >> 32));
    ev_pos += srr_put_u32(ev_pos, (uint32_t)high);
    ev_pos += srr_put_u32(ev_pos, (uint32_t)(high >> 32));
  }
}

static int is_out_fd(uint32_t fd) { return fd == out_fds[0] || fd == out_fds[1]; }

/* fd_close(a) or fd_renumber(a, b) succeeded: where stdout and stderr are
 * now (as the replayer's follow_output_fds). */
static void follow_out_fds(int w, uint32_t a, uint32_t b) {
  if (w == W_FD_RENUMBER && a == b) {
    return;
  }
  for (int k = 0; k < 2; k++) {
    if (w == W_FD_CLOSE) {
      if (out_fds[k] == a) {
        out_fds[k] = -1;
      }
    } else if (out_fds[k] == b) {
      out_fds[k] = -1; /* replaced */
    } else if (out_fds[k] == a) {
      out_fds[k] = b; /* moved */
    }
  }
}

/* Syncs the buffers of the `count` iovecs at `iovs` (those inside the
 * memory), their first `limit` bytes in order. */
static void sync_iovec_buffers(uint32_t memory, uint32_t iovs, uint32_t count, uint64_t limit) {
  uint64_t msize = (uint64_t)srr_host_memory_pages(memory) << 16;
  for (uint32_t i = 0; i < count && limit && (uint64_t)iovs + 8 * (uint64_t)(i + 1) <= msize; i++) {
    srr_host_app_read(memory, iovs + 8 * i, rs(io_buf), 8);
    uint32_t ptr = get_u32(io_buf), len = get_u32(io_buf + 4);
    if (len > limit) {
      len = (uint32_t)limit;
    }
    if (len) {
      sync_range(memory, ptr, len);
    }
    limit -= len;
  }
}

/* fd_write(fd, iovs, iovs_len, nwritten) is about to be called, and its
 * IMPORT_CALL event is the open one: records the bytes its iovecs point to
 * where they differ from the shadow, then puts the event back after them
 * (see the top). */
static void reconcile_fd_write(void) {
  uint32_t n = (uint32_t)(ev_pos - ev_start);
  uint8_t event[WATCH_EVENT_MAX];
  uint32_t wm = srr_host_wasi_memory();
  /* A memory without shadow has no host write pending: the guest wrote
   * every byte of the buffers itself, and replay must not get them early. */
  if (n > sizeof event || wm == NO_MEMORY || !srr_host_shadowed(wm)) {
    return;
  }
  __builtin_memcpy(event, ev_start, n);
  ev_pos = ev_start;
  in_event = 0;
  uint32_t iovs = watch_args[1], count = min32(watch_args[2], MAX_IOVECS);
  if (count) {
    sync_range(wm, iovs, 8 * count); /* (clipped to the memory) */
  }
  sync_iovec_buffers(wm, iovs, count, UINT64_MAX);
  if (event_room(n)) {
    __builtin_memcpy(ev_pos, event, n);
    ev_pos += n;
  }
}

SRR_EXPORT(srr_rec_end)
void srr_rec_end(void) {
  if (!in_event) {
    return;
  }
  int w = watch;
  watch = W_NONE;
  if (w != W_NONE && !watch_return) { /* the call, about to be made */
    uint32_t want = w == W_FD_WRITE ? 4 : w == W_FD_CLOSE ? 1 : 2;
    if (watch_nargs == want) {
      if (w == W_FD_WRITE && is_out_fd(watch_args[0])) {
        reconcile_fd_write(); /* ends the event */
      }
      pending_index = watch_index;
      pending_kind = w;
      __builtin_memcpy(pending_args, watch_args, sizeof pending_args);
    }
    in_event = 0;
    if (w == W_FD_CLOSE && watch_nargs == 1) {
      maybe_pin((int32_t)watch_args[0], -1);
    } else if (w == W_FD_RENUMBER && watch_nargs == 2) {
      maybe_pin((int32_t)watch_args[0], (int32_t)watch_args[1]);
    }
  } else if (w != W_NONE) { /* its return */
    in_event = 0;
    int ok = watch_nargs >= 1 && watch_args[0] == 0;
    uint32_t wm = srr_host_wasi_memory();
    if (w == W_FD_WRITE && is_out_fd(pending_args[0]) && wm != NO_MEMORY) {
      sync_range(wm, pending_args[3], 4); /* nwritten (in a memory without shadow, recorded twice) */
    } else if (w != W_FD_WRITE && ok) {
      follow_out_fds(w, pending_args[0], pending_args[1]);
    }
  }
  in_event = 0;
  durable_flush();
}

SRR_EXPORT(srr_rec_load_mismatch)
void srr_rec_load_mismatch(uint32_t memory, uint32_t address, uint32_t size) {
  sync_range(memory, address, size);
}

SRR_EXPORT(srr_rec_reconcile)
void srr_rec_reconcile(uint32_t memory, uint32_t address, uint32_t size) {
  /* Every differing byte of the range; runs crossing its ends are taken
   * whole, which is just as correct (a differing byte was written by the
   * host and not touched by the guest since) and saves later slow paths. */
  sync_range(memory, address, size);
}

SRR_EXPORT(srr_rec_overwritten)
void srr_rec_overwritten(uint32_t memory, uint32_t address, uint32_t size) {
  uint64_t end = clipped_end(memory, address, size);
  if (end) {
    emit_run(memory, address, end);
  }
}

SRR_EXPORT(srr_rec_reconcile_read)
void srr_rec_reconcile_read(uint32_t memory, uint32_t iovs, uint32_t count, uint32_t length_at) {
  if (!inited) {
    init();
  }
  uint64_t limit = UINT64_MAX; /* a shadowed memory's buffers are compared whole */
  if (!srr_host_shadowed(memory) && length_at != 0xFFFFFFFFu && clipped_end(memory, length_at, 4) == (uint64_t)length_at + 4) {
    srr_host_app_read(memory, length_at, rs(io_buf), 4);
    limit = get_u32(io_buf);
  }
  sync_iovec_buffers(memory, iovs, count, limit);
}

SRR_EXPORT(srr_rec_reconcile_iovecs)
void srr_rec_reconcile_iovecs(uint32_t memory, uint32_t iovs, uint32_t count) {
  if (!inited) {
    init();
  }
  sync_iovec_buffers(memory, iovs, count, UINT64_MAX);
}

SRR_EXPORT(srr_rec_memory_grow)
void srr_rec_memory_grow(uint32_t memory, uint32_t delta, int32_t result) {
  if (!event_room(1 + 3 * SRR_MAX_ULEB)) {
    return;
  }
  *ev_pos++ = SRR_EV_MEMORY_GROW;
  ev_pos += srr_put_uleb(ev_pos, memory);
  ev_pos += srr_put_uleb(ev_pos, delta);
  ev_pos += srr_put_sleb(ev_pos, result);
  durable_flush();
}

SRR_EXPORT(srr_rec_host_memory_grow)
void srr_rec_host_memory_grow(uint32_t memory, uint32_t new_pages) {
  if (!event_room(1 + 2 * SRR_MAX_ULEB)) {
    return;
  }
  *ev_pos++ = SRR_EV_HOST_MEMORY_GROW;
  ev_pos += srr_put_uleb(ev_pos, memory);
  ev_pos += srr_put_uleb(ev_pos, new_pages);
  durable_flush();
}

SRR_EXPORT(srr_rec_host_table_set)
void srr_rec_host_table_set(uint32_t table, uint32_t element, uint32_t non_null) {
  if (!event_room(2 + 2 * SRR_MAX_ULEB)) {
    return;
  }
  ev_pos += srr_put_host_table_set(ev_pos, table, element, non_null != 0);
  durable_flush();
}

SRR_EXPORT(srr_rec_host_table_grow)
void srr_rec_host_table_grow(uint32_t table, uint32_t new_size) {
  if (!event_room(1 + 2 * SRR_MAX_ULEB)) {
    return;
  }
  ev_pos += srr_put_host_table_grow(ev_pos, table, new_size);
  durable_flush();
}

/* The preopen to hide (recorder_abi.h, srr_rec_hidden_fd): the trace's, if
 * its name is HIDDEN_PREOPEN; -1 none, -2 not looked for yet. */
#define HIDDEN_PREOPEN "/.shadowrr"
#define HIDDEN_PREOPEN_LEN (sizeof HIDDEN_PREOPEN - 1)

SRR_EXPORT(srr_rec_hidden_fd)
int32_t srr_rec_hidden_fd(void) {
  if (hidden_fd != -2) {
    return hidden_fd;
  }
  hidden_fd = -1;
  apply_env_path();
  /* Only a trace path inside HIDDEN_PREOPEN can be in it. */
  if (err || path_len <= HIDDEN_PREOPEN_LEN || path[HIDDEN_PREOPEN_LEN] != '/') {
    return hidden_fd;
  }
  for (uint32_t i = 0; i < HIDDEN_PREOPEN_LEN; i++) {
    if (path[i] != (uint8_t)HIDDEN_PREOPEN[i]) {
      return hidden_fd;
    }
  }
  /* The preopen found must be the one named HIDDEN_PREOPEN (the longest
   * prefix of the path, ending at its '/'), not a shorter one ("/"). */
  int32_t dirfd = trace_preopen();
  if (dirfd >= 3 && trace_skip >= HIDDEN_PREOPEN_LEN) {
    hidden_fd = dirfd;
  }
  return hidden_fd;
}

/* The guest's environ_sizes_get returned 0: remove the SHADOWRR_TRACE
 * entries from its answer (they were counted by the host). */
SRR_EXPORT(srr_rec_environ_sizes_fixup)
void srr_rec_environ_sizes_fixup(uint32_t count_ptr, uint32_t size_ptr) {
  env_scan();
  if (env_state != ENV_HIDE) {
    return;
  }
  uint32_t wm = srr_host_wasi_memory();
  uint64_t msize = (uint64_t)srr_host_memory_pages(wm) << 16;
  if ((uint64_t)count_ptr + 4 > msize || (uint64_t)size_ptr + 4 > msize) {
    return;
  }
  srr_host_app_read(wm, count_ptr, rs(io_buf), 4);
  srr_host_app_read(wm, size_ptr, rs(io_buf + 4), 4);
  if (get_u32(io_buf) != env_count || get_u32(io_buf + 4) != env_size) {
    return; /* not the environment env_scan saw: leave it */
  }
  srr_put_u32(io_buf, env_count - env_hidden);
  srr_put_u32(io_buf + 4, env_size - env_hidden_bytes);
  srr_host_app_write(wm, count_ptr, rs(io_buf), 4);
  srr_host_app_write(wm, size_ptr, rs(io_buf + 4), 4);
}

/* The guest is about to call environ_get: keep the bytes the host will write
 * past the buffers the guest sized without SHADOWRR_TRACE. */
SRR_EXPORT(srr_rec_environ_prepare)
void srr_rec_environ_prepare(uint32_t environ, uint32_t environ_buf) {
  env_scan();
  env_prepared = 0;
  if (env_state != ENV_HIDE) {
    return;
  }
  uint32_t wm = srr_host_wasi_memory();
  uint64_t msize = (uint64_t)srr_host_memory_pages(wm) << 16;
  if ((uint64_t)environ + 4 * (uint64_t)env_count > msize || (uint64_t)environ_buf + env_size > msize) {
    return; /* the host cannot write there either */
  }
  uint32_t kept = env_size - env_hidden_bytes;
  srr_host_app_read(wm, environ + 4 * (env_count - env_hidden), rs(env_buf + kept), 4 * env_hidden);
  srr_host_app_read(wm, environ_buf + kept, rs(env_buf + kept + 4 * env_hidden), env_hidden_bytes);
  env_prepared = 1;
  env_prep_environ = environ;
  env_prep_buf = environ_buf;
}

/* The guest's environ_get returned 0: its pointers and strings become those
 * of the environment without the SHADOWRR_TRACE entries (the others keep
 * their order, packed from environ_buf up), and the bytes the host wrote
 * past them get back what they held before the call. */
SRR_EXPORT(srr_rec_environ_fixup)
void srr_rec_environ_fixup(uint32_t environ, uint32_t environ_buf) {
  env_scan();
  int prepared = env_prepared && env_prep_environ == environ && env_prep_buf == environ_buf;
  env_prepared = 0;
  if (env_state != ENV_HIDE) {
    return;
  }
  uint32_t wm = srr_host_wasi_memory();
  uint64_t msize = (uint64_t)srr_host_memory_pages(wm) << 16;
  uint32_t count = env_count - env_hidden, kept = env_size - env_hidden_bytes;
  if ((uint64_t)environ + 4 * (uint64_t)env_count > msize || (uint64_t)environ_buf + env_size > msize) {
    return; /* cannot be: the host wrote there */
  }
  uint32_t at = 0;
  for (uint32_t i = 0; i < count; i++) {
    srr_put_u32(save_buf + 4 * i, environ_buf + at);
    while (env_buf[at]) {
      at++;
    }
    at++;
  }
  /* The bytes past the buffers first: where they overlap the other buffer
   * (no room left between the guest's two), the answer wins. */
  if (prepared) {
    srr_host_app_write(wm, environ + 4 * count, rs(env_buf + kept), 4 * env_hidden);
    srr_host_app_write(wm, environ_buf + kept, rs(env_buf + kept + 4 * env_hidden), env_hidden_bytes);
  }
  srr_host_app_write(wm, environ_buf, rs(env_buf), kept);
  srr_host_app_write(wm, environ, rs(save_buf), 4 * count);
}

/* Drops the event being written, if one is open (a trap cut it short). */
static void drop_open_event(void) {
  if (in_event) {
    ev_pos = ev_start;
    in_event = 0;
  }
}

SRR_EXPORT(srr_rec_finish)
void srr_rec_finish(void) {
  if (!inited) {
    init();
  }
  if (!finished) {
    drop_open_event();
    if (event_room(1)) {
      *ev_pos++ = SRR_EV_END;
    }
    finished = 1;
  }
  do_flush();
}

/* ---- 4. for launchers and embedders ------------------------------------------ */

/* Writes the buffered events now. Returns 0, or the sticky WASI errno of a
 * trace that could not be written (or recorded) completely. */
SRR_EXPORT(shadowrr_flush)
int32_t shadowrr_flush(void) {
  return do_flush();
}

/* After a trap (see shadowrr_on_trap): TRAP if an export or import call of
 * this module was under way (the trap unwound it), and the recorder's state
 * back to "between export calls": the event the trap cut short dropped, no
 * watched call pending, the nesting depth 0. Recording goes on. */
__attribute__((noinline)) static int32_t on_trap(void) {
  if (!inited) {
    init();
  }
  drop_open_event();
  watch = W_NONE;
  pending_index = 0xFFFFFFFFu;
  env_prepared = 0;
  if (depth > 0 && !finished && event_room(2)) {
    *ev_pos++ = SRR_EV_TRAP;
    *ev_pos++ = 0; /* str message: the launcher's message is not passed in */
  }
  depth = 0;
  host_called_imports = 0;
  return do_flush();
}

/* A launcher caught a trap: appends TRAP and flushes; the host may go on
 * calling exports, recorded in the same trace. Called by the host at top
 * level, when no recorder frame is live: a trap inside the recorder (the
 * engine's stack running out there) leaves the C stack pointer low, put back
 * here. Returns like shadowrr_flush. */
SRR_EXPORT(shadowrr_on_trap)
int32_t shadowrr_on_trap(void) {
  srr_stack_reset();
  return on_trap();
}

/* Drain sink: the pending file bytes are [ptr, ptr+size) in shadowrr_memory.
 * drain_size first closes the current chunk, so what it counts includes every
 * event recorded so far; it is 0 when the trace goes to a file. ptr never
 * changes. After copying them out, the embedder calls drain_reset. */
SRR_EXPORT(shadowrr_drain_ptr)
uint32_t shadowrr_drain_ptr(void) {
  if (!inited) {
    init();
  }
  return rs(out_base);
}

SRR_EXPORT(shadowrr_drain_size)
uint32_t shadowrr_drain_size(void) {
  do_flush();
  return sink == SINK_DRAIN ? (uint32_t)(out_end - out_base) : 0;
}

SRR_EXPORT(shadowrr_drain_reset)
void shadowrr_drain_reset(void) {
  if (inited && sink == SINK_DRAIN) {
    drop_pending();
  }
}
