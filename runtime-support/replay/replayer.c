/*
 * replayer.c: the replayer that runs inside every replay module
 * (replayer_abi.h is the contract; docs/trace-format.md the format).
 *
 * Freestanding C for wasm32 (no libc; copies are __builtin_memcpy/memmove/
 * memset, which -mbulk-memory turns into memory.copy/fill). Built by
 * CMakeLists.txt here into replayer.wasm, whose memory is exported as
 * "shadowrr_memory". The trace is decoded by the shared freestanding decoder
 * (../trace/srr_trace_decode.c).
 *
 * Replayer memory, above the (small) stack and static data, allocated by a
 * bump pointer that never frees (but for the environment, read once):
 *
 *   __heap_base: module header | trace path | trace file bytes | tables
 *
 * The trace's raw chunks are compacted in place at load: their event bytes
 * are moved down over the chunk headers, so the events are one contiguous
 * run [ev_base, ev_base + ev_size), and MEMORY_WRITE bytes are written to
 * the application straight from there.
 *
 * The engine keeps a cursor on the next event. Active events (IMPORT_CALL,
 * IMPORT_RETURN, EXPORT_CALL, EXPORT_RETURN, MEMORY_GROW, END, TRAP) are
 * matched against what the guest does; after each one is consumed, the
 * passive events that follow (MEMORY_WRITE, HOST_MEMORY_GROW,
 * GLOBAL_CHANGE) are applied at once: that is where the recording found
 * them. Anything else is a divergence, reported once (stderr through WASI,
 * and the section 4 exports) before exiting with SRR_REPLAY_EXIT_DIVERGED.
 *
 * WASI calls borrow the start of the memory exported as "memory" (the
 * guest's), saving and restoring it byte for byte around each use, as the
 * recorder does.
 *
 * The output passthrough is done here, not by the stubs: the bytes of a
 * guest's fd_write to 1 or 2 are copied at srr_rep_call_check and written
 * at srr_rep_call_end, as many as the recorded host took (replayer_abi.h).
 * "1 or 2" follows the guest's successful fd_close and fd_renumber calls
 * (out_fds): a file renumbered onto fd 1 is not stdout.
 */
#include <stddef.h>
#include <stdint.h>

#include "replayer_abi.h"
#include "replayer_imports.h"
#include "srr_trace.h"
#include "srr_trace_decode.h"
#include "wasi_preopen.h"
#include "wasm_own_memory.h"
#include "wasm_stack.h"

#define SRR_EXPORT(name) __attribute__((export_name(#name)))
#define NORETURN __attribute__((noreturn))
/* Messages are rare: their helpers stay out of line, keeping the module small. */
#define COLD __attribute__((noinline, cold))

/* Section 4 of replayer_abi.h (the ABI names them without prototypes). */
int32_t shadowrr_exit_code(void);
int32_t shadowrr_status(void);
int32_t shadowrr_resume(void);
uint32_t shadowrr_message_ptr(void);
uint32_t shadowrr_message_size(void);

#define NO_MEMORY 0xFFFFFFFFu
#define NONE 0xFFFFFFFFu
#define FUNCREF_CALL 0xFFFFFFFEu /* call_index while a HOST_FUNCREF_CALL is built */
#define PAGE 65536u
/* The piece of the WASI memory borrowed for a WASI call: [0, BORROW_MAX) at
 * most. Layout: */
#define BORROW_MAX 65536u
#define SLOT_RESULT SRR_SLOT_RESULT /* wasi_preopen.h */
#define SLOT_IOVEC SRR_SLOT_IOVEC
#define SLOT_DATA SRR_SLOT_DATA
/* Nesting of import calls (each may call exports, which call imports...). */
#define MAX_DEPTH 1024u
#define MSG_MAX 4096u

static const char kEnvVar[] = "SHADOWRR_REPLAY_TRACE=";

extern unsigned char __heap_base;

/* ST_TRAPPED: stopped at a recorded trap that the replay reproduced, with
 * more of the trace after it; shadowrr_resume goes on. */
enum state { ST_FRESH, ST_RUNNING, ST_TRAPPED, ST_ENDED, ST_FAILED };
enum special { IMP_OTHER, IMP_FD_WRITE, IMP_PROC_EXIT, IMP_FD_CLOSE, IMP_FD_RENUMBER };

typedef struct rep_import {
  const uint8_t *module;
  size_t module_length;
  const uint8_t *name;
  size_t name_length;
  srr_trace_signature sig;
  uint8_t special; /* enum special */
  uint8_t present;
  uint8_t seen; /* in the trace's header */
} rep_import;

typedef struct rep_export {
  const uint8_t *name;
  size_t name_length;
  srr_trace_signature sig;
  uint8_t present;
  uint8_t seen;
} rep_export;

typedef struct rep_global {
  uint32_t index;
  uint8_t type;
  uint8_t seen;
} rep_global;

/* A host-writable externref table, by its index among the module's tables. */
typedef struct rep_table {
  uint32_t index;
  uint8_t seen;
} rep_table;

typedef struct frame {
  uint32_t index; /* the import being called */
  uint32_t arg0;  /* its first argument, if an i32 (proc_exit's code) */
  uint32_t arg1;  /* its second, if an i32 (fd_renumber's `to`) */
  /* Output passthrough of fd_write (fd arg0, nwritten at `result`): the
   * bytes of its iovecs at the call, in replayer memory, freed (back to
   * `mark`) when it returns. */
  uint32_t result;
  uint8_t *out;
  uint32_t out_length;
  uint64_t mark;
} frame;

/* What the guest did, for messages. */
enum action_kind { ACT_CALL, ACT_RETURN, ACT_GROW, ACT_IDLE, ACT_TRAPPED, ACT_FUNCREF_CALL };
typedef struct action {
  int kind;
  uint32_t index;          /* ACT_CALL: import; ACT_RETURN: export; ACT_FUNCREF_CALL: table */
  const srr_value *values; /* its arguments or results */
  uint32_t count;
  uint32_t memory; /* ACT_GROW */
  uint64_t delta;  /* ACT_GROW; ACT_FUNCREF_CALL: the element */
} action;

/* ---- state ------------------------------------------------------------------ */

static int state; /* enum state */
static int32_t status_code;     /* 0, or SRR_REPLAY_EXIT_* once failed */
static int32_t exit_code = -1;  /* the recorded exit code, once ended */
static uint32_t flags;          /* srr_host_flags() */
static int no_wasi;             /* a WASI call answered ENOSYS */
/* The guest fds that are the recorded run's stdout and stderr: 1 and 2 until
 * the guest closes them or renumbers another fd over them (then -1), or
 * renumbers them elsewhere (then the new number), as the recorded host said
 * it did (fd_close / fd_renumber returning 0). The output passthrough
 * follows them: an fd_write to a file renumbered onto fd 1 is not output,
 * and one to stdout moved to fd 7 is. */
static int64_t out_fds[2] = {1, 2};
static int run_started;

static uint64_t heap;    /* the next free byte */
static uint64_t mem_top; /* bytes of replayer memory known to exist */
static uint64_t heap_high; /* above it, replayer memory was never written (alloc) */

static char msg[MSG_MAX + 1]; /* (+1: the newline when printed) */
static uint32_t msg_len;
static const uint8_t *label; /* the trace's path, or "embedded trace" */
static size_t label_length;

/* The module, from srr_host_header_copy (dense tables by index). */
static rep_import *imports;
static uint32_t import_count;
static rep_export *exports;
static uint32_t export_count;
static rep_global *globals;
static uint32_t global_count;
static rep_table *tables;
static uint32_t table_count;
static uint8_t *memory_seen;
static uint32_t memory_count;
static const uint8_t *module_sha256;
static uint32_t max_values;
static int funcref_tables;     /* the trace has a funcref TABLE */
static uint32_t may_call_host; /* as last told (srr_host_set_may_call_host) */

/* The events. */
static const uint8_t *ev_base;
static size_t ev_size;
static size_t ev_pos;         /* where the next unconsumed event starts */
static uint64_t ev_number;    /* its number (0 for the first, as `shadowrr dump` shows) */
static uint16_t trace_major, trace_minor;
static int trace_cut;         /* the file ends in a damaged chunk */
static char cut_reason[200];  /* why, when trace_cut */
static uint32_t cut_reason_len;

/* The next event, decoded (cur_valid), and where it ends. */
static srr_decoded_event cur;
static srr_value *cur_values;
static size_t cur_end;
static int cur_valid;

/* The import call being checked (call_begin .. call_check). */
static uint32_t call_index = NONE;
static srr_value *args;
static uint32_t arg_count;
/* Recorded values the replay module takes one at a time, through the
 * getters VALUE_GETTERS makes. */
typedef struct value_queue {
  srr_value *values;
  uint32_t count, pos;
  const char *misuse; /* the message when the module asks for another value */
} value_queue;
/* The recorded results of the last import returned. */
static value_queue rets = {NULL, 0, 0, "srr_rep_ret_*: no such result"};
/* The arguments of the export being called, and the results it gives. */
static value_queue xargs = {NULL, 0, 0, "srr_rep_export_arg_*: no such argument"};
static srr_value *xres;
static uint32_t xres_count;

static frame frames[MAX_DEPTH];
static uint32_t depth;
/* The exports being called (call_export), innermost last: where a trap is. */
static uint32_t export_stack[MAX_DEPTH];
static uint32_t export_depth;

static uint8_t save_buf[BORROW_MAX]; /* the borrowed app bytes */
static uint8_t io_buf[16];

static inline uint32_t rs(const void *p) { return (uint32_t)(uintptr_t)p; }
static inline uint64_t addr64(const void *p) { return (uint64_t)(uintptr_t)p; }
static inline uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }

static int bytes_equal(const uint8_t *a, size_t a_length, const uint8_t *b, size_t b_length) {
  if (a_length != b_length) {
    return 0;
  }
  for (size_t i = 0; i < a_length; i++) {
    if (a[i] != b[i]) {
      return 0;
    }
  }
  return 1;
}

static int is_str(const uint8_t *a, size_t a_length, const char *s) {
  size_t n = 0;
  while (s[n]) {
    n++;
  }
  return bytes_equal(a, a_length, (const uint8_t *)s, n);
}

/* ---- replayer memory ------------------------------------------------------- */

/* Makes replayer memory exist up to `end` (exclusive). */
static int ensure(uint64_t end) { return srr_own_memory_ensure(end, &mem_top); }

/* n bytes, 16-aligned, zeroed; NULL when memory runs out. Bytes at or
 * above heap_high were never handed out, so they are still zero: only the
 * part below it is cleared (a large buffer, such as the value buffers, is
 * not touched page by page until used; a page's first touch is a page
 * fault). */
static void *alloc(uint64_t n) {
  uint64_t p = (heap + 15) & ~(uint64_t)15;
  if (!ensure(p + n + 16)) {
    return NULL;
  }
  heap = p + n;
  if (p < heap_high) {
    __builtin_memset((void *)(uintptr_t)p, 0, (size_t)(heap_high - p < n ? heap_high - p : n));
  }
  if (heap > heap_high) {
    heap_high = heap;
  }
  return (void *)(uintptr_t)p;
}

/* ---- messages ------------------------------------------------------------------ */

static void m_reset(void) { msg_len = 0; }

COLD static void m_bytes(const void *p, size_t n) {
  const uint8_t *s = p;
  for (size_t i = 0; i < n && msg_len < MSG_MAX; i++) {
    msg[msg_len++] = (char)s[i];
  }
}

COLD static void m_str(const char *s) {
  while (*s && msg_len < MSG_MAX) {
    msg[msg_len++] = *s++;
  }
}

COLD static void m_u64(uint64_t v) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n > 0 && msg_len < MSG_MAX) {
    msg[msg_len++] = digits[--n];
  }
}

COLD static void m_i64(uint64_t bits) {
  if (bits >> 63) {
    m_str("-");
    m_u64(~bits + 1);
  } else {
    m_u64(bits);
  }
}

COLD static void m_hex(uint64_t v, int digits) {
  static const char hex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; i--) {
    char c = hex[(v >> (4 * i)) & 15];
    m_bytes(&c, 1);
  }
}

/* Hexadecimal float, as the wasm text format writes it: 0x1.8p+0, -inf,
 * nan, nan:0x200000 (a payload other than the canonical one). */
COLD static void m_float(uint64_t bits, int exp_bits, int mant_bits) {
  uint64_t mant = bits & ((UINT64_C(1) << mant_bits) - 1);
  uint64_t exp = (bits >> mant_bits) & ((UINT64_C(1) << exp_bits) - 1);
  if ((bits >> (exp_bits + mant_bits)) & 1) {
    m_str("-");
  }
  if (exp == (UINT64_C(1) << exp_bits) - 1) {
    if (mant == 0) {
      m_str("inf");
      return;
    }
    m_str("nan");
    if (mant != UINT64_C(1) << (mant_bits - 1)) {
      m_str(":0x");
      int digits = 1;
      while (digits < 16 && (mant >> (4 * digits))) {
        digits++;
      }
      m_hex(mant, digits);
    }
    return;
  }
  if (exp == 0 && mant == 0) {
    m_str("0x0p+0");
    return;
  }
  int pad = (4 - mant_bits % 4) % 4;
  uint64_t frac = mant << pad;
  int digits = (mant_bits + pad) / 4;
  while (digits > 0 && (frac & 15) == 0) {
    frac >>= 4;
    digits--;
  }
  m_str(exp == 0 ? "0x0" : "0x1");
  if (digits) {
    m_str(".");
    m_hex(frac, digits);
  }
  int64_t bias = ((int64_t)1 << (exp_bits - 1)) - 1;
  int64_t e = exp == 0 ? 1 - bias : (int64_t)exp - bias;
  m_str(e < 0 ? "p" : "p+");
  m_i64((uint64_t)e);
}

COLD static void m_value(const srr_value *v) {
  switch (v->type) {
  case SRR_T_I32:
    m_i64(v->as.i32 >> 31 ? (uint64_t)v->as.i32 | UINT64_C(0xFFFFFFFF00000000) : v->as.i32);
    return;
  case SRR_T_I64:
    m_i64(v->as.i64);
    return;
  case SRR_T_F32:
    m_float(v->as.f32_bits, 8, 23);
    return;
  case SRR_T_F64:
    m_float(v->as.f64_bits, 11, 52);
    return;
  case SRR_T_V128:
    m_str("i32x4");
    for (int lane = 0; lane < 4; lane++) {
      m_str(" 0x");
      m_hex(srr_get_u32(v->as.v128 + 4 * lane), 8);
    }
    return;
  case SRR_T_FUNCREF:
  case SRR_T_EXTERNREF:
    m_str(v->as.non_null ? "non-null " : "null ");
    m_str(srr_value_type_name(v->type));
    return;
  default:
    m_str("?");
  }
}

COLD static void m_values(const srr_value *v, uint32_t n) {
  m_str("(");
  for (uint32_t i = 0; i < n; i++) {
    if (i) {
      m_str(", ");
    }
    m_value(&v[i]);
  }
  m_str(")");
}

COLD static void m_import(uint32_t index) {
  if (index < import_count && imports[index].present) {
    m_bytes(imports[index].module, imports[index].module_length);
    m_str(".");
    m_bytes(imports[index].name, imports[index].name_length);
  } else {
    m_str("import ");
    m_u64(index);
  }
}

COLD static void m_export(uint32_t index) {
  m_str("export ");
  if (index < export_count && exports[index].present) {
    m_bytes(exports[index].name, exports[index].name_length);
  } else {
    m_u64(index);
  }
}

COLD static void m_signature(const srr_trace_signature *sig) {
  m_str("(");
  for (uint32_t i = 0; i < sig->param_count; i++) {
    m_str(i ? ", " : "");
    m_str(srr_value_type_name(sig->params[i]));
  }
  m_str(") -> (");
  for (uint32_t i = 0; i < sig->result_count; i++) {
    m_str(i ? ", " : "");
    m_str(srr_value_type_name(sig->results[i]));
  }
  m_str(")");
}

COLD static void m_pages(uint64_t n) {
  m_u64(n);
  m_str(n == 1 ? " page" : " pages");
}

/* "shadowrr replay: " and, for problems of the trace itself, "LABEL: ". */
COLD static void m_start(int with_label) {
  m_reset();
  m_str("shadowrr replay: ");
  if (with_label) {
    m_bytes(label, label_length);
    m_str(": ");
  }
}

/* ---- WASI through borrowed memory --------------------------------------------- */

/* Saves [0, n) of the WASI memory (n <= BORROW_MAX). */
static void borrow(uint32_t wm, uint32_t n) { srr_host_app_read(wm, 0, rs(save_buf), n); }
static void give_back(uint32_t wm, uint32_t n) { srr_host_app_write(wm, 0, rs(save_buf), n); }

/* How much of the WASI memory can be borrowed (0: none). */
static uint32_t borrowable(uint32_t wm) {
  if (wm == NO_MEMORY) {
    return 0;
  }
  uint64_t size = (uint64_t)srr_host_memory_pages(wm) << 16;
  return size < BORROW_MAX ? (uint32_t)size : BORROW_MAX;
}

/* Writes data[0..length) to fd through WASI, borrowing the start of the
 * WASI memory, looping over short writes; gives up quietly on an error (or
 * without WASI). */
static void write_fd(int32_t fd, const uint8_t *data, uint32_t length) {
  uint32_t wm = srr_host_wasi_memory();
  uint32_t avail = borrowable(wm);
  if (no_wasi || avail <= SLOT_DATA || length == 0) {
    return;
  }
  uint32_t piece_max = avail - SLOT_DATA;
  uint32_t region = SLOT_DATA + min32(length, piece_max);
  borrow(wm, region);
  int stalls = 0;
  while (length > 0) {
    uint32_t piece = min32(length, piece_max);
    srr_host_app_write(wm, SLOT_DATA, rs(data), piece);
    uint32_t done = 0;
    while (done < piece) { /* fd_write may write less than asked */
      srr_put_u32(io_buf, SLOT_DATA + done);
      srr_put_u32(io_buf + 4, piece - done);
      srr_host_app_write(wm, SLOT_IOVEC, rs(io_buf), 8);
      int32_t r = srr_wasi_fd_write(fd, (int32_t)SLOT_IOVEC, 1, (int32_t)SLOT_RESULT);
      if (r != 0) {
        if (r == SRR_WASI_ENOSYS) {
          no_wasi = 1;
        }
        goto out;
      }
      srr_host_app_read(wm, SLOT_RESULT, rs(io_buf), 4);
      uint32_t n = srr_get_u32(io_buf);
      if (n > piece - done || (n == 0 && ++stalls > 8)) {
        goto out;
      }
      done += n;
    }
    data += piece;
    length -= piece;
  }
out:
  give_back(wm, region);
}

/* Writes the message and a newline to fd 2, if there is WASI. */
COLD static void print_msg(void) {
  msg[msg_len] = '\n';
  write_fd(2, (const uint8_t *)msg, msg_len + 1);
}

/* Ends the process with `code` (WASI proc_exit); without WASI (the
 * transform's stub returns), traps. */
NORETURN static void exit_process(int32_t code) {
  srr_wasi_proc_exit(code);
  __builtin_trap();
}

/* Records a failure (the message is in msg). */
static void set_failure(int32_t code) {
  state = ST_FAILED;
  status_code = code;
  exit_code = -1;
}

/* Reports the failure recorded last and exits with its code. */
COLD NORETURN static void die(void) {
  print_msg();
  exit_process(status_code);
}

COLD NORETURN static void fail(int32_t code) {
  set_failure(code);
  die();
}

/* Generated code broke the ABI (a transform bug). */
COLD NORETURN static void internal(const char *what) {
  m_start(0);
  m_str("internal error: ");
  m_str(what);
  set_failure(SRR_REPLAY_EXIT_BAD_TRACE);
  print_msg();
  __builtin_trap();
}

/* internal, for the small entry points that import stubs call (see
 * ensure_running): through a pointer, as V8 inlines no indirect call. */
static void (*const volatile internal_far_pointer)(const char *what) = internal;
#define internal_far(what) (internal_far_pointer(what), __builtin_unreachable())

/* ---- finding and reading the trace file -------------------------------------- */

static uint8_t *path;
static uint32_t path_len;

/* Opens the trace file and reads it whole into replayer memory at
 * *bytes (*size bytes), through the borrowed region [0, region). */
static int32_t read_borrowed(uint32_t wm, uint32_t region, uint8_t **bytes, uint64_t *size) {
  int32_t dirfd = -1;
  uint32_t skip = 0;
  int32_t r = srr_find_preopen(wm, region - SLOT_DATA, path, path_len, &dirfd, &skip);
  if (r) {
    return r;
  }
  uint32_t rel_len = path_len - skip;
  srr_host_app_write(wm, SLOT_DATA, rs(path + skip), rel_len);
  r = srr_wasi_path_open(dirfd, SRR_WASI_LOOKUP_SYMLINK_FOLLOW, (int32_t)SLOT_DATA, (int32_t)rel_len, 0,
                         (int64_t)SRR_WASI_RIGHT_FD_READ, 0, 0, (int32_t)SLOT_RESULT);
  if (r) {
    return r;
  }
  srr_host_app_read(wm, SLOT_RESULT, rs(io_buf), 4);
  int32_t fd = (int32_t)srr_get_u32(io_buf);
  uint64_t start = (heap + 15) & ~(uint64_t)15;
  uint64_t used = 0;
  uint32_t piece = region - SLOT_DATA;
  for (;;) {
    if (!ensure(start + used + piece + 16)) {
      r = SRR_WASI_ENOMEM;
      break;
    }
    srr_put_u32(io_buf, SLOT_DATA);
    srr_put_u32(io_buf + 4, piece);
    srr_host_app_write(wm, SLOT_IOVEC, rs(io_buf), 8);
    r = srr_wasi_fd_read(fd, (int32_t)SLOT_IOVEC, 1, (int32_t)SLOT_RESULT);
    if (r) {
      break;
    }
    srr_host_app_read(wm, SLOT_RESULT, rs(io_buf), 4);
    uint32_t n = srr_get_u32(io_buf);
    if (n > piece) {
      r = SRR_WASI_EIO;
      break;
    }
    if (n == 0) {
      break; /* end of file */
    }
    srr_host_app_read(wm, SLOT_DATA, (uint32_t)(start + used), n);
    used += n;
  }
  if (start + used > heap_high) {
    heap_high = start + used; /* (written, even if the read fails now) */
  }
  int32_t rc = srr_wasi_fd_close(fd);
  if (r == 0 && rc == 0) {
    heap = start + used;
    *bytes = (uint8_t *)(uintptr_t)start;
    *size = used;
  }
  return r ? r : rc;
}

COLD static int32_t read_trace_file(uint8_t **bytes, uint64_t *size) {
  uint32_t wm = srr_host_wasi_memory();
  uint32_t avail = borrowable(wm);
  if (avail < SLOT_DATA + 64) {
    return SRR_WASI_ENOMEM;
  }
  if (path_len > avail - SLOT_DATA) {
    return SRR_WASI_ENAMETOOLONG;
  }
  borrow(wm, avail);
  int32_t r = read_borrowed(wm, avail, bytes, size);
  give_back(wm, avail);
  return r;
}

/* SHADOWRR_REPLAY_TRACE from the replayer's WASI environment: 1 with path
 * set (in replayer memory), 0 when it is not set (or empty), -1 when there
 * is no WASI (ENOSYS). */
COLD static int env_trace_path(void) {
  uint32_t wm = srr_host_wasi_memory();
  uint32_t avail = borrowable(wm);
  if (avail < 8) {
    return 0;
  }
  borrow(wm, 8);
  int32_t r = srr_wasi_environ_sizes_get((int32_t)SLOT_RESULT, (int32_t)SLOT_RESULT + 4);
  srr_host_app_read(wm, SLOT_RESULT, rs(io_buf), 8);
  give_back(wm, 8);
  if (r == SRR_WASI_ENOSYS) {
    return -1;
  }
  if (r != 0) {
    return 0;
  }
  uint64_t count = srr_get_u32(io_buf), buf_size = srr_get_u32(io_buf + 4);
  uint64_t strings = 16 + 4 * count;
  uint64_t need = strings + buf_size;
  uint64_t app_size = (uint64_t)srr_host_memory_pages(wm) << 16;
  if (buf_size == 0 || need > app_size) {
    return 0; /* (an environment larger than the guest's memory: not read) */
  }
  /* [saved app bytes | the environment's strings], both in replayer memory. */
  uint64_t mark = heap;
  uint8_t *saved = alloc(need + buf_size);
  if (!saved) {
    heap = mark;
    return 0;
  }
  uint8_t *env = saved + need;
  srr_host_app_read(wm, 0, rs(saved), (uint32_t)need);
  r = srr_wasi_environ_get(16, (int32_t)strings);
  if (r == 0) {
    srr_host_app_read(wm, (uint32_t)strings, rs(env), (uint32_t)buf_size);
  }
  srr_host_app_write(wm, 0, rs(saved), (uint32_t)need);
  int found = 0;
  for (uint64_t i = 0; r == 0 && i < buf_size;) {
    uint64_t end = i;
    while (end < buf_size && env[end]) {
      end++;
    }
    uint64_t var = sizeof kEnvVar - 1;
    if (end - i > var && bytes_equal(env + i, var, (const uint8_t *)kEnvVar, var)) {
      uint64_t n = end - i - var;
      __builtin_memmove(saved, env + i + var, (size_t)n);
      path = saved;
      path_len = (uint32_t)n;
      found = 1;
    }
    i = end + 1;
  }
  heap = found ? addr64(saved) + path_len : mark;
  return found;
}

static const char *errno_text(int32_t e) {
  switch (e) {
  case SRR_WASI_ENOENT: return "no such file";
  case SRR_WASI_EACCES: return "permission denied";
  case SRR_WASI_ENOTCAPABLE: return "no preopened directory holds it";
  case SRR_WASI_EISDIR: return "is a directory";
  case SRR_WASI_ENOTDIR: return "not a directory";
  case SRR_WASI_ENAMETOOLONG: return "path too long for the guest's memory";
  case SRR_WASI_ENOMEM: return "out of memory";
  default: return NULL;
  }
}

/* ---- the module's description and the trace's header -------------------------- */

COLD static int m_import_of(const srr_hdr_import *f) {
  m_bytes(f->module, f->module_length);
  m_str(".");
  m_bytes(f->name, f->name_length);
  m_str(" ");
  m_signature(&f->signature);
  return 0;
}

/* Parses srr_host_header_copy's header body into the tables (dense by
 * index: the transform numbers imports and exports 0..n-1). */
COLD static int parse_module_header(const uint8_t *body, uint32_t size) {
  uint8_t tag;
  const uint8_t *payload;
  uint64_t length;
  int got;
  srr_dec fields = srr_dec_make(body, size);
  while ((got = srr_next_header_field(&fields, &tag, &payload, &length)) == 1) {
    import_count += tag == SRR_HDR_IMPORT;
    export_count += tag == SRR_HDR_EXPORT;
    memory_count += tag == SRR_HDR_MEMORY;
    global_count += tag == SRR_HDR_GLOBAL;
    table_count += tag == SRR_HDR_TABLE;
  }
  if (got < 0) {
    return -1;
  }
  imports = alloc((uint64_t)import_count * sizeof *imports);
  exports = alloc((uint64_t)export_count * sizeof *exports);
  globals = alloc((uint64_t)global_count * sizeof *globals);
  tables = alloc((uint64_t)table_count * sizeof *tables);
  memory_seen = alloc(memory_count + 1);
  if (!imports || !exports || !globals || !tables || !memory_seen) {
    return -1;
  }
  uint32_t n_globals = 0, n_memories = 0, n_tables = 0;
  max_values = 1;
  fields = srr_dec_make(body, size);
  while (srr_next_header_field(&fields, &tag, &payload, &length) == 1) {
    srr_dec d = srr_dec_make(payload, (size_t)length);
    const srr_trace_signature *sig = NULL;
    if (tag == SRR_HDR_MODULE_SHA256) {
      if (length != 32) {
        return -1;
      }
      module_sha256 = payload;
    } else if (tag == SRR_HDR_IMPORT) {
      srr_hdr_import f;
      if (srr_dec_import_field(&d, &f) != 0 || f.index >= import_count || imports[f.index].present) {
        return -1;
      }
      rep_import *im = &imports[f.index];
      im->module = f.module;
      im->module_length = f.module_length;
      im->name = f.name;
      im->name_length = f.name_length;
      im->sig = f.signature;
      im->present = 1;
      int wasi = is_str(f.module, f.module_length, "wasi_snapshot_preview1") ||
                 is_str(f.module, f.module_length, "wasi_unstable");
      if (wasi && is_str(f.name, f.name_length, "fd_write") && f.signature.param_count == 4 &&
          f.signature.params[0] == SRR_T_I32 && f.signature.params[1] == SRR_T_I32 &&
          f.signature.params[2] == SRR_T_I32 && f.signature.params[3] == SRR_T_I32 &&
          f.signature.result_count == 1 && f.signature.results[0] == SRR_T_I32) {
        im->special = IMP_FD_WRITE;
      } else if (wasi && is_str(f.name, f.name_length, "proc_exit") && f.signature.param_count == 1 &&
                 f.signature.params[0] == SRR_T_I32) {
        im->special = IMP_PROC_EXIT;
      } else if (wasi && is_str(f.name, f.name_length, "fd_close") && f.signature.param_count == 1 &&
                 f.signature.params[0] == SRR_T_I32 && f.signature.result_count == 1 &&
                 f.signature.results[0] == SRR_T_I32) {
        im->special = IMP_FD_CLOSE;
      } else if (wasi && is_str(f.name, f.name_length, "fd_renumber") && f.signature.param_count == 2 &&
                 f.signature.params[0] == SRR_T_I32 && f.signature.params[1] == SRR_T_I32 &&
                 f.signature.result_count == 1 && f.signature.results[0] == SRR_T_I32) {
        im->special = IMP_FD_RENUMBER;
      }
      sig = &im->sig;
    } else if (tag == SRR_HDR_EXPORT) {
      srr_hdr_export f;
      if (srr_dec_export_field(&d, &f) != 0 || f.index >= export_count || exports[f.index].present) {
        return -1;
      }
      rep_export *ex = &exports[f.index];
      ex->name = f.name;
      ex->name_length = f.name_length;
      ex->sig = f.signature;
      ex->present = 1;
      sig = &ex->sig;
    } else if (tag == SRR_HDR_MEMORY) {
      srr_hdr_memory f;
      if (srr_dec_memory_field(&d, &f) != 0 || f.index >= memory_count) {
        return -1;
      }
      n_memories++;
    } else if (tag == SRR_HDR_GLOBAL) {
      srr_hdr_global f;
      if (srr_dec_global_field(&d, &f) != 0) {
        return -1;
      }
      globals[n_globals].index = f.index;
      globals[n_globals].type = f.type;
      n_globals++;
    } else if (tag == SRR_HDR_TABLE) {
      srr_hdr_table f;
      if (srr_dec_table_field(&d, &f) != 0) {
        return -1;
      }
      tables[n_tables++].index = f.index;
      funcref_tables |= f.type == SRR_T_FUNCREF;
    }
    if (sig) {
      max_values = sig->param_count > max_values ? sig->param_count : max_values;
      max_values = sig->result_count > max_values ? sig->result_count : max_values;
    }
  }
  (void)n_memories;
  /* A HOST_FUNCREF_CALL holds the arguments and results of a call_indirect
     of the module's: as many as the replay module says its largest such
     call has. */
  uint32_t call_values = srr_host_funcref_call_values();
  max_values = call_values > max_values ? call_values : max_values;
  return module_sha256 ? 0 : -1;
}

static rep_table *find_table(uint64_t index) {
  for (uint32_t i = 0; i < table_count; i++) {
    if (tables[i].index == index) {
      return &tables[i];
    }
  }
  return NULL;
}

static rep_global *find_global(uint64_t index) {
  for (uint32_t i = 0; i < global_count; i++) {
    if (globals[i].index == index) {
      return &globals[i];
    }
  }
  return NULL;
}

/* A problem with the trace's header: "LABEL: <what>" in msg. */
COLD static int header_problem(const char *what) {
  m_start(1);
  m_str(what);
  return -1;
}

/* The start of a mismatch message. */
COLD static void m_mismatch(void) {
  m_start(1);
  m_str("the trace does not describe this module: ");
}

/* Checks the trace's header body against the module's. */
COLD static int check_trace_header(const uint8_t *body, uint32_t size) {
  uint8_t tag;
  const uint8_t *payload;
  uint64_t length;
  int got;
  const uint8_t *sha = NULL;
  const uint8_t *name = NULL;
  size_t name_length = 0;
  /* First pass: well-formed, and the module's hash. */
  srr_dec fields = srr_dec_make(body, size);
  uint32_t number = 0;
  while ((got = srr_next_header_field(&fields, &tag, &payload, &length)) == 1) {
    srr_dec d = srr_dec_make(payload, (size_t)length);
    int rc = 0;
    if (tag == SRR_HDR_MODULE_SHA256) {
      rc = length == 32 ? 0 : srr_dec_fail(&d, "not 32 bytes long");
      sha = payload;
    } else if (tag == SRR_HDR_MODULE_NAME) {
      rc = srr_dec_str(&d, &name, &name_length);
    } else if (tag == SRR_HDR_IMPORT) {
      srr_hdr_import f;
      rc = srr_dec_import_field(&d, &f);
    } else if (tag == SRR_HDR_EXPORT) {
      srr_hdr_export f;
      rc = srr_dec_export_field(&d, &f);
    } else if (tag == SRR_HDR_MEMORY) {
      srr_hdr_memory f;
      rc = srr_dec_memory_field(&d, &f);
    } else if (tag == SRR_HDR_GLOBAL) {
      srr_hdr_global f;
      rc = srr_dec_global_field(&d, &f);
    } else if (tag == SRR_HDR_TABLE) {
      srr_hdr_table f;
      rc = srr_dec_table_field(&d, &f);
    }
    if (rc != 0) {
      header_problem("corrupt trace: header field ");
      m_u64(number);
      m_str(": ");
      m_str(d.problem);
      return -1;
    }
    number++;
  }
  if (got < 0) {
    header_problem("corrupt trace: header field ");
    m_u64(number);
    m_str(": ");
    m_str(fields.problem);
    return -1;
  }
  if (!sha) {
    return header_problem("corrupt trace: header has no MODULE_SHA256 field");
  }
  if (!(flags & SRR_REPLAY_FLAG_OTHER_MODULE) && !bytes_equal(sha, 32, module_sha256, 32)) {
    m_start(1);
    m_str("the trace was recorded from another module");
    if (name) {
      m_str(" (");
      m_bytes(name, name_length);
      m_str(")");
    }
    m_str(": its SHA-256 differs from this module's (--allow-other-module replays it anyway)");
    return -1;
  }
  /* Second pass: the same imports, exports, memories and globals. */
  uint32_t n_imports = 0, n_exports = 0, n_memories = 0, n_globals = 0, n_tables = 0;
  fields = srr_dec_make(body, size);
  while (srr_next_header_field(&fields, &tag, &payload, &length) == 1) {
    srr_dec d = srr_dec_make(payload, (size_t)length);
    if (tag == SRR_HDR_IMPORT) {
      srr_hdr_import f;
      srr_dec_import_field(&d, &f);
      n_imports++;
      if (f.index >= import_count) {
        m_mismatch();
        m_str("the trace has import ");
        m_u64(f.index);
        m_str(" (");
        m_import_of(&f);
        m_str("), this module has ");
        m_u64(import_count);
        m_str(" imports");
        return -1;
      }
      rep_import *im = &imports[f.index];
      if (im->seen) {
        header_problem("corrupt trace: header: import ");
        m_u64(f.index);
        m_str(" given twice");
        return -1;
      }
      im->seen = 1;
      if (!bytes_equal(f.module, f.module_length, im->module, im->module_length) ||
          !bytes_equal(f.name, f.name_length, im->name, im->name_length) ||
          !srr_signature_equal(&f.signature, &im->sig)) {
        m_mismatch();
        m_str("import ");
        m_u64(f.index);
        m_str(" is ");
        m_import_of(&f);
        m_str(" in the trace but ");
        m_import(f.index);
        m_str(" ");
        m_signature(&im->sig);
        m_str(" in this module");
        return -1;
      }
    } else if (tag == SRR_HDR_EXPORT) {
      srr_hdr_export f;
      srr_dec_export_field(&d, &f);
      n_exports++;
      if (f.index >= export_count) {
        m_mismatch();
        m_str("the trace has export ");
        m_u64(f.index);
        m_str(" (");
        m_bytes(f.name, f.name_length);
        m_str("), this module has ");
        m_u64(export_count);
        m_str(" function exports");
        return -1;
      }
      rep_export *ex = &exports[f.index];
      if (ex->seen) {
        header_problem("corrupt trace: header: export ");
        m_u64(f.index);
        m_str(" given twice");
        return -1;
      }
      ex->seen = 1;
      if (!bytes_equal(f.name, f.name_length, ex->name, ex->name_length) ||
          !srr_signature_equal(&f.signature, &ex->sig)) {
        m_mismatch();
        m_str("export ");
        m_u64(f.index);
        m_str(" is ");
        m_bytes(f.name, f.name_length);
        m_str(" ");
        m_signature(&f.signature);
        m_str(" in the trace but ");
        m_bytes(ex->name, ex->name_length);
        m_str(" ");
        m_signature(&ex->sig);
        m_str(" in this module");
        return -1;
      }
    } else if (tag == SRR_HDR_MEMORY) {
      srr_hdr_memory f;
      srr_dec_memory_field(&d, &f);
      n_memories++;
      if (f.index >= memory_count || memory_seen[f.index]) {
        m_mismatch();
        m_str("the trace has memory ");
        m_u64(f.index);
        m_str(", this module has ");
        m_u64(memory_count);
        m_str(memory_count == 1 ? " memory" : " memories");
        return -1;
      }
      memory_seen[f.index] = 1;
    } else if (tag == SRR_HDR_GLOBAL) {
      srr_hdr_global f;
      srr_dec_global_field(&d, &f);
      n_globals++;
      rep_global *g = find_global(f.index);
      if (!g || g->seen || g->type != f.type) {
        m_mismatch();
        m_str("the trace has global ");
        m_u64(f.index);
        m_str(" (");
        m_bytes(f.export_name, f.export_name_length);
        m_str(", ");
        m_str(srr_value_type_name(f.type));
        m_str(g && !g->seen ? "), of another type in this module" : "), which this module does not change");
        return -1;
      }
      g->seen = 1;
    } else if (tag == SRR_HDR_TABLE) {
      srr_hdr_table f;
      srr_dec_table_field(&d, &f);
      n_tables++;
      rep_table *t = find_table(f.index);
      if (!t || t->seen) {
        m_mismatch();
        m_str("the trace has table ");
        m_u64(f.index);
        m_str(" (written by the host), which this module does not export or import");
        return -1;
      }
      t->seen = 1;
    }
  }
  if (n_imports != import_count || n_exports != export_count || n_memories != memory_count ||
      n_globals != global_count || n_tables != table_count) {
    m_mismatch();
    const char *what[5] = {"imports", "function exports", "memories", "host-changed globals", "host-written tables"};
    uint32_t had[5] = {n_imports, n_exports, n_memories, n_globals, n_tables};
    uint32_t has[5] = {import_count, export_count, memory_count, global_count, table_count};
    for (int i = 0; i < 5; i++) {
      if (had[i] != has[i]) {
        m_str(what[i]);
        m_str(": ");
        m_u64(had[i]);
        m_str(" in the trace, ");
        m_u64(has[i]);
        m_str(" in this module");
        break;
      }
    }
    return -1;
  }
  return 0;
}

/* ---- loading ------------------------------------------------------------------- */

COLD static void m_chunk(uint32_t number, uint64_t offset) {
  m_str("chunk ");
  m_u64(number);
  m_str(" at byte ");
  m_u64(offset);
}

/* Remembers why the trace is cut (msg holds it). */
static void keep_cut_reason(uint32_t from) {
  trace_cut = 1;
  cut_reason_len = 0;
  for (uint32_t i = from; i < msg_len && cut_reason_len < sizeof cut_reason; i++) {
    cut_reason[cut_reason_len++] = msg[i];
  }
}

/* Walks the chunks of bytes[0..size) after the header, refuses LZ4 ones,
 * checks CRCs, compacts the raw events to one run. */
COLD static int walk_chunks(uint8_t *bytes, uint64_t size, uint64_t header_size) {
  uint64_t pos = header_size;
  uint8_t *dst = bytes + header_size;
  ev_base = dst;
  for (uint32_t number = 0;; number++) {
    srr_chunk_info ci;
    srr_chunk_status st = srr_check_chunk(bytes + pos, (size_t)(size - pos), &ci);
    if (st == SRR_CHUNK_NONE) {
      break;
    }
    if ((st == SRR_CHUNK_OK || st == SRR_CHUNK_SHORT) && ci.codec == SRR_CODEC_LZ4) {
      header_problem("");
      m_chunk(number, pos);
      m_str(" is LZ4-compressed: the replayer reads raw chunks only (`shadowrr replay` unpacks a packed trace)");
      return -1;
    }
    if (st == SRR_CHUNK_SHORT_HEADER || st == SRR_CHUNK_SHORT) {
      m_reset();
      m_chunk(number, pos);
      m_str(" is cut short");
      keep_cut_reason(0);
      break;
    }
    if (st != SRR_CHUNK_OK) {
      header_problem("corrupt trace: ");
      m_chunk(number, pos);
      m_str(st == SRR_CHUNK_BAD_MAGIC   ? ": no SRRC chunk header"
            : st == SRR_CHUNK_BAD_CODEC ? ": unknown codec"
                                        : ": raw chunk whose raw_length is not its stored_length");
      return -1;
    }
    if (srr_crc32(0, ci.stored, ci.raw_length) != ci.crc) {
      if (ci.is_last) {
        m_reset();
        m_str("last ");
        m_chunk(number, pos);
        m_str(": checksum mismatch");
        keep_cut_reason(0);
        break;
      }
      header_problem("corrupt trace: ");
      m_chunk(number, pos);
      m_str(": checksum mismatch");
      return -1;
    }
    __builtin_memmove(dst, ci.stored, ci.raw_length);
    dst += ci.raw_length;
    pos += SRR_CHUNK_HEADER_SIZE + (uint64_t)ci.stored_length;
  }
  ev_size = (size_t)(dst - ev_base);
  return 0;
}

static const uint8_t kEmbeddedLabel[] = "embedded trace";

/* Loads and checks everything; -1 with the failure recorded. */
__attribute__((always_inline)) static inline int load(void) {
  state = ST_RUNNING; /* (set_failure changes it) */
  heap = addr64(&__heap_base);
  heap_high = heap;
  mem_top = (uint64_t)__builtin_wasm_memory_size(0) << 16;
  flags = srr_host_flags();
  label = kEmbeddedLabel;
  label_length = sizeof kEmbeddedLabel - 1;

  uint32_t module_header_size = srr_host_header_size();
  uint8_t *module_header = alloc(module_header_size);
  if (!module_header) {
    m_start(0);
    m_str("out of memory");
    set_failure(SRR_REPLAY_EXIT_BAD_TRACE);
    return -1;
  }
  srr_host_header_copy(rs(module_header));
  if (parse_module_header(module_header, module_header_size) != 0) {
    m_start(0);
    m_str("internal error: the module's own description (its trace header) is malformed");
    set_failure(SRR_REPLAY_EXIT_BAD_TRACE);
    return -1;
  }

  /* The trace's bytes. */
  uint8_t *bytes = NULL;
  uint64_t size = 0;
  uint32_t embedded = srr_host_embedded_trace_size();
  if (embedded) {
    bytes = alloc(embedded);
    if (!bytes) {
      m_start(1);
      m_str("out of memory");
      set_failure(SRR_REPLAY_EXIT_BAD_TRACE);
      return -1;
    }
    srr_host_embedded_trace_copy(rs(bytes), 0, embedded);
    size = embedded;
  } else {
    int env = env_trace_path();
    if (env < 0) {
      no_wasi = 1;
    }
    if (env <= 0) {
      path_len = srr_host_trace_path_size();
      path = alloc(path_len + 1);
      if (path) {
        srr_host_trace_path_copy(rs(path));
      }
    }
    if (!path || path_len == 0) {
      m_start(0);
      m_str("no trace: the module has no embedded trace and no trace path (set SHADOWRR_REPLAY_TRACE)");
      set_failure(SRR_REPLAY_EXIT_BAD_TRACE);
      return -1;
    }
    label = path;
    label_length = path_len;
    int32_t r = no_wasi ? SRR_WASI_ENOSYS : read_trace_file(&bytes, &size);
    if (r) {
      m_start(1);
      if (r == SRR_WASI_ENOSYS) {
        no_wasi = 1;
        m_str("cannot read the trace: the module has no WASI (embed the trace instead)");
      } else if (srr_host_wasi_memory() == NO_MEMORY) {
        m_str("cannot read the trace: the module exports no memory for WASI (embed the trace instead)");
      } else {
        m_str("cannot read the trace: ");
        const char *text = errno_text(r);
        if (text) {
          m_str(text);
          m_str(" (WASI errno ");
          m_u64((uint32_t)r);
          m_str(")");
        } else {
          m_str("WASI errno ");
          m_u64((uint32_t)r);
        }
      }
      set_failure(SRR_REPLAY_EXIT_BAD_TRACE);
      return -1;
    }
  }

  /* The file header, the trace's header against the module's, the chunks. */
  srr_file_header fh;
  switch (srr_check_file_header(bytes, (size_t)size, &fh)) {
  case SRR_FH_OK:
    break;
  case SRR_FH_EMPTY:
    header_problem("foreign file: not a shadowrr trace (empty file)");
    set_failure(SRR_REPLAY_EXIT_BAD_TRACE);
    return -1;
  case SRR_FH_FOREIGN:
    header_problem("foreign file: not a shadowrr trace");
    set_failure(SRR_REPLAY_EXIT_BAD_TRACE);
    return -1;
  case SRR_FH_SHORT:
    header_problem("truncated trace: the file ends inside its header");
    set_failure(SRR_REPLAY_EXIT_BAD_TRACE);
    return -1;
  case SRR_FH_VERSION:
    header_problem("trace format version ");
    m_u64(fh.major);
    m_str(".");
    m_u64(fh.minor);
    m_str(fh.major > SRR_TRACE_MAJOR ? " is newer than this shadowrr (" : " is older than this shadowrr (");
    m_u64(SRR_TRACE_MAJOR);
    m_str(".");
    m_u64(SRR_TRACE_MINOR);
    m_str(")");
    set_failure(SRR_REPLAY_EXIT_BAD_TRACE);
    return -1;
  case SRR_FH_CHECKSUM:
    header_problem("corrupt trace: header checksum mismatch");
    set_failure(SRR_REPLAY_EXIT_BAD_TRACE);
    return -1;
  }
  /* A trace of this very build carries the module's own header body, which
     parse_module_header has read: nothing in it can differ, and a short
     replay need not decode it twice more (an engine that compiles lazily
     would compile the checks inside the guest's first call, too). */
  int same_header = bytes_equal(fh.body, fh.body_size, module_header, module_header_size);
  if ((!same_header && check_trace_header(fh.body, fh.body_size) != 0) || walk_chunks(bytes, size, fh.size) != 0) {
    set_failure(SRR_REPLAY_EXIT_BAD_TRACE);
    return -1;
  }
  trace_major = fh.major;
  trace_minor = fh.minor;

  /* The value buffers. */
  uint64_t values = (uint64_t)max_values * sizeof(srr_value);
  cur_values = alloc(values);
  args = alloc(values);
  rets.values = alloc(values);
  xargs.values = alloc(values);
  xres = alloc(values);
  if (!cur_values || !args || !rets.values || !xargs.values || !xres) {
    m_start(1);
    m_str("out of memory");
    set_failure(SRR_REPLAY_EXIT_BAD_TRACE);
    return -1;
  }
  m_reset();
  return 0;
}

/* ---- the event cursor ------------------------------------------------------- */

static int cstr_equal(const char *a, const char *b) {
  while (*a && *a == *b) {
    a++;
    b++;
  }
  return *a == *b;
}

/* Decodes the event at `position` into *ev and values (NULL: only checked):
 * 0 with d_out's position past it, or -1 with d_out->problem set. */
static int decode_at(srr_dec *d_out, uint64_t position, srr_decoded_event *ev, srr_value *values) {
  srr_dec d = srr_dec_make(ev_base, ev_size);
  d.position = position;
  /* The values are typed by the module's tables (the trace's are the same). */
  const uint8_t *types = NULL;
  uint32_t count = 0;
  int rc = srr_decode_event_head(&d, ev);
  if (rc == 0) {
    switch (srr_event_index_space(ev->kind)) {
    case SRR_INDEX_IMPORT:
      if (ev->index >= import_count) {
        rc = srr_dec_fail_value(&d, "unknown import", ev->index);
      } else if (ev->kind == SRR_EV_IMPORT_CALL) {
        types = imports[ev->index].sig.params;
        count = imports[ev->index].sig.param_count;
      } else {
        types = imports[ev->index].sig.results;
        count = imports[ev->index].sig.result_count;
      }
      break;
    case SRR_INDEX_EXPORT:
      if (ev->index >= export_count) {
        rc = srr_dec_fail_value(&d, "unknown export", ev->index);
      } else if (ev->kind == SRR_EV_EXPORT_CALL) {
        types = exports[ev->index].sig.params;
        count = exports[ev->index].sig.param_count;
      } else {
        types = exports[ev->index].sig.results;
        count = exports[ev->index].sig.result_count;
      }
      break;
    case SRR_INDEX_GLOBAL: {
      rep_global *g = find_global(ev->index);
      if (!g) {
        rc = srr_dec_fail_value(&d, "unknown global", ev->index);
      } else {
        types = &g->type;
        count = 1;
      }
      break;
    }
    case SRR_INDEX_MEMORY:
      if (ev->index >= memory_count) {
        rc = srr_dec_fail_value(&d, "unknown memory", ev->index);
      }
      break;
    case SRR_INDEX_TABLE:
      if (!find_table(ev->index)) {
        rc = srr_dec_fail_value(&d, "unknown table", ev->index);
      }
      break;
    default:
      break;
    }
  }
  if (rc == 0) {
    rc = srr_decode_event_rest(&d, types, count, values, max_values, ev);
  }
  *d_out = d;
  return rc;
}

/* Decodes the next event into cur: 1, 0 at the end of the events, or -1
 * when it is corrupt (the failure recorded). */
static int peek_raw(void) {
  if (cur_valid) {
    return 1;
  }
  if (ev_pos >= ev_size) {
    return 0;
  }
  srr_dec d;
  int rc = decode_at(&d, ev_pos, &cur, cur_values);
  if (rc != 0) {
    uint8_t kind = ev_base[ev_pos];
    header_problem("corrupt trace: event ");
    m_u64(ev_number);
    m_str(" at byte ");
    m_u64(ev_pos);
    m_str(": ");
    if (cstr_equal(d.problem, "runs past the end")) {
      m_str(srr_event_kind_name(kind));
      m_str(" runs past the end of the events");
    } else if (cstr_equal(d.problem, "unknown event kind")) {
      m_str("unknown event kind ");
      m_u64(kind);
      if (trace_minor > SRR_TRACE_MINOR) {
        m_str(" (the trace is format ");
        m_u64(trace_major);
        m_str(".");
        m_u64(trace_minor);
        m_str(", this shadowrr reads ");
        m_u64(SRR_TRACE_MAJOR);
        m_str(".");
        m_u64(SRR_TRACE_MINOR);
        m_str(")");
      }
    } else {
      m_str(d.problem);
      if (!cstr_equal(d.problem, "unknown value type") && d.problem[0] == 'u' && d.problem[1] == 'n') {
        m_str(" ");
        m_u64(d.problem_value);
      }
    }
    set_failure(SRR_REPLAY_EXIT_BAD_TRACE);
    return -1;
  }
  cur_end = d.position;
  cur_valid = 1;
  return 1;
}

static int peek(void) {
  int r = peek_raw();
  if (r < 0) {
    die();
  }
  return r;
}

static void consume(void) {
  ev_pos = cur_end;
  ev_number++;
  cur_valid = 0;
}

static int value_equal(const srr_value *a, const srr_value *b) {
  if (a->type != b->type) {
    return 0;
  }
  switch (a->type) {
  case SRR_T_I32: return a->as.i32 == b->as.i32;
  case SRR_T_I64: return a->as.i64 == b->as.i64;
  case SRR_T_F32: return a->as.f32_bits == b->as.f32_bits;
  case SRR_T_F64: return a->as.f64_bits == b->as.f64_bits;
  case SRR_T_FUNCREF:
  case SRR_T_EXTERNREF: return a->as.non_null == b->as.non_null;
  default: return bytes_equal(a->as.v128, 16, b->as.v128, 16);
  }
}

/* The first of n values that differ, or n. */
static uint32_t first_difference(const srr_value *a, const srr_value *b, uint32_t n) {
  uint32_t i = 0;
  while (i < n && value_equal(&a[i], &b[i])) {
    i++;
  }
  return i;
}

static void copy_values(srr_value *dst, const srr_value *src, uint32_t n) {
  __builtin_memcpy(dst, src, n * sizeof *dst);
}

/* ---- reporting ------------------------------------------------------------------ */

COLD static void m_action(const action *a) {
  switch (a->kind) {
  case ACT_CALL:
    m_str("the guest called ");
    m_import(a->index);
    m_values(a->values, a->count);
    return;
  case ACT_RETURN:
    m_export(a->index);
    m_str(" returned");
    if (a->count) {
      m_str(" ");
      m_values(a->values, a->count);
    }
    return;
  case ACT_GROW:
    m_str("the guest grew memory ");
    m_u64(a->memory);
    m_str(" by ");
    m_pages(a->delta);
    return;
  case ACT_IDLE:
    m_str("the guest waited for the host's next call");
    return;
  case ACT_FUNCREF_CALL:
    m_str("the guest called the host's function at element ");
    m_u64(a->delta);
    m_str(" of table ");
    m_u64(a->index);
    m_values(a->values, a->count);
    return;
  default:
    m_str("the guest trapped");
    return;
  }
}

COLD static void m_trap_message(void) {
  size_t n = cur.message_length;
  while (n > 0 && (cur.message[n - 1] == '\n' || cur.message[n - 1] == '\r' || cur.message[n - 1] == ' ')) {
    n--;
  }
  m_bytes(cur.message, n);
}

/* The next event (cur), as "the trace has ..." goes on. */
COLD static void m_expected(void) {
  switch (cur.kind) {
  case SRR_EV_IMPORT_CALL:
    m_import(cur.index);
    m_values(cur_values, cur.value_count);
    return;
  case SRR_EV_IMPORT_RETURN:
    m_import(cur.index);
    m_str(" returning ");
    m_values(cur_values, cur.value_count);
    return;
  case SRR_EV_EXPORT_CALL:
    m_str("a call of ");
    m_export(cur.index);
    m_values(cur_values, cur.value_count);
    return;
  case SRR_EV_EXPORT_RETURN:
    m_export(cur.index);
    m_str(" returning");
    if (cur.value_count) {
      m_str(" ");
      m_values(cur_values, cur.value_count);
    }
    return;
  case SRR_EV_MEMORY_GROW:
    m_str("memory.grow of memory ");
    m_u64((uint32_t)cur.index);
    m_str(" by ");
    m_pages(cur.delta_pages);
    return;
  case SRR_EV_HOST_FUNCREF_CALL:
    m_str("a call of the host's function at element ");
    m_u64(cur.element);
    m_str(" of table ");
    m_u64(cur.index);
    m_values(cur_values, cur.signature.param_count);
    return;
  case SRR_EV_END:
    m_str("the end of the run");
    return;
  case SRR_EV_TRAP:
    m_str("a trap");
    return;
  default:
    m_str(srr_event_kind_name(cur.kind));
    return;
  }
}

COLD static void m_divergence(const action *a) {
  m_start(0);
  m_str("divergence at event ");
  m_u64(ev_number);
  m_str(": ");
  if (cur.kind == SRR_EV_TRAP) {
    m_str("the recording trapped here");
    if (cur.message_length) {
      m_str(" (");
      m_trap_message();
      m_str(")");
    }
    m_str(", the replay did not: ");
    m_action(a);
    return;
  }
  m_action(a);
  m_str(" but the trace has ");
  m_expected();
  if ((a->kind == ACT_CALL && cur.kind == SRR_EV_IMPORT_CALL && cur.index == a->index) ||
      (a->kind == ACT_RETURN && cur.kind == SRR_EV_EXPORT_RETURN && cur.index == a->index) ||
      (a->kind == ACT_FUNCREF_CALL && cur.kind == SRR_EV_HOST_FUNCREF_CALL && cur.index == a->index &&
       cur.element == a->delta && cur.signature.param_count == a->count)) {
    uint32_t i = first_difference(a->values, cur_values, a->count);
    if (i < a->count) {
      m_str(a->kind == ACT_RETURN ? " (result " : " (argument ");
      m_u64(i + 1);
      m_str(" differs)");
    }
  }
}

/* The guest did `a` where the trace has something else (cur). */
NORETURN static void diverge(const action *a) {
  m_divergence(a);
  fail(SRR_REPLAY_EXIT_DIVERGED);
}

COLD static void m_truncated(const action *a) {
  m_start(1);
  m_str("truncated trace (");
  if (trace_cut) {
    m_bytes(cut_reason, cut_reason_len);
  } else {
    m_str("it ends without END");
  }
  m_str("): the replay went through all its ");
  m_u64(ev_number);
  m_str(ev_number == 1 ? " event, then " : " events, then ");
  m_action(a);
}

/* The guest did `a` after the last event of a trace that does not end. */
NORETURN static void truncated(const action *a) {
  m_truncated(a);
  fail(SRR_REPLAY_EXIT_TRUNCATED);
}

/* The next event must be `kind` for a->index with a->values (by bits):
 * consumed if it is, else the replay stops there, truncated or diverged.
 * (Inline: it sits on every import call's path.) */
__attribute__((always_inline)) static inline void expect_event(const action *a, uint8_t kind) {
  if (!peek()) {
    truncated(a);
  }
  if (cur.kind != kind || cur.index != a->index || first_difference(a->values, cur_values, a->count) != a->count) {
    diverge(a);
  }
  consume();
}

/* The trace's next event (cur) cannot come where it is: `import` is running
 * (or NONE: between export calls). */
NORETURN static void inconsistent(uint32_t import) {
  header_problem("inconsistent trace: event ");
  m_u64(ev_number);
  m_str(" is ");
  m_expected();
  if (import != NONE) {
    m_str(" while ");
    m_import(import);
    m_str(" is running");
  } else {
    m_str(" between export calls");
  }
  fail(SRR_REPLAY_EXIT_BAD_TRACE);
}

/* The replay has just reproduced a recorded trap (its TRAP event consumed):
 * the run ended there if the trace ends there, else shadowrr_resume goes on
 * with what the host did next. A trace cut short after the TRAP resumes too,
 * to report the truncation. */
static void stopped_at_trap(void) {
  state = ev_pos < ev_size || trace_cut ? ST_TRAPPED : ST_ENDED;
  status_code = 0;
  exit_code = -1;
}

/* The recording trapped in the host (cur is TRAP): the replay traps too. */
NORETURN static void recorded_trap(uint32_t import) {
  m_start(0);
  m_str("the recording trapped at event ");
  m_u64(ev_number);
  if (import == FUNCREF_CALL) {
    m_str(", in the host's function the guest called through a table");
  } else if (import != NONE) {
    m_str(", in the host during ");
    m_import(import);
  } else {
    m_str(", in the host between export calls");
  }
  if (cur.message_length) {
    m_str(" (");
    m_trap_message();
    m_str(")");
  }
  m_str(": the replay traps there too");
  consume();
  stopped_at_trap();
  print_msg();
  __builtin_trap();
}

/* ---- the engine -------------------------------------------------------------------- */

COLD static void m_size(int table, uint64_t n) {
  if (table) {
    m_u64(n);
    m_str(n == 1 ? " element" : " elements");
  } else {
    m_pages(n);
  }
}

/* HOST_MEMORY_GROW (table 0) or HOST_TABLE_GROW (1), cur: grows the memory
 * or table cur.index to `target` pages or elements, as the recorded host
 * did; a divergence if it is larger already or cannot grow. */
static void host_grow(int table, uint64_t target) {
  uint32_t index = (uint32_t)cur.index;
  uint32_t size = table ? srr_host_table_size(index) : srr_host_memory_pages(index);
  if (target == size) {
    return;
  }
  uint64_t delta = target - size;
  if (target > size && delta <= UINT32_MAX &&
      (table ? srr_host_table_grow(index, (uint32_t)delta) : srr_host_memory_grow(index, (uint32_t)delta)) != -1) {
    return;
  }
  m_start(0);
  m_str("divergence at event ");
  m_u64(ev_number);
  m_str(table ? ": the host grew table " : ": the host grew memory ");
  m_u64(index);
  m_str(" to ");
  m_size(table, target);
  m_str(target < size ? " but it has " : " but it cannot grow from ");
  m_size(table, size);
  fail(SRR_REPLAY_EXIT_DIVERGED);
}

/* Tells the replay module whether the next event may be answered by a call
 * through a host-written funcref table (srr_host_set_may_call_host). */
static void note_next(void) {
  if (!funcref_tables) {
    return;
  }
  uint32_t may = cur_valid && (cur.kind == SRR_EV_HOST_FUNCREF_CALL || cur.kind == SRR_EV_EXPORT_CALL);
  if (may != may_call_host) {
    may_call_host = may;
    srr_host_set_may_call_host(may);
  }
}

/* The passive events at the cursor: what the host did to memories,
 * globals and tables, at the point the recording found it. */
static void apply_passive_events(void) {
  while (peek()) {
    switch (cur.kind) {
    case SRR_EV_MEMORY_WRITE: {
      uint64_t size = (uint64_t)srr_host_memory_pages((uint32_t)cur.index) << 16;
      if (cur.address > size || cur.length > size - cur.address) {
        m_start(0);
        m_str("divergence at event ");
        m_u64(ev_number);
        m_str(": the trace writes bytes [");
        m_u64(cur.address);
        m_str(", ");
        m_u64(cur.address + cur.length);
        m_str(") of memory ");
        m_u64((uint32_t)cur.index);
        m_str(", beyond its ");
        m_pages(size >> 16);
        fail(SRR_REPLAY_EXIT_DIVERGED);
      }
      if (cur.length) {
        srr_host_app_write((uint32_t)cur.index, (uint32_t)cur.address, rs(cur.bytes), (uint32_t)cur.length);
      }
      break;
    }
    case SRR_EV_HOST_MEMORY_GROW:
      host_grow(0, cur.new_pages);
      break;
    case SRR_EV_GLOBAL_CHANGE: {
      const srr_value *v = &cur_values[0];
      uint64_t low = 0, high = 0;
      switch (v->type) {
      case SRR_T_I32: low = v->as.i32; break;
      case SRR_T_I64: low = v->as.i64; break;
      case SRR_T_F32: low = v->as.f32_bits; break;
      case SRR_T_F64: low = v->as.f64_bits; break;
      case SRR_T_FUNCREF:
      case SRR_T_EXTERNREF: low = v->as.non_null; break;
      default:
        low = srr_get_u64(v->as.v128);
        high = srr_get_u64(v->as.v128 + 8);
        break;
      }
      if (srr_host_global_set(cur.index, low, high) != 0) {
        m_start(0);
        m_str("divergence at event ");
        m_u64(ev_number);
        m_str(": global ");
        m_u64(cur.index);
        m_str(" is an immutable import, and this replay's host gave it another value than the recording's");
        fail(SRR_REPLAY_EXIT_DIVERGED);
      }
      break;
    }
    case SRR_EV_HOST_TABLE_SET: {
      uint32_t size = srr_host_table_size((uint32_t)cur.index);
      if (cur.element >= size) {
        m_start(0);
        m_str("divergence at event ");
        m_u64(ev_number);
        m_str(": the trace writes element ");
        m_u64(cur.element);
        m_str(" of table ");
        m_u64((uint32_t)cur.index);
        m_str(", beyond its ");
        m_u64(size);
        m_str(" elements");
        fail(SRR_REPLAY_EXIT_DIVERGED);
      }
      srr_host_table_set((uint32_t)cur.index, (uint32_t)cur.element, cur.non_null);
      break;
    }
    case SRR_EV_HOST_TABLE_GROW:
      host_grow(1, cur.new_size);
      break;
    default:
      return;
    }
    consume();
  }
}

/* Applies the passive events at the cursor; then the replay module knows
 * what comes next (note_next). */
static void apply_passive(void) {
  apply_passive_events();
  note_next();
}

/* Loads the trace and goes to where a compiled run (replayer_abi.h, section
 * 5) is: past the events it consumed, inside the export call it made last
 * if that has not returned. Such a run's events are top-level export calls,
 * their returns and the guest's memory.grow inside them, without passive
 * events. -1 with the failure recorded. */
__attribute__((always_inline)) static inline int load_at_position(void) {
  if (load() != 0) {
    return -1;
  }
  apply_passive(); /* what the host wrote before the first event */
  for (uint32_t skip = srr_host_compiled_events(); skip > 0; skip--) {
    if (peek_raw() != 1) {
      return -1;
    }
    if (cur.kind == SRR_EV_EXPORT_CALL) {
      export_stack[0] = cur.index;
      export_depth = 1;
      run_started = 1;
    } else if (cur.kind == SRR_EV_EXPORT_RETURN) {
      export_depth = 0;
    }
    consume();
  }
  return 0;
}

/* Whether the run was a compiled run that ended as recorded (replayer_abi.h,
 * section 5); the replayer, never entered, takes note. */
static int compiled_run_ended(void) {
  if (state == ST_FRESH && srr_host_compiled_events() == SRR_REPLAY_COMPILED_ENDED) {
    state = ST_ENDED;
    status_code = 0;
    exit_code = 0;
  }
  return state == ST_ENDED;
}

/* ensure_running when the run is not under way: loads the trace the first
 * time; traps if the run is over (the guest cannot go on after it). */
COLD static void start_running(void) { /* (loading inlined: above V8's limit) */
  if (compiled_run_ended()) {
    __builtin_trap(); /* the guest cannot go on after the end */
  }
  if (state == ST_FRESH) {
    if (load_at_position() != 0) {
      die();
    }
    return;
  }
  __builtin_trap();
}

/* Every entry point. The entry points that import stubs call stay small
 * with the rest out of line: V8's optimising compiler inlines a stub and
 * what it calls into the guest's function, and what the entry points bring
 * along counts against the same inlining budget as the guest's own calls
 * (a stub called once, before a hot loop, used it up in shootout-ctype). */
static inline void ensure_running(void) {
  if (state != ST_RUNNING) {
    start_running();
  }
}

/* The run ended inside import `index` (END after its IMPORT_CALL): with
 * proc_exit(code), or else (the host stopped the run) with 0. */
NORETURN static void end_in_import(uint32_t index, uint32_t code) {
  state = ST_ENDED;
  status_code = 0;
  exit_code = imports[index].special == IMP_PROC_EXIT ? (int32_t)code : 0;
  m_reset();
  exit_process(exit_code);
}

/* Export `index` returned xres: checks its EXPORT_RETURN. */
static void check_export_return(uint32_t index) {
  if (xres_count != exports[index].sig.result_count) {
    internal("the export dispatcher passed back another number of results");
  }
  action a = {ACT_RETURN, index, xres, xres_count, 0, 0};
  expect_event(&a, SRR_EV_EXPORT_RETURN);
  xres_count = 0;
  apply_passive();
}

/* cur is an EXPORT_CALL: calls the export and checks its EXPORT_RETURN. */
static void call_export(void) {
  uint32_t index = cur.index;
  copy_values(xargs.values, cur_values, cur.value_count);
  xargs.count = cur.value_count;
  xargs.pos = 0;
  consume();
  apply_passive();
  xres_count = 0;
  if (export_depth >= MAX_DEPTH) {
    internal("export calls nested too deeply");
  }
  export_stack[export_depth++] = index;
  srr_host_call_export(index);
  export_depth--;
  check_export_return(index);
}

/* ---- output passthrough ------------------------------------------------------------ */

/* An fd_write of the guest to stdout or stderr: copies the bytes its iovecs
 * (at iovs, n of them, in the WASI memory) hold at the call into replayer
 * memory (f->out). Written out by pass_output once the trace says how many
 * of them the recorded run's host took. */
static void gather_output(frame *f, uint32_t iovs, uint32_t n) {
  uint32_t wm = srr_host_wasi_memory();
  if (wm == NO_MEMORY || no_wasi) {
    return;
  }
  uint64_t size = (uint64_t)srr_host_memory_pages(wm) << 16;
  if ((uint64_t)iovs + 8 * (uint64_t)n > size) {
    return; /* (the recorded host refused it too: it replays as recorded) */
  }
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; i++) {
    srr_host_app_read(wm, iovs + 8 * i, rs(io_buf), 8);
    uint32_t ptr = srr_get_u32(io_buf), len = srr_get_u32(io_buf + 4);
    if ((uint64_t)ptr + len > size) {
      return;
    }
    total += len;
  }
  if (total == 0 || total > UINT32_MAX || !(f->out = alloc(total))) {
    f->out = NULL;
    return;
  }
  for (uint32_t i = 0; i < n; i++) {
    srr_host_app_read(wm, iovs + 8 * i, rs(io_buf), 8);
    uint32_t ptr = srr_get_u32(io_buf), len = srr_get_u32(io_buf + 4);
    srr_host_app_read(wm, ptr, rs(f->out + f->out_length), len);
    f->out_length += len;
  }
}

/* The fd_write of frame f returned `errno` in the recording, and its
 * nwritten is in the guest's memory now (the host's writes replayed):
 * writes that many of the gathered bytes, as the recorded run did. */
static void pass_output(const frame *f, uint32_t errno_value) {
  uint32_t wm = srr_host_wasi_memory();
  uint64_t size = (uint64_t)srr_host_memory_pages(wm) << 16;
  if (errno_value != 0 || (uint64_t)f->result + 4 > size) {
    return;
  }
  srr_host_app_read(wm, f->result, rs(io_buf), 4);
  /* (arg0 was stdout or stderr at the call: out_fds.) */
  write_fd(f->arg0 == out_fds[0] ? 1 : 2, f->out, min32(srr_get_u32(io_buf), f->out_length));
}

/* The fd_close or fd_renumber of frame f returned `errno` in the recording:
 * where the run's stdout and stderr are now (out_fds). */
static void follow_output_fds(const frame *f, int special, uint32_t errno_value) {
  if (errno_value != 0 || (special == IMP_FD_RENUMBER && f->arg0 == f->arg1)) {
    return;
  }
  for (int k = 0; k < 2; k++) {
    if (special == IMP_FD_CLOSE) {
      if (out_fds[k] == f->arg0) {
        out_fds[k] = -1;
      }
    } else if (out_fds[k] == f->arg1) {
      out_fds[k] = -1; /* replaced */
    } else if (out_fds[k] == f->arg0) {
      out_fds[k] = f->arg1; /* moved */
    }
  }
}

/* ---- 1. exported to generated code ---------------------------------------------- */

/* The top level of the run: the recorded export calls, one after the other,
 * until END (returns) or TRAP between export calls (traps). */
static void run_exports(void) {
  action idle = {ACT_IDLE, 0, NULL, 0, 0, 0};
  for (;;) {
    if (!peek()) {
      truncated(&idle);
    }
    switch (cur.kind) {
    case SRR_EV_EXPORT_CALL:
      call_export();
      break;
    case SRR_EV_END:
      /* `_start` returned (or the embedder finished the run between calls). */
      consume();
      state = ST_ENDED;
      status_code = 0;
      exit_code = 0;
      m_reset();
      return;
    case SRR_EV_TRAP:
      recorded_trap(NONE);
    case SRR_EV_IMPORT_CALL:
    case SRR_EV_MEMORY_GROW:
      diverge(&idle); /* the start function made fewer calls */
    default:
      inconsistent(NONE);
    }
  }
}

SRR_EXPORT(srr_rep_run)
void srr_rep_run(void) {
  ensure_running();
  if (run_started) {
    internal("srr_rep_run called twice");
  }
  run_started = 1;
  run_exports();
}

SRR_EXPORT(srr_rep_call_begin)
void srr_rep_call_begin(uint32_t index) {
  ensure_running();
  if (index >= import_count) {
    internal_far("srr_rep_call_begin: no such import");
  }
  call_index = index;
  arg_count = 0;
}

static srr_value *push_arg(uint8_t type) {
  if (call_index == NONE || arg_count >= max_values) {
    internal_far("srr_rep_arg_*: no call begun, or too many arguments");
  }
  srr_value *v = &args[arg_count++];
  v->type = type;
  return v;
}

/* PREFIX_i32 .. PREFIX_v128: the replay module's setters of values that
 * PUSH(type) appends, one per value type (a v128 comes as two i64 halves). */
#define VALUE_SETTERS(PREFIX, PUSH)                                             \
  SRR_EXPORT(PREFIX##_i32)                                                      \
  void PREFIX##_i32(uint32_t value) { PUSH(SRR_T_I32)->as.i32 = value; }        \
  SRR_EXPORT(PREFIX##_i64)                                                      \
  void PREFIX##_i64(uint64_t value) { PUSH(SRR_T_I64)->as.i64 = value; }        \
  SRR_EXPORT(PREFIX##_f32)                                                      \
  void PREFIX##_f32(float value) { __builtin_memcpy(&PUSH(SRR_T_F32)->as.f32_bits, &value, 4); } \
  SRR_EXPORT(PREFIX##_f64)                                                      \
  void PREFIX##_f64(double value) { __builtin_memcpy(&PUSH(SRR_T_F64)->as.f64_bits, &value, 8); } \
  SRR_EXPORT(PREFIX##_v128)                                                     \
  void PREFIX##_v128(uint64_t low, uint64_t high) {                             \
    srr_value *v = PUSH(SRR_T_V128);                                            \
    srr_put_u64(v->as.v128, low);                                               \
    srr_put_u64(v->as.v128 + 8, high);                                          \
  }

VALUE_SETTERS(srr_rep_arg, push_arg)

SRR_EXPORT(srr_rep_call_check)
uint32_t srr_rep_call_check(void) {
  uint32_t index = call_index;
  if (index == NONE || state != ST_RUNNING) {
    internal("srr_rep_call_check without srr_rep_call_begin");
  }
  const rep_import *im = &imports[index];
  if (arg_count != im->sig.param_count) {
    internal("srr_rep_call_check: not as many arguments as the import has parameters");
  }
  action a = {ACT_CALL, index, args, arg_count, 0, 0};
  expect_event(&a, SRR_EV_IMPORT_CALL);
  if (depth >= MAX_DEPTH) {
    internal("import calls nested too deeply");
  }
  frame *f = &frames[depth];
  f->index = index;
  f->arg0 = arg_count && args[0].type == SRR_T_I32 ? args[0].as.i32 : 0;
  f->arg1 = arg_count > 1 && args[1].type == SRR_T_I32 ? args[1].as.i32 : 0;
  f->out = NULL;
  f->out_length = 0;
  f->mark = heap;
  if (!(flags & SRR_REPLAY_FLAG_QUIET) && im->special == IMP_FD_WRITE &&
      (f->arg0 == out_fds[0] || f->arg0 == out_fds[1])) {
    f->result = args[3].as.i32;
    gather_output(f, args[1].as.i32, args[2].as.i32);
  }
  depth++;
  call_index = NONE;
  /* The output passthrough is the replayer's (srr_rep_call_end): the stub
     never makes the real call. */
  return 0;
}

SRR_EXPORT(srr_rep_call_end)
void srr_rep_call_end(uint32_t index) {
  if (state != ST_RUNNING || depth == 0 || frames[depth - 1].index != index) {
    internal("srr_rep_call_end does not match the last srr_rep_call_check");
  }
  apply_passive();
  for (;;) {
    if (!peek()) {
      /* The recording stopped while the host ran this import. */
      m_start(1);
      m_str("truncated trace (");
      if (trace_cut) {
        m_bytes(cut_reason, cut_reason_len);
      } else {
        m_str("it ends without END");
      }
      m_str("): the replay went through all its ");
      m_u64(ev_number);
      m_str(" events; the recording stops inside ");
      m_import(index);
      fail(SRR_REPLAY_EXIT_TRUNCATED);
    }
    switch (cur.kind) {
    case SRR_EV_IMPORT_RETURN:
      if (cur.index != index) {
        inconsistent(index);
      }
      copy_values(rets.values, cur_values, cur.value_count);
      rets.count = cur.value_count;
      rets.pos = 0;
      consume();
      apply_passive();
      depth--;
      if (frames[depth].out) {
        pass_output(&frames[depth], rets.values[0].as.i32);
      }
      if (imports[index].special == IMP_FD_CLOSE || imports[index].special == IMP_FD_RENUMBER) {
        follow_output_fds(&frames[depth], imports[index].special, rets.values[0].as.i32);
      }
      heap = frames[depth].mark;
      return;
    case SRR_EV_EXPORT_CALL:
      call_export(); /* re-entrancy: the host calls into the guest */
      break;
    case SRR_EV_END:
      consume();
      end_in_import(index, frames[depth - 1].arg0);
    case SRR_EV_TRAP:
      recorded_trap(index);
    default:
      inconsistent(index);
    }
  }
}

/* ---- calls of the host's functions through tables ---------------------------- */

static uint32_t funcref_table;
static uint64_t funcref_element;

/* The answer of the last look ahead (srr_rep_is_host_call), for the event
 * position it looked from. */
static uint64_t ahead_pos = UINT64_MAX;
static uint32_t ahead_table;
static uint64_t ahead_element;
static int ahead_found;

/* Where the host function call the trace has next is (cur is an
 * EXPORT_CALL the host's function made before returning: the call is the
 * first HOST_FUNCREF_CALL after the export calls at this level). 1 with
 * *table and *element, or 0 when the guest does something else first. */
static int look_ahead(uint32_t *table, uint64_t *element) {
  uint64_t pos = ev_pos;
  uint32_t level = 0;
  srr_decoded_event ev;
  srr_dec d;
  while (pos < ev_size) {
    if (decode_at(&d, pos, &ev, NULL) != 0) {
      return 0; /* (reported when the replay gets there) */
    }
    pos = d.position;
    switch (ev.kind) {
    case SRR_EV_EXPORT_CALL:
      level++;
      break;
    case SRR_EV_EXPORT_RETURN:
      if (level == 0) {
        return 0;
      }
      level--;
      break;
    case SRR_EV_HOST_FUNCREF_CALL:
      if (level == 0) {
        *table = (uint32_t)ev.index;
        *element = ev.element;
        return 1;
      }
      break;
    case SRR_EV_MEMORY_WRITE:
    case SRR_EV_HOST_MEMORY_GROW:
    case SRR_EV_GLOBAL_CHANGE:
    case SRR_EV_HOST_TABLE_SET:
    case SRR_EV_HOST_TABLE_GROW:
      break;
    default: /* the guest's own events: at this level, not the host call */
      if (level == 0 || ev.kind == SRR_EV_TRAP || ev.kind == SRR_EV_END) {
        return 0;
      }
      if (ev.kind == SRR_EV_IMPORT_CALL) {
        level++;
      } else if (ev.kind == SRR_EV_IMPORT_RETURN) {
        level--;
      }
      break;
    }
  }
  return 0;
}

SRR_EXPORT(srr_rep_is_host_call)
uint32_t srr_rep_is_host_call(uint32_t table, uint32_t element) {
  ensure_running();
  if (!peek()) {
    return 0;
  }
  if (cur.kind == SRR_EV_HOST_FUNCREF_CALL) {
    return cur.index == table && cur.element == element;
  }
  if (cur.kind != SRR_EV_EXPORT_CALL) {
    return 0;
  }
  if (ahead_pos != ev_pos) {
    ahead_pos = ev_pos;
    ahead_found = look_ahead(&ahead_table, &ahead_element);
  }
  return ahead_found && ahead_table == table && ahead_element == element;
}

SRR_EXPORT(srr_rep_funcref_begin)
void srr_rep_funcref_begin(uint32_t table, uint32_t element) {
  ensure_running();
  call_index = FUNCREF_CALL;
  funcref_table = table;
  funcref_element = element;
  arg_count = 0;
}

SRR_EXPORT(srr_rep_arg_ref)
void srr_rep_arg_ref(uint32_t type, uint32_t non_null) { push_arg((uint8_t)type)->as.non_null = non_null != 0; }

SRR_EXPORT(srr_rep_funcref_call)
void srr_rep_funcref_call(uint32_t result_count) {
  if (call_index != FUNCREF_CALL || state != ST_RUNNING) {
    internal("srr_rep_funcref_call without srr_rep_funcref_begin");
  }
  call_index = NONE;
  /* The arguments, kept apart: the export calls the host's function made
     call imports, whose arguments go to args. */
  uint64_t mark = heap;
  uint32_t count = arg_count;
  srr_value *mine = alloc((uint64_t)(count ? count : 1) * sizeof *mine);
  if (!mine) {
    internal("out of memory");
  }
  copy_values(mine, args, count);
  action a = {ACT_FUNCREF_CALL, funcref_table, mine, count, 0, funcref_element};
  for (;;) {
    if (!peek()) {
      truncated(&a);
    }
    switch (cur.kind) {
    case SRR_EV_EXPORT_CALL:
      call_export(); /* the host's function called into the guest */
      break;
    case SRR_EV_HOST_FUNCREF_CALL:
      if (cur.index != a.index || cur.element != a.delta || cur.signature.param_count != count ||
          cur.signature.result_count != result_count || first_difference(mine, cur_values, count) != count) {
        diverge(&a);
      }
      heap = mark;
      copy_values(rets.values, cur_values + count, result_count);
      rets.count = result_count;
      rets.pos = 0;
      consume();
      /* The element is the host's now (if the recording's host replaced a
         function there, no event said so until this call). */
      srr_host_table_set(a.index, (uint32_t)a.delta, 1);
      apply_passive();
      return;
    case SRR_EV_TRAP:
      recorded_trap(FUNCREF_CALL);
    default:
      diverge(&a);
    }
  }
}

/* The next value of q, which must be of `type`; `advance` 0 leaves it next
 * (the low half of a v128, whose high half follows). */
static const srr_value *next_value(value_queue *q, uint8_t type, int advance) {
  if (q->pos >= q->count || q->values[q->pos].type != type) {
    internal_far(q->misuse);
  }
  const srr_value *v = &q->values[q->pos];
  q->pos += (uint32_t)advance;
  return v;
}

/* PREFIX_i32 .. PREFIX_v128_high: the replay module's getters of QUEUE's
 * values, one per value type (a v128 comes as two i64 halves). */
#define VALUE_GETTERS(PREFIX, QUEUE)                                                       \
  SRR_EXPORT(PREFIX##_i32)                                                                 \
  uint32_t PREFIX##_i32(void) { return next_value(&QUEUE, SRR_T_I32, 1)->as.i32; }         \
  SRR_EXPORT(PREFIX##_i64)                                                                 \
  uint64_t PREFIX##_i64(void) { return next_value(&QUEUE, SRR_T_I64, 1)->as.i64; }         \
  SRR_EXPORT(PREFIX##_f32)                                                                 \
  float PREFIX##_f32(void) {                                                               \
    float f;                                                                               \
    __builtin_memcpy(&f, &next_value(&QUEUE, SRR_T_F32, 1)->as.f32_bits, 4);              \
    return f;                                                                              \
  }                                                                                        \
  SRR_EXPORT(PREFIX##_f64)                                                                 \
  double PREFIX##_f64(void) {                                                              \
    double d;                                                                              \
    __builtin_memcpy(&d, &next_value(&QUEUE, SRR_T_F64, 1)->as.f64_bits, 8);              \
    return d;                                                                              \
  }                                                                                        \
  SRR_EXPORT(PREFIX##_v128_low)                                                            \
  uint64_t PREFIX##_v128_low(void) { return srr_get_u64(next_value(&QUEUE, SRR_T_V128, 0)->as.v128); } \
  SRR_EXPORT(PREFIX##_v128_high)                                                           \
  uint64_t PREFIX##_v128_high(void) { return srr_get_u64(next_value(&QUEUE, SRR_T_V128, 1)->as.v128 + 8); }

VALUE_GETTERS(srr_rep_ret, rets)

SRR_EXPORT(srr_rep_ret_ref)
uint32_t srr_rep_ret_ref(uint32_t type) { return next_value(&rets, (uint8_t)type, 1)->as.non_null; }

SRR_EXPORT(srr_rep_memory_grow)
int32_t srr_rep_memory_grow(uint32_t memory, uint32_t delta) {
  ensure_running();
  action a = {ACT_GROW, 0, NULL, 0, memory, delta};
  if (!peek()) {
    truncated(&a);
  }
  if (cur.kind != SRR_EV_MEMORY_GROW || (uint32_t)cur.index != memory || cur.delta_pages != delta) {
    diverge(&a);
  }
  int64_t result = cur.result;
  uint64_t number = ev_number;
  consume();
  if (result != -1) {
    uint32_t pages = srr_host_memory_pages(memory);
    if (pages != result || srr_host_memory_grow(memory, delta) != (int32_t)result) {
      m_start(0);
      m_str("divergence at event ");
      m_u64(number);
      m_str(": the guest grew memory ");
      m_u64(memory);
      m_str(" by ");
      m_pages(delta);
      m_str(" from ");
      m_pages(pages);
      m_str(pages != result ? " but the recording grew it from " : ", which fails in the replay but grew it from ");
      m_pages((uint64_t)result);
      m_str(pages != result ? "" : " in the recording");
      fail(SRR_REPLAY_EXIT_DIVERGED);
    }
  }
  apply_passive();
  return (int32_t)result;
}

VALUE_GETTERS(srr_rep_export_arg, xargs)

/* A funcref or externref argument (`type`): 1 if the recorded host passed a
 * non-null reference, 0 for null. */
SRR_EXPORT(srr_rep_export_arg_ref)
uint32_t srr_rep_export_arg_ref(uint32_t type) { return next_value(&xargs, (uint8_t)type, 1)->as.non_null; }

static srr_value *push_result(uint8_t type) {
  if (xres_count >= max_values) {
    internal_far("srr_rep_export_result_*: too many results");
  }
  srr_value *v = &xres[xres_count++];
  v->type = type;
  return v;
}

VALUE_SETTERS(srr_rep_export_result, push_result)

SRR_EXPORT(srr_rep_export_result_ref)
void srr_rep_export_result_ref(uint32_t type, uint32_t non_null) {
  push_result((uint8_t)type)->as.non_null = non_null != 0;
}

/* The replay module's stand-in for a non-null funcref the recorded host
 * passed was called: the trace says only that the reference was not null,
 * not what it called. */
SRR_EXPORT(srr_rep_host_funcref_called)
void srr_rep_host_funcref_called(void) {
  m_start(0);
  m_str("divergence at event ");
  m_u64(ev_number);
  m_str(": the guest called a function reference the host gave it, which the trace cannot replay "
        "(it holds only whether a reference is null)");
  fail(SRR_REPLAY_EXIT_DIVERGED);
}

/* A compiled run's divergence (replayer_abi.h, section 5): the generated
 * code found other results, or another number of grows, than the trace's. */

SRR_EXPORT(srr_rep_compiled_diverged)
void srr_rep_compiled_diverged(void) {
  ensure_running();
  xres_count = 0;
}

SRR_EXPORT(srr_rep_compiled_return)
void srr_rep_compiled_return(uint32_t export_index) {
  if (state != ST_RUNNING || export_depth == 0 || export_stack[export_depth - 1] != export_index) {
    internal("srr_rep_compiled_return without srr_rep_compiled_diverged in that export's call");
  }
  export_depth--;
  check_export_return(export_index);
  internal("srr_rep_compiled_return: the results the compiled run found different are the recorded ones");
}

/* ---- 4. for launchers and embedders --------------------------------------------- */

/* After the run: the recorded exit code, or -1. */
SRR_EXPORT(shadowrr_exit_code)
int32_t shadowrr_exit_code(void) {
  compiled_run_ended();
  return exit_code;
}

/* load_at_position for shadowrr_status, which the host calls after every
 * run: out of line, so that compiling it does not compile loading too. */
COLD static int load_for_status(void) { return load_at_position(); }

/* After the run: 0 when it ended as recorded, else SRR_REPLAY_EXIT_*. Called
 * after a trap the replayer did not raise (the guest trapped by itself), it
 * decides whether the recording trapped there too (0: the TRAP is consumed,
 * the message says where, and shadowrr_resume may go on) or not (DIVERGED,
 * or TRUNCATED after the last event of a trace that does not end; the
 * message printed on fd 2 like every failure). */
SRR_EXPORT(shadowrr_status)
int32_t shadowrr_status(void) {
  if (state == ST_FRESH && !compiled_run_ended() && load_for_status() != 0) {
    return status_code;
  }
  if (state == ST_RUNNING) {
    action trapped = {ACT_TRAPPED, 0, NULL, 0, 0, 0};
    int r = peek_raw();
    if (r < 0) {
      return status_code;
    }
    if (r == 0) {
      m_truncated(&trapped);
      set_failure(SRR_REPLAY_EXIT_TRUNCATED);
      print_msg();
    } else if (cur.kind == SRR_EV_TRAP) {
      m_start(0);
      m_str("the replay trapped where the recording did, at event ");
      m_u64(ev_number);
      if (export_depth > 0) {
        m_str(", in ");
        m_export(export_stack[export_depth - 1]);
      }
      if (cur.message_length) {
        m_str(" (");
        m_trap_message();
        m_str(")");
      }
      consume();
      stopped_at_trap();
    } else {
      m_divergence(&trapped);
      set_failure(SRR_REPLAY_EXIT_DIVERGED);
      print_msg();
    }
  }
  return status_code;
}

/* The rest of shadowrr_resume, below its stack reset. */
__attribute__((noinline)) static int32_t resume(void) {
  if (state == ST_RUNNING) {
    shadowrr_status(); /* the host did not ask: decide now */
  }
  if (state != ST_TRAPPED) {
    return 0;
  }
  /* Everything the trap unwound: import and export calls, the values being
   * passed, the output buffers of fd_write calls under way. */
  if (depth > 0) {
    heap = frames[0].mark;
  }
  depth = 0;
  export_depth = 0;
  call_index = NONE;
  arg_count = 0;
  rets.count = rets.pos = 0;
  xargs.count = xargs.pos = 0;
  xres_count = 0;
  state = ST_RUNNING;
  m_reset();
  apply_passive();
  run_exports();
  return 1;
}

/* After a trap the replay reproduced (shadowrr_status() == 0): goes on with
 * the next recorded export call, as `_start` does, up to the end of the run
 * (returns 1) or the next trap (traps, like `_start`). Returns 0 when there
 * is nothing to resume: the run ended at that trap, or failed. Called by the
 * host at top level (no replayer frame live), which lets it put back the C
 * stack the trap left behind. */
SRR_EXPORT(shadowrr_resume)
int32_t shadowrr_resume(void) {
  srr_stack_reset();
  return resume();
}

/* The last diagnostic, as UTF-8 text in shadowrr_memory (no newline). */
SRR_EXPORT(shadowrr_message_ptr)
uint32_t shadowrr_message_ptr(void) { return rs(msg); }

SRR_EXPORT(shadowrr_message_size)
uint32_t shadowrr_message_size(void) { return msg_len; }
