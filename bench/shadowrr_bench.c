/*
 * shadowrr-bench: the benchmark harness. A measurement, never a pass/fail
 * test (bench/README.md has the details and the JSON schema).
 *
 * For each benchmark module: `shadowrr instrument --mode record` once (timed,
 * sizes kept), then N runs each of the original, the instrumented module and
 * the replay module (`shadowrr instrument --mode replay`) replaying the trace
 * just recorded, interleaved (plain, record, replay, plain, ...), each a
 * fresh engine process; only the *timed region* counts: bench.start..
 * bench.end for sightglass (in the replay, bench.start and bench.end are
 * passthrough imports: checked against the trace, then called on the host),
 * the `_start` call for everything else (the launchers' --bench-times and
 * --start-times). The last recorded trace is summarised with `shadowrr info`
 * and packed with `shadowrr pack`. Writes OUT/<date>-<engine>.json,
 * OUT/<date>-<engine>.svg and a table on stdout.
 *
 * Everything runs one process at a time.
 */
#define _XOPEN_SOURCE 700
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "engines.h"

#ifndef SHADOWRR_BENCH_CLI
#define SHADOWRR_BENCH_CLI "shadowrr"
#endif
#ifndef SHADOWRR_BENCH_SOURCE_DIR
#define SHADOWRR_BENCH_SOURCE_DIR "."
#endif
#ifndef SHADOWRR_BENCH_PROGRAMS_DIR
#define SHADOWRR_BENCH_PROGRAMS_DIR ""
#endif
#ifndef SHADOWRR_BENCH_VERSION
#define SHADOWRR_BENCH_VERSION "unknown"
#endif

#define PROG "shadowrr-bench"
#define MAX_RUNS 100
#define MAX_ENGINES 8
#define PATH_SIZE 4096
#define WHY_SIZE 400

static const char kUsage[] =
    "usage: shadowrr-bench [--engine node|wasmtime]... [--runs N] [--quick]\n"
    "                      [--filter SUBSTR] [--out DIR] [options]\n"
    "       shadowrr-bench --check RESULT.json\n"
    "\n"
    "Measures what recording and replaying cost: every benchmark runs plain,\n"
    "recording and replaying its recording (interleaved, N times each, one\n"
    "process at a time) and only its timed region counts (sightglass:\n"
    "bench.start..bench.end; otherwise the _start call). Writes\n"
    "DIR/<date>-<engine>.json and .svg, and a table on stdout.\n"
    "A measurement, not a test: it fails only when it cannot measure at all.\n"
    "\n"
    "options:\n"
    "  --engine E      node (default), node-no-liftoff (node 24 with V8's\n"
    "                  --no-liftoff: optimised code from the first call) or\n"
    "                  wasmtime (also node20, bun, deno); repeatable\n"
    "  --runs N        runs of each of plain, record and replay (default 5)\n"
    "  --quick         1 run (unless --runs) and only 3 small benchmarks\n"
    "  --filter S      only benchmarks whose id contains S (e.g. sightglass/,\n"
    "                  wasm-r3/fib)\n"
    "  --undeclared    record without declaring what the hosts do (no\n"
    "                  --host-writes-in-calls, no --pure-import): every memory\n"
    "                  gets its shadow, as for a host that writes memory\n"
    "                  between calls; writes DIR/<date>-<engine>-undeclared.*\n"
    "  --out DIR       where the results go (default: bench/results of the\n"
    "                  source tree)\n"
    "  --suite S       corpora (sightglass + wasm-r3-bench; the default when\n"
    "                  they exist) or programs (the project's test programs)\n"
    "  --corpora DIR   the corpora (default: $SHADOWRR_CORPORA, else\n"
    "                  ../shared/corpora beside the source tree)\n"
    "  --programs DIR  the built test programs (default: the build's)\n"
    "  --shadowrr P    the shadowrr command (default: the build's)\n"
    "  --timeout S     seconds before one run is killed (default 900)\n"
    "  --keep          keep the scratch folder (its path is printed)\n"
    "  --check FILE    check a result file (it parses, has measured entries\n"
    "                  with positive times); prints 'N passed, N failed'\n"
    "  -h, --help      this text\n"
    "\n"
    "exit codes: 0 measured (whatever the numbers), 1 could not measure\n"
    "(missing engine, unwritable output, no benchmark), 2 wrong usage.\n";

/* ---- small helpers ------------------------------------------------------ */

static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, PROG ": ");
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(code);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) die(1, "out of memory");
  return p;
}

static char *xstrdup(const char *s) {
  char *p = xmalloc(strlen(s) + 1);
  strcpy(p, s);
  return p;
}

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = xmalloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (long long)st.st_size : -1;
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Reads a whole (small) file as a NUL-terminated string; NULL if unreadable. */
static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, len = 0;
  char *s = xmalloc(cap);
  size_t n;
  while ((n = fread(s + len, 1, cap - len - 1, f)) > 0) {
    len += n;
    if (cap - len - 1 == 0) {
      cap *= 2;
      char *t = realloc(s, cap);
      if (!t) die(1, "out of memory");
      s = t;
    }
  }
  fclose(f);
  s[len] = '\0';
  return s;
}

/* The last non-empty line of a file, trimmed, at most size-1 bytes. */
static void last_line(const char *path, char *out, size_t size) {
  out[0] = '\0';
  char *s = read_text(path);
  if (!s) return;
  size_t len = strlen(s);
  while (len > 0 && isspace((unsigned char)s[len - 1])) s[--len] = '\0';
  char *start = strrchr(s, '\n');
  start = start ? start + 1 : s;
  while (*start && isspace((unsigned char)*start)) start++;
  snprintf(out, size, "%s", start);
  free(s);
}

/* The first line of a file, at most size-1 bytes. */
static void first_line(const char *path, char *out, size_t size) {
  out[0] = '\0';
  char *s = read_text(path);
  if (!s) return;
  s[strcspn(s, "\n")] = '\0';
  snprintf(out, size, "%s", s);
  free(s);
}

/* out = a "/" b; a path too long for out is fatal (scratch paths are short). */
static void join(char *out, size_t size, const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la + 1 + lb + 1 > size) die(1, "path too long: %s/%s", a, b);
  memmove(out, a, la);
  out[la] = '/';
  memcpy(out + la + 1, b, lb + 1);
}

static int files_equal(const char *a, const char *b) {
  FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
  int same = fa && fb;
  while (same) {
    int ca = fgetc(fa), cb = fgetc(fb);
    if (ca != cb) same = 0;
    if (ca == EOF || cb == EOF) break;
  }
  if (fa) fclose(fa);
  if (fb) fclose(fb);
  return same;
}

static int mkdir_p(const char *path) {
  char buf[PATH_SIZE];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p == '/') {
      *p = '\0';
      if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
      *p = '/';
    }
  }
  if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
  return is_dir(buf) ? 0 : -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void rm_rf(const char *path) {
  nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir ending with suffix (caller frees each and the array). */
static char **list_dir(const char *dir, const char *suffix, int want_dirs, size_t *count) {
  *count = 0;
  DIR *d = opendir(dir);
  if (!d) return NULL;
  size_t cap = 64, n = 0;
  char **names = xmalloc(cap * sizeof *names);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    size_t len = strlen(e->d_name), slen = strlen(suffix);
    if (len < slen || strcmp(e->d_name + len - slen, suffix) != 0) continue;
    char *full = xprintf("%s/%s", dir, e->d_name);
    int isd = is_dir(full);
    free(full);
    if (isd != want_dirs) continue;
    if (n == cap) {
      cap *= 2;
      char **t = realloc(names, cap * sizeof *names);
      if (!t) die(1, "out of memory");
      names = t;
    }
    names[n++] = xstrdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_str);
  *count = n;
  return names;
}

static void free_list(char **names, size_t n) {
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

/* ---- running processes -------------------------------------------------- */

static volatile sig_atomic_t g_alarm = 0;
static volatile pid_t g_child = 0;

static void on_alarm(int sig) {
  (void)sig;
  g_alarm = 1;
}

static void on_interrupt(int sig) {
  if (g_child > 0) kill(-g_child, SIGKILL);
  signal(sig, SIG_DFL);
  raise(sig);
}

typedef struct spawn_opts {
  const char *cwd;     /* NULL: ours */
  const char *out;     /* stdout to this file (NULL: /dev/null) */
  const char *err;     /* stderr to this file (NULL: /dev/null) */
  const char *setenv;  /* "K=V" added to the environment, or NULL */
  double timeout_s;    /* 0: none */
  /* A file the run writes just before it exits (the launcher's times file),
   * or NULL. Once it exists the process must be gone within
   * EXIT_GRACE_S: node 24 can deadlock while it shuts down, after the guest
   * is done (V8 worker threads parked for a garbage collection that the
   * exiting main thread never runs; nodejs/node#54918), and such a run is
   * killed and reported as -3 rather than waited on until the timeout. */
  const char *done_file;
} spawn_opts;

#define EXIT_GRACE_S 20

/* Runs argv (NULL-terminated) in a process group of its own, stdin
 * /dev/null, and waits. Returns its exit code, 128+signal if killed, -1 if it
 * could not start, -2 after a timeout, -3 if it hung after writing
 * o->done_file (the group is killed in both cases). */
static int run_cmd(const char *const *argv, const spawn_opts *o) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    setpgid(0, 0);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (o->cwd && chdir(o->cwd) != 0) _exit(126);
    int in = open("/dev/null", O_RDONLY);
    int out = open(o->out ? o->out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0666);
    int err = open(o->err ? o->err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (in < 0 || out < 0 || err < 0) _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    if (o->setenv) putenv((char *)o->setenv);
    execvp(argv[0], (char *const *)argv);
    _exit(127);
  }
  setpgid(pid, pid);
  g_child = pid;
  g_alarm = 0;
  /* The alarm comes every second: the timeout and the exit grace are
   * counted in it, and the wait itself stays a blocking waitpid. */
  struct itimerval tick = {{1, 0}, {1, 0}};
  setitimer(ITIMER_REAL, &tick, NULL);
  int status = 0, timed_out = 0, hung = 0, seconds = 0, done_at = -1;
  for (;;) {
    pid_t r = waitpid(pid, &status, 0);
    if (r == pid) break;
    if (r < 0 && errno == EINTR) {
      if (!g_alarm || timed_out || hung) continue;
      g_alarm = 0;
      seconds++;
      if (done_at < 0 && o->done_file && access(o->done_file, F_OK) == 0) done_at = seconds;
      if (o->timeout_s > 0 && seconds >= o->timeout_s) timed_out = 1;
      else if (done_at >= 0 && seconds - done_at >= EXIT_GRACE_S) hung = 1;
      if (timed_out || hung) kill(-pid, SIGKILL);
      continue;
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    g_child = 0;
    return -1;
  }
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  g_alarm = 0;
  kill(-pid, SIGKILL); /* anything the launcher left behind */
  g_child = 0;
  if (timed_out) return -2;
  if (hung) return -3;
  if (WIFEXITED(status)) return WEXITSTATUS(status) == 127 ? -1 : WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

/* ---- benchmarks ----------------------------------------------------------- */

typedef enum { SRC_SIGHTGLASS, SRC_WASM_R3, SRC_PROGRAMS } bench_source;
static const char *const kSourceName[] = {"sightglass", "wasm-r3-bench", "test-programs"};

typedef enum {
  ST_PENDING,
  ST_MEASURED,
  ST_NOT_RUNNABLE,      /* the plain run fails: not measured */
  ST_INSTRUMENT_FAILED, /* shadowrr instrument refused it */
  ST_RECORD_FAILED,     /* the recording run failed where the plain one did not */
  ST_REPLAY_FAILED,     /* the replay could not be built, failed, or printed
                           other output than its recording */
  ST_NOT_MEASURED       /* no timing (e.g. a run timed out later) */
} bench_status;
static const char *const kStatusName[] = {"pending",       "measured",      "not_runnable", "instrument_failed",
                                          "record_failed", "replay_failed", "not_measured"};

/* The three variants of a benchmark, run in this order in each round. */
typedef enum { V_PLAIN, V_RECORD, V_REPLAY, V_COUNT } variant;
static const char *const kVariantName[] = {"plain", "record", "replay"};

typedef struct bench {
  char *id;      /* "sightglass/quicksort", "wasm-r3/fib", "programs/clock" */
  char *path;    /* the module */
  char *run_dir; /* cwd, preopened as "." (NULL: a fresh scratch folder) */
  bench_source source;
  int start_timed; /* timed region: 1 = the _start call, 0 = bench.start..end */
  int wasi;        /* imports WASI (can write its trace to a file) */
  const char *heavy_why; /* memory-heavy: why (NULL: not memory-heavy) */

  bench_status status;
  char reason[WHY_SIZE];
  long long static_accesses;      /* -1: unknown */
  double instrument_ms;           /* wall time of shadowrr instrument */
  long long size_plain, size_rec; /* module bytes */
  long long size_replay;            /* the replay module's bytes (the last one) */
  double replay_instrument_ms;      /* wall time of shadowrr instrument --mode replay */
  const char *replay_trace;         /* where the replayed traces come from */
  long long times[V_COUNT][MAX_RUNS]; /* the timed region of each run, ns */
  int ntimes[V_COUNT];
  int have_trace;
  char trace_note[WHY_SIZE];
  char trace_status[32];
  long long trace_bytes, trace_lz4_bytes, events, memwrite_bytes, raw_event_bytes;
  /* The memory-write bytes of a --reads-only recording: the host's bytes
   * the guest read, the least this design can record. */
  long long read_bytes;
  int stdout_same; /* -1 unknown */
  int exit_hangs;  /* runs made again after the engine hung on its way out */
} bench;

/* The memory-heavy benchmarks, by what their timed region does (judged from
 * the benchmark sources; wasm-r3-bench ships no sources, so only the one
 * whose computation is plain from its exports is listed). A static count of
 * loads and stores says how big a program is, not how much memory traffic
 * its hot loop makes; that count is reported per benchmark as well. */
static const struct {
  const char *id;
  const char *why;
} kMemoryHeavy[] = {
    {"sightglass/quicksort", "sorts an int array in memory: loads per comparison, stores per swap"},
    {"sightglass/bz2", "Burrows-Wheeler block sorting and table lookups over its input buffer"},
    {"sightglass/rust-compression", "compresses and decompresses a buffer (match search over a window)"},
    {"sightglass/intgemm-simd", "8-bit integer matrix products over matrices in memory"},
    {"sightglass/meshoptimizer", "vertex-cache and overdraw passes over large index and vertex buffers"},
    {"sightglass/gcc-loops", "vectorisable loops over global arrays (a[i] = b[i] op c[i])"},
    {"sightglass/shootout-heapsort", "heap sort of 10,000 doubles, 1,000 times"},
    {"sightglass/shootout-matrix", "10x10 integer matrix products through row pointers"},
    {"sightglass/shootout-memmove", "overlapping memmove over a 10,000-byte string"},
    {"sightglass/shootout-sieve", "sieve of Eratosthenes over an 8 KiB byte array, 17,000 times"},
    {"sightglass/shootout-ctype", "classifies and rewrites every byte of a 50,000-byte string"},
    {"sightglass/shootout-minicsv", "parses CSV in place, byte by byte"},
    {"wasm-r3/game-of-life", "Conway's game of life: every generation reads and writes the cell grid"},
    {"programs/big_read", "the host writes 1 MiB into memory, which the program then reads"},
    {"programs/big_read.O0", "the host writes 1 MiB into memory, which the program then reads"},
    {"programs/grow", "grows memory by several MiB and fills it"},
    {"programs/grow.O0", "grows memory by several MiB and fills it"},
};

static const char kMemoryHeavyDefinition[] =
    "a fixed list of benchmarks whose timed region is dominated by loads and stores over "
    "arrays or buffers, judged from the benchmarks' sources (bench/README.md; each entry's "
    "memory_heavy_why says why). Dynamic access counts are not measured; the static count "
    "of memory instructions (static_memory_accesses) is reported but sizes programs, not "
    "their hot loops.";

/* Small benchmarks for --quick, in order of preference. */
static const char *const kQuick[] = {"sightglass/quicksort", "sightglass/shootout-sieve",
                                     "wasm-r3/game-of-life", "programs/clock",
                                     "programs/big_read",    "programs/random"};

typedef struct bench_list {
  bench *items;
  size_t n, cap;
} bench_list;

static bench *add_bench(bench_list *l, const char *id, const char *path, const char *run_dir,
                        bench_source src, int start_timed, int wasi) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    bench *t = realloc(l->items, l->cap * sizeof *t);
    if (!t) die(1, "out of memory");
    l->items = t;
  }
  bench *b = &l->items[l->n++];
  memset(b, 0, sizeof *b);
  b->id = xstrdup(id);
  b->path = xstrdup(path);
  b->run_dir = run_dir ? xstrdup(run_dir) : NULL;
  b->source = src;
  b->start_timed = start_timed;
  b->wasi = wasi;
  b->static_accesses = -1;
  b->size_plain = b->size_rec = b->size_replay = -1;
  b->trace_bytes = b->trace_lz4_bytes = b->events = b->memwrite_bytes = b->raw_event_bytes = b->read_bytes = -1;
  b->stdout_same = -1;
  for (size_t i = 0; i < sizeof kMemoryHeavy / sizeof kMemoryHeavy[0]; i++) {
    if (strcmp(kMemoryHeavy[i].id, id) == 0) b->heavy_why = kMemoryHeavy[i].why;
  }
  return b;
}

static void discover_corpora(bench_list *l, const char *corpora) {
  char *sg = xprintf("%s/sightglass", corpora);
  size_t nd;
  char **dirs = list_dir(sg, "", 1, &nd);
  for (size_t i = 0; i < nd; i++) {
    char *dir = xprintf("%s/%s", sg, dirs[i]);
    size_t nm;
    char **mods = list_dir(dir, ".wasm", 0, &nm);
    for (size_t j = 0; j < nm; j++) {
      char *path = xprintf("%s/%s", dir, mods[j]);
      char *name = xstrdup(mods[j]);
      name[strlen(name) - 5] = '\0';
      char *id = xprintf("sightglass/%s", strcmp(name, "benchmark") == 0 ? dirs[i] : name);
      add_bench(l, id, path, dir, SRC_SIGHTGLASS, 0, 1);
      free(id);
      free(name);
      free(path);
    }
    free_list(mods, nm);
    free(dir);
  }
  free_list(dirs, nd);
  free(sg);

  char *r3 = xprintf("%s/wasm-r3-bench", corpora);
  size_t nm;
  char **mods = list_dir(r3, ".wasm", 0, &nm);
  for (size_t j = 0; j < nm; j++) {
    char *path = xprintf("%s/%s", r3, mods[j]);
    char *id = xprintf("wasm-r3/%.*s", (int)(strlen(mods[j]) - 5), mods[j]);
    add_bench(l, id, path, NULL, SRC_WASM_R3, 1, 0);
    free(id);
    free(path);
  }
  free_list(mods, nm);
  free(r3);
}

static void discover_programs(bench_list *l, const char *dir) {
  size_t nm;
  char **mods = list_dir(dir, ".wasm", 0, &nm);
  for (size_t j = 0; j < nm; j++) {
    char *path = xprintf("%s/%s", dir, mods[j]);
    char *id = xprintf("programs/%.*s", (int)(strlen(mods[j]) - 5), mods[j]);
    add_bench(l, id, path, NULL, SRC_PROGRAMS, 1, 1);
    free(id);
    free(path);
  }
  free_list(mods, nm);
}

/* ---- the measurement ------------------------------------------------------- */

typedef struct context {
  const srr_engine *engine;
  const char *name;      /* the engine's name, or "node-no-liftoff" */
  const char *prefix[8]; /* the engine's command prefix */
  int nprefix;
  /* Where a module that imports nothing is recorded for its replay when this
   * engine cannot drain its trace (wizer cannot call into the instance after
   * _start): node 24's command prefix, or none (nnode 0). */
  const char *node_prefix[8];
  int nnode;
  const char *shadowrr;
  char scratch[PATH_SIZE]; /* root of this run's scratch folders */
  int runs;
  double timeout_s;
  int undeclared; /* --undeclared: record modules without the declarations */
} context;

/* Per-benchmark scratch paths. */
typedef struct paths {
  char dir[PATH_SIZE];     /* scratch/<n> */
  char cwd[PATH_SIZE];     /* where it runs */
  char rec[PATH_SIZE];     /* the instrumented module */
  char replay[PATH_SIZE];  /* the replay module */
  char trace_dir[PATH_SIZE];
  char trace[PATH_SIZE];   /* the trace of the last recording run */
  char times[PATH_SIZE];   /* --bench-times / --start-times output */
  char out[V_COUNT][PATH_SIZE]; /* guest stdout of each variant */
  char gerr[PATH_SIZE];    /* guest stderr */
  char herr[PATH_SIZE];    /* the launcher's own stderr */
  char tool_out[PATH_SIZE];
  char tool_err[PATH_SIZE];
} paths;

static long long elapsed_from(const char *times_file) {
  json_error_t jerr;
  json_t *root = json_load_file(times_file, 0, &jerr);
  if (!root) return -1;
  json_t *e = json_object_get(root, "elapsed_ns");
  long long v = json_is_integer(e) ? (long long)json_integer_value(e) : -1;
  json_decref(root);
  return v;
}

/* Guest paths of the trace's preopen (sightglass folders are read-only). */
#define TRACE_GUEST_DIR "/shadowrr-trace"
#define TRACE_GUEST_PATH TRACE_GUEST_DIR "/run.srr"

/* One run of a variant of b on `engine`, started with `prefix`. Returns
 * the timed region in ns, or -1 with why filled. */
static long long run_prefixed(const context *cx, const srr_engine *engine, const char *const *prefix, int nprefix,
                              bench *b, const paths *p, variant v, char *why) {
  const char *argv[48];
  int n = 0;
  for (int i = 0; i < nprefix; i++) argv[n++] = prefix[i];
  char trace_dir_flag[PATH_SIZE + 32];
  if (b->wasi) {
    argv[n++] = "--dir";
    argv[n++] = ".";
    if (v != V_PLAIN) {
      /* The recording writes its trace there; the sightglass replay reads it. */
      snprintf(trace_dir_flag, sizeof trace_dir_flag, "%s::" TRACE_GUEST_DIR, p->trace_dir);
      argv[n++] = "--dir";
      argv[n++] = trace_dir_flag;
    }
  }
  argv[n++] = "--stdout";
  argv[n++] = p->out[v];
  argv[n++] = "--stderr";
  argv[n++] = p->gerr;
  argv[n++] = b->start_timed ? "--start-times" : "--bench-times";
  argv[n++] = p->times;
  /* The hooks `shadowrr record` and `shadowrr replay` pass (a trap is an
   * event the run goes on after). */
  if (v != V_PLAIN) n = srr_engine_add_hooks(engine, v == V_RECORD ? "recorder-hooks.mjs" : "replay-hooks.mjs", argv, n);
  argv[n++] = v == V_PLAIN ? b->path : v == V_RECORD ? p->rec : p->replay;
  argv[n] = NULL;

  char drain_env[PATH_SIZE + 32];
  spawn_opts o = {.cwd = p->cwd, .out = NULL, .err = p->herr, .timeout_s = cx->timeout_s, .done_file = p->times};
  if (v == V_RECORD && !b->wasi) {
    /* An import-free module keeps its trace in memory; the recorder hooks
     * drain it into this file (JS engines only). */
    snprintf(drain_env, sizeof drain_env, "SHADOWRR_DRAIN_TO=%s", p->trace);
    o.setenv = drain_env;
  }
  unlink(p->times);
  if (v == V_RECORD) unlink(p->trace);
  int rc = run_cmd(argv, &o);
  if (rc == -3) {
    /* The engine hung on its way out, after the run (run_cmd): the run is
     * made again, once, and the hang counted. */
    b->exit_hangs++;
    unlink(p->times);
    if (v == V_RECORD) unlink(p->trace);
    rc = run_cmd(argv, &o);
  }
  char host[WHY_SIZE - 32];
  last_line(p->herr, host, sizeof host);
  if (!host[0] && v == V_REPLAY) last_line(p->gerr, host, sizeof host); /* the replayer's message */
  if (rc == -1) {
    snprintf(why, WHY_SIZE, "cannot run %s", argv[0]);
    return -1;
  }
  if (rc == -2) {
    snprintf(why, WHY_SIZE, "timed out after %.0f s", cx->timeout_s);
    return -1;
  }
  if (rc == -3) {
    snprintf(why, WHY_SIZE, "the engine hung after the run, twice (killed %d s after it wrote its timing)",
             EXIT_GRACE_S);
    return -1;
  }
  if (rc != 0) {
    /* The scratch folder is gone by the time anyone reads the reason. */
    char *at = strstr(host, p->dir);
    size_t len = strlen(p->dir);
    if (at && len >= 9) {
      memmove(at + 9, at + len, strlen(at + len) + 1);
      memcpy(at, "<scratch>", 9);
    }
    if (host[0]) snprintf(why, WHY_SIZE, "exit %d: %s", rc, host);
    else snprintf(why, WHY_SIZE, "exit %d", rc);
    return -1;
  }
  long long t = elapsed_from(p->times);
  if (t < 0) {
    snprintf(why, WHY_SIZE, "no timing: %s",
             b->start_timed ? "_start did not return (proc_exit?)" : "bench.start/bench.end not both called");
    return -1;
  }
  return t;
}

static long long run_once(const context *cx, bench *b, const paths *p, variant v, char *why) {
  return run_prefixed(cx, cx->engine, cx->prefix, cx->nprefix, b, p, v, why);
}

/* Runs a shadowrr subcommand with output to the scratch tool files. */
static int run_tool(const context *cx, const paths *p, const char *const *args, double *seconds) {
  const char *argv[16];
  int n = 0;
  argv[n++] = cx->shadowrr;
  for (int i = 0; args[i] && n < 15; i++) argv[n++] = args[i];
  argv[n] = NULL;
  spawn_opts o = {.cwd = NULL, .out = p->tool_out, .err = p->tool_err, .timeout_s = cx->timeout_s};
  double t0 = now_s();
  int rc = run_cmd(argv, &o);
  if (seconds) *seconds = now_s() - t0;
  return rc;
}

static long long info_field(const char *text, const char *label) {
  const char *at = strstr(text, label);
  if (!at) return -1;
  at += strlen(label);
  while (*at == ' ') at++;
  if (!isdigit((unsigned char)*at)) return -1;
  return strtoll(at, NULL, 10);
}

static void static_accesses(const context *cx, bench *b, const paths *p) {
  const char *args[] = {"inspect", "--json", b->path, NULL};
  if (run_tool(cx, p, args, NULL) != 0) return;
  json_error_t jerr;
  json_t *root = json_load_file(p->tool_out, 0, &jerr);
  json_t *acc = root ? json_object_get(root, "accesses") : NULL;
  if (json_is_object(acc)) {
    static const char *const kinds[] = {"load",        "store",          "simd_load",   "simd_lane_load",
                                        "simd_lane_store", "atomic_load", "atomic_store", "atomic_rmw",
                                        "atomic_cmpxchg", "memory_copy", "memory_fill", "memory_init"};
    long long sum = 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
      json_t *v = json_object_get(acc, kinds[i]);
      if (json_is_integer(v)) sum += (long long)json_integer_value(v);
    }
    b->static_accesses = sum;
  }
  json_decref(root);
}

/* `shadowrr info` of p->trace: its text (to free), or NULL if it failed
 * (exit 3, a truncated trace, still describes it). */
static char *trace_info(const context *cx, const paths *p) {
  const char *info[] = {"info", p->trace, NULL};
  int rc = run_tool(cx, p, info, NULL);
  char *text = read_text(p->tool_out);
  if (rc != 0 && rc != 3) {
    free(text);
    return NULL;
  }
  return text;
}

/* `shadowrr instrument --mode record` of b into `out` (with --reads-only if
 * asked), as the bench runs it; returns its exit code, the wall time in
 * *secs if not NULL. */
static int instrument_record(const context *cx, const bench *b, const paths *p, const char *out, int reads_only,
                             double *secs) {
  const char *inst[16] = {0};
  int ni = 0;
  inst[ni++] = "instrument";
  inst[ni++] = "--mode";
  inst[ni++] = "record";
  if (reads_only) inst[ni++] = "--reads-only";
  /* What the bench's hosts are (the JSON's "record_flags"): WASI runners
   * that write the guest's memory only during its calls, and whose
   * bench.start and bench.end (sightglass's timer) write none of it. */
  if (!cx->undeclared) inst[ni++] = "--host-writes-in-calls";
  if (!b->start_timed && !cx->undeclared) {
    inst[ni++] = "--pure-import";
    inst[ni++] = "bench.start";
    inst[ni++] = "--pure-import";
    inst[ni++] = "bench.end";
  }
  if (b->wasi) {
    inst[ni++] = "--trace-path";
    inst[ni++] = TRACE_GUEST_PATH;
  }
  if (cx->engine->single_memory) inst[ni++] = "--single-memory"; /* node 20 */
  inst[ni++] = b->path;
  inst[ni++] = "-o";
  inst[ni++] = out;
  inst[ni] = NULL;
  return run_tool(cx, p, inst, secs);
}

static void summarise_trace(const context *cx, bench *b, const paths *p) {
  if (file_size(p->trace) < 0) {
    if (!b->trace_note[0]) snprintf(b->trace_note, sizeof b->trace_note, "the recording run left no trace");
    return;
  }
  b->trace_bytes = file_size(p->trace);
  char *text = trace_info(cx, p);
  if (text) {
    b->have_trace = 1;
    b->events = info_field(text, "\nevents:");
    b->memwrite_bytes = info_field(text, "\nmemory writes:");
    b->raw_event_bytes = info_field(text, "\nraw events:");
    const char *st = strstr(text, "\nstatus:");
    if (st) {
      st += strlen("\nstatus:");
      while (*st == ' ') st++;
      snprintf(b->trace_status, sizeof b->trace_status, "%.*s", (int)strcspn(st, " \n"), st);
    }
  } else {
    char line[WHY_SIZE - 32];
    last_line(p->tool_err, line, sizeof line);
    snprintf(b->trace_note, sizeof b->trace_note, "shadowrr info failed: %s", line);
  }
  free(text);
  char packed[PATH_SIZE + 16];
  snprintf(packed, sizeof packed, "%s.lz4", p->trace);
  const char *pack[] = {"pack", p->trace, "-o", packed, NULL};
  int rc = run_tool(cx, p, pack, NULL);
  if (rc == 0 || rc == 3) b->trace_lz4_bytes = file_size(packed);
}

/* Records b once more, untimed, with a --reads-only module, and keeps the
 * memory-write bytes of its trace in b->read_bytes. Leaves it -1 when that
 * cannot be measured (the reason is not worth a failure: the main
 * measurement stands). Overwrites the trace, already summarised. */
static void measure_reads_only(const context *cx, bench *b, const paths *p) {
  if (!b->have_trace) return;
  paths rp = *p;
  if ((size_t)snprintf(rp.rec, sizeof rp.rec, "%s.reads-only.wasm", p->rec) >= sizeof rp.rec) return;
  char why[WHY_SIZE];
  if (instrument_record(cx, b, &rp, rp.rec, 1, NULL) != 0 || run_once(cx, b, &rp, V_RECORD, why) < 0) return;
  char *text = trace_info(cx, &rp);
  if (text) b->read_bytes = info_field(text, "\nmemory writes:");
  free(text);
}

static int cmp_ll(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return x < y ? -1 : x > y;
}

static double median(const long long *v, int n) {
  long long s[MAX_RUNS];
  memcpy(s, v, (size_t)n * sizeof *v);
  qsort(s, (size_t)n, sizeof *s, cmp_ll);
  return n % 2 ? (double)s[n / 2] : ((double)s[n / 2 - 1] + (double)s[n / 2]) / 2.0;
}

static long long min_of(const long long *v, int n) {
  long long m = v[0];
  for (int i = 1; i < n; i++) m = v[i] < m ? v[i] : m;
  return m;
}

static long long max_of(const long long *v, int n) {
  long long m = v[0];
  for (int i = 1; i < n; i++) m = v[i] > m ? v[i] : m;
  return m;
}

static double median_of(const bench *b, variant v) { return median(b->times[v], b->ntimes[v]); }

/* median(v) / median(plain), for a measured benchmark (else NaN). */
static double ratio_of(const bench *b, variant v) {
  return b->status == ST_MEASURED ? median_of(b, v) / median_of(b, V_PLAIN) : NAN;
}

/* Builds the replay module from the trace of the recording just made.
 * bench.start..bench.end benchmarks read the trace at run time, before their
 * timed region, so their replay module is built once (run == 0), with the
 * bench imports passed through to the host's timer. A _start-timed run would
 * time reading the file: the trace is embedded instead, so the module is
 * built again after each recording (and an import-free program stays
 * import-free: --quiet). Returns 0, or -1 with why filled. */
static int build_replay(const context *cx, bench *b, const paths *p, const char *trace, int run, char *why) {
  if (!b->start_timed && run > 0) return 0;
  const char *args[16];
  int n = 0;
  args[n++] = "instrument";
  args[n++] = "--mode";
  args[n++] = "replay";
  if (cx->engine->single_memory) args[n++] = "--single-memory";
  args[n++] = "--trace";
  if (b->start_timed) {
    args[n++] = trace;
    args[n++] = "--embed";
    /* An import-free program stays import-free; a WASI one's output passes
     * through, as the plain run writes it. */
    if (!b->wasi) args[n++] = "--quiet";
  } else {
    args[n++] = TRACE_GUEST_PATH;
    args[n++] = "--passthrough";
    args[n++] = "bench.start";
    args[n++] = "--passthrough";
    args[n++] = "bench.end";
  }
  args[n++] = b->path;
  args[n++] = "-o";
  args[n++] = p->replay;
  args[n] = NULL;
  double secs = 0;
  int rc = run_tool(cx, p, args, &secs);
  if (run == 0) b->replay_instrument_ms = secs * 1e3;
  if (rc != 0) {
    char line[WHY_SIZE - 64];
    first_line(p->tool_err, line, sizeof line);
    snprintf(why, WHY_SIZE, "shadowrr instrument --mode replay: %s", line[0] ? line : "failed");
    return -1;
  }
  b->size_replay = file_size(p->replay);
  return 0;
}

static void measure(const context *cx, bench *b, int index) {
  paths p;
  char number[16];
  snprintf(number, sizeof number, "%d", index);
  join(p.dir, sizeof p.dir, cx->scratch, number);
  join(p.rec, sizeof p.rec, p.dir, "rec");
  join(p.replay, sizeof p.replay, p.dir, "replay");
  join(p.trace_dir, sizeof p.trace_dir, p.dir, "trace");
  if (b->run_dir) snprintf(p.cwd, sizeof p.cwd, "%s", b->run_dir);
  else join(p.cwd, sizeof p.cwd, p.dir, "cwd");
  if (mkdir_p(p.rec) != 0 || mkdir_p(p.replay) != 0 || mkdir_p(p.trace_dir) != 0 || mkdir_p(p.cwd) != 0) {
    b->status = ST_NOT_MEASURED;
    snprintf(b->reason, sizeof b->reason, "cannot make scratch folders in %.300s", p.dir);
    return;
  }
  /* The instrumented modules keep the original's file name (argv[0]). */
  const char *base = strrchr(b->path, '/');
  base = base ? base + 1 : b->path;
  join(p.rec, sizeof p.rec, p.rec, base);
  join(p.replay, sizeof p.replay, p.replay, base);
  join(p.trace, sizeof p.trace, p.trace_dir, "run.srr");
  join(p.times, sizeof p.times, p.dir, "times.json");
  for (int v = 0; v < V_COUNT; v++) {
    char name[32];
    snprintf(name, sizeof name, "%s.stdout", kVariantName[v]);
    join(p.out[v], sizeof p.out[v], p.dir, name);
  }
  join(p.gerr, sizeof p.gerr, p.dir, "guest.stderr");
  join(p.herr, sizeof p.herr, p.dir, "host.stderr");
  join(p.tool_out, sizeof p.tool_out, p.dir, "tool.stdout");
  join(p.tool_err, sizeof p.tool_err, p.dir, "tool.stderr");

  b->size_plain = file_size(b->path);
  static_accesses(cx, b, &p);

  /* Instrument once, timed. */
  double secs = 0;
  int rc = instrument_record(cx, b, &p, p.rec, 0, &secs);
  b->instrument_ms = secs * 1e3;
  if (rc != 0) {
    b->status = ST_INSTRUMENT_FAILED;
    char line[WHY_SIZE - 32];
    first_line(p.tool_err, line, sizeof line);
    snprintf(b->reason, sizeof b->reason, "%s", line[0] ? line : "shadowrr instrument failed");
    return;
  }
  b->size_rec = file_size(p.rec);

  /* The trace each replay replays: the one just recorded, but for an
   * import-free program on an engine that cannot drain it (wizer), which is
   * recorded once on node 24 instead (the same events: nothing of the host
   * enters such a run but memory growth). */
  char why[WHY_SIZE];
  char node_trace[PATH_SIZE];
  join(node_trace, sizeof node_trace, p.dir, "node.srr");
  int own_trace = b->wasi || strcmp(cx->engine->name, "wasmtime") != 0;
  b->replay_trace = own_trace ? "the recording run just before it" : "recorded once on node 24 (wizer cannot drain "
                                                                      "the trace of a module that imports nothing)";
  if (!own_trace) {
    paths np = p;
    snprintf(np.trace, sizeof np.trace, "%s", node_trace);
    if (cx->nnode == 0) {
      b->status = ST_REPLAY_FAILED;
      snprintf(b->reason, sizeof b->reason, "no trace to replay: node 24 (which records it) is not installed");
      return;
    }
    if (run_prefixed(cx, srr_engine_find("node"), cx->node_prefix, cx->nnode, b, &np, V_RECORD, why) < 0 ||
        build_replay(cx, b, &p, node_trace, 0, why) != 0) {
      b->status = ST_REPLAY_FAILED;
      snprintf(b->reason, sizeof b->reason, "recording on node 24 for the replay: %.*s", WHY_SIZE - 64, why);
      return;
    }
  }

  /* Interleaved: plain, record, replay, plain, record, replay, ... */
  for (int r = 0; r < cx->runs; r++) {
    for (int v = 0; v < V_COUNT; v++) {
      if (v == V_REPLAY && own_trace && build_replay(cx, b, &p, p.trace, r, why) != 0) {
        b->status = ST_REPLAY_FAILED;
        snprintf(b->reason, sizeof b->reason, "%.*s", WHY_SIZE - 32, why);
        return;
      }
      long long t = run_once(cx, b, &p, (variant)v, why);
      if (t < 0) {
        b->status = v == V_PLAIN ? (r == 0 ? ST_NOT_RUNNABLE : ST_NOT_MEASURED)
                    : v == V_RECORD ? ST_RECORD_FAILED : ST_REPLAY_FAILED;
        snprintf(b->reason, sizeof b->reason, "%s run %d: %.*s", kVariantName[v], r + 1, WHY_SIZE - 32, why);
        return;
      }
      /* A replay prints what its recording printed, byte for byte. */
      if (v == V_REPLAY && own_trace && !files_equal(p.out[V_RECORD], p.out[V_REPLAY])) {
        b->status = ST_REPLAY_FAILED;
        snprintf(b->reason, sizeof b->reason, "replay run %d: stdout differs from its recording's", r + 1);
        return;
      }
      b->times[v][b->ntimes[v]++] = t;
    }
  }
  b->status = ST_MEASURED;
  b->stdout_same = files_equal(p.out[V_PLAIN], p.out[V_RECORD]);
  if (!b->wasi && strcmp(cx->engine->name, "wasmtime") == 0) {
    snprintf(b->trace_note, sizeof b->trace_note,
             "not available: the module imports nothing, so its trace stays in memory, and wizer "
             "cannot call the drain exports after _start");
    return;
  }
  summarise_trace(cx, b, &p);
  measure_reads_only(cx, b, &p);
}

/* ---- results ------------------------------------------------------------------ */

static json_t *json_ll_or_null(long long v) {
  return v >= 0 ? json_integer((json_int_t)v) : json_null();
}

static json_t *json_real_or_null(double v) {
  return isfinite(v) ? json_real(v) : json_null();
}

static double round_to(double v, double unit) {
  return isfinite(v) ? round(v / unit) * unit : v;
}

static json_t *samples_json(const long long *v, int n) {
  if (n == 0) return json_null();
  json_t *o = json_object();
  json_object_set_new(o, "median", json_real(median(v, n)));
  json_object_set_new(o, "min", json_integer((json_int_t)min_of(v, n)));
  json_object_set_new(o, "max", json_integer((json_int_t)max_of(v, n)));
  json_t *a = json_array();
  for (int i = 0; i < n; i++) json_array_append_new(a, json_integer((json_int_t)v[i]));
  json_object_set_new(o, "runs", a);
  return o;
}

/* Below this plain median the timed region is too short to say much (timer
 * resolution, a few host calls); summary.geomean_ratio_record_1ms leaves such
 * benchmarks out. */
#define LONG_ENOUGH_NS 1e6

/* The replay goal: at least this fraction of plain's speed, i.e.
 * ratio_replay <= 1 / REPLAY_GOAL_SPEED. */
#define REPLAY_GOAL_SPEED 0.95

/* Geomeans of one ratio (record or replay to plain) over the measured
 * benchmarks. */
typedef struct ratio_stats {
  double geomean, geomean_heavy, geomean_long, geomean_src[3];
  double worst;
  const bench *worst_b;
} ratio_stats;

typedef struct summary {
  int measured, not_runnable, failed, heavy_measured, long_measured;
  int n_src[3];
  ratio_stats by[V_COUNT]; /* [V_RECORD] and [V_REPLAY] */
} summary;

static summary summarise(const bench_list *l) {
  summary s;
  memset(&s, 0, sizeof s);
  double lsum[V_COUNT] = {0}, lheavy[V_COUNT] = {0}, llong[V_COUNT] = {0}, lsrc[V_COUNT][3] = {{0}};
  for (int v = V_RECORD; v < V_COUNT; v++) s.by[v].worst = NAN;
  for (size_t i = 0; i < l->n; i++) {
    const bench *b = &l->items[i];
    if (b->status == ST_NOT_RUNNABLE) s.not_runnable++;
    if (b->status == ST_INSTRUMENT_FAILED || b->status == ST_RECORD_FAILED || b->status == ST_REPLAY_FAILED ||
        b->status == ST_NOT_MEASURED) {
      s.failed++;
    }
    if (b->status != ST_MEASURED) continue;
    s.measured++;
    s.n_src[b->source]++;
    s.heavy_measured += b->heavy_why != NULL;
    int long_enough = median_of(b, V_PLAIN) >= LONG_ENOUGH_NS;
    s.long_measured += long_enough;
    for (int v = V_RECORD; v < V_COUNT; v++) {
      double r = ratio_of(b, (variant)v);
      ratio_stats *st = &s.by[v];
      lsum[v] += log(r);
      lsrc[v][b->source] += log(r);
      if (b->heavy_why) lheavy[v] += log(r);
      if (long_enough) llong[v] += log(r);
      if (!st->worst_b || r > st->worst) {
        st->worst = r;
        st->worst_b = b;
      }
    }
  }
  for (int v = V_RECORD; v < V_COUNT; v++) {
    ratio_stats *st = &s.by[v];
    st->geomean = s.measured ? exp(lsum[v] / s.measured) : NAN;
    st->geomean_heavy = s.heavy_measured ? exp(lheavy[v] / s.heavy_measured) : NAN;
    st->geomean_long = s.long_measured ? exp(llong[v] / s.long_measured) : NAN;
    for (int k = 0; k < 3; k++) st->geomean_src[k] = s.n_src[k] ? exp(lsrc[v][k] / s.n_src[k]) : NAN;
  }
  return s;
}

static variant g_cost_variant; /* what cmp_ratio_desc compares */

static int cmp_ratio_desc(const void *a, const void *b) {
  double x = ratio_of(*(const bench *const *)a, g_cost_variant), y = ratio_of(*(const bench *const *)b, g_cost_variant);
  return x < y ? 1 : x > y ? -1 : 0;
}

/* The measured benchmarks, costliest (highest ratio of v) first; caller frees. */
static const bench **by_cost(const bench_list *l, variant v, size_t *n) {
  const bench **sorted = xmalloc(l->n * sizeof *sorted);
  *n = 0;
  for (size_t i = 0; i < l->n; i++) {
    if (l->items[i].status == ST_MEASURED) sorted[(*n)++] = &l->items[i];
  }
  g_cost_variant = v;
  qsort(sorted, *n, sizeof *sorted, cmp_ratio_desc);
  return sorted;
}

typedef struct run_info {
  const char *shadowrr;
  char shadowrr_version[128];
  char source_tree[128];
  const char *engine_name;
  char engine_version[256];
  char date[16];
  char timestamp[40];
  const char *suite; /* "corpora" or "test-programs" */
  const char *suite_note;
  int runs, quick;
  const char *filter;
  double wall_s;
  int undeclared;
} run_info;

static json_t *ratio_json(double r) { return json_real_or_null(round_to(r, 0.0001)); }

static json_t *bench_json(const bench *b) {
  json_t *o = json_object();
  json_object_set_new(o, "id", json_string(b->id));
  json_object_set_new(o, "source", json_string(kSourceName[b->source]));
  json_object_set_new(o, "module", json_string(b->path));
  json_object_set_new(o, "timed_region", json_string(b->start_timed ? "_start" : "bench.start..bench.end"));
  json_object_set_new(o, "status", json_string(kStatusName[b->status]));
  json_object_set_new(o, "reason", b->reason[0] ? json_string(b->reason) : json_null());
  json_object_set_new(o, "memory_heavy", json_boolean(b->heavy_why != NULL));
  json_object_set_new(o, "memory_heavy_why", b->heavy_why ? json_string(b->heavy_why) : json_null());
  json_object_set_new(o, "static_memory_accesses", json_ll_or_null(b->static_accesses));
  json_object_set_new(o, "instrument_ms",
                      b->size_rec >= 0 || b->status == ST_INSTRUMENT_FAILED
                          ? json_real(round_to(b->instrument_ms, 0.1))
                          : json_null());
  json_object_set_new(o, "replay_instrument_ms",
                      b->replay_instrument_ms > 0 ? json_real(round_to(b->replay_instrument_ms, 0.1)) : json_null());
  json_t *sizes = json_object();
  json_object_set_new(sizes, "plain", json_ll_or_null(b->size_plain));
  json_object_set_new(sizes, "record", json_ll_or_null(b->size_rec));
  json_object_set_new(sizes, "growth",
                      b->size_plain > 0 && b->size_rec > 0
                          ? json_real(round_to((double)b->size_rec / (double)b->size_plain, 0.0001))
                          : json_null());
  json_object_set_new(sizes, "replay", json_ll_or_null(b->size_replay));
  json_object_set_new(o, "module_bytes", sizes);
  json_object_set_new(o, "plain_ns", samples_json(b->times[V_PLAIN], b->ntimes[V_PLAIN]));
  json_object_set_new(o, "record_ns", samples_json(b->times[V_RECORD], b->ntimes[V_RECORD]));
  json_object_set_new(o, "replay_ns", samples_json(b->times[V_REPLAY], b->ntimes[V_REPLAY]));
  json_object_set_new(o, "ratio_record", ratio_json(ratio_of(b, V_RECORD)));
  json_object_set_new(o, "ratio_replay", ratio_json(ratio_of(b, V_REPLAY)));
  json_object_set_new(o, "replay_trace", b->replay_trace ? json_string(b->replay_trace) : json_null());
  json_t *t = json_object();
  json_object_set_new(t, "raw_bytes", json_ll_or_null(b->trace_bytes));
  json_object_set_new(t, "lz4_bytes", json_ll_or_null(b->trace_lz4_bytes));
  json_object_set_new(t, "events", json_ll_or_null(b->events));
  json_object_set_new(t, "memory_write_bytes", json_ll_or_null(b->memwrite_bytes));
  /* The host's bytes the guest read (a --reads-only recording's memory
   * writes): what memory_write_bytes would be at the least. */
  json_object_set_new(t, "host_bytes_read", json_ll_or_null(b->read_bytes));
  json_object_set_new(t, "raw_event_bytes", json_ll_or_null(b->raw_event_bytes));
  json_object_set_new(t, "status", b->trace_status[0] ? json_string(b->trace_status) : json_null());
  json_object_set_new(t, "note", b->trace_note[0] ? json_string(b->trace_note) : json_null());
  json_object_set_new(o, "trace", t);
  json_object_set_new(o, "runs_hung_at_exit", json_integer(b->exit_hangs));
  json_object_set_new(o, "record_stdout_matches_plain",
                      b->stdout_same < 0 ? json_null() : json_boolean(b->stdout_same));
  return o;
}

/* The ten costliest by ratio v: [{id, ratio_<v>}]. */
static json_t *costliest_json(const bench_list *l, variant v) {
  size_t nc;
  const bench **cost = by_cost(l, v, &nc);
  json_t *top = json_array();
  char key[32];
  snprintf(key, sizeof key, "ratio_%s", kVariantName[v]);
  for (size_t i = 0; i < nc && i < 10; i++) {
    json_t *e = json_object();
    json_object_set_new(e, "id", json_string(cost[i]->id));
    json_object_set_new(e, key, ratio_json(ratio_of(cost[i], v)));
    json_array_append_new(top, e);
  }
  free(cost);
  return top;
}

/* summary.geomean_ratio_<v>..., worst_ratio_<v>, costliest[_replay]. */
static void summary_ratios_json(json_t *sum, const bench_list *l, const summary *s, variant v) {
  const ratio_stats *st = &s->by[v];
  const char *name = kVariantName[v];
  char key[64];
  snprintf(key, sizeof key, "geomean_ratio_%s", name);
  json_object_set_new(sum, key, ratio_json(st->geomean));
  json_t *worst = json_object();
  json_object_set_new(worst, "id", st->worst_b ? json_string(st->worst_b->id) : json_null());
  json_object_set_new(worst, "ratio", ratio_json(st->worst));
  snprintf(key, sizeof key, "worst_ratio_%s", name);
  json_object_set_new(sum, key, worst);
  snprintf(key, sizeof key, "geomean_ratio_%s_memory_heavy", name);
  json_object_set_new(sum, key, ratio_json(st->geomean_heavy));
  snprintf(key, sizeof key, "geomean_ratio_%s_1ms", name);
  json_object_set_new(sum, key, ratio_json(st->geomean_long));
  json_object_set_new(sum, v == V_RECORD ? "costliest" : "costliest_replay", costliest_json(l, v));
}

static json_t *results_json(const bench_list *l, const run_info *ri) {
  json_t *root = json_object();
  json_object_set_new(root, "schema", json_string("shadowrr-bench/2"));
  json_object_set_new(root, "date", json_string(ri->date));
  json_object_set_new(root, "timestamp", json_string(ri->timestamp));
  json_t *eng = json_object();
  json_object_set_new(eng, "name", json_string(ri->engine_name));
  json_object_set_new(eng, "version", json_string(ri->engine_version));
  json_object_set_new(root, "engine", eng);
  json_t *host = json_object();
  json_object_set_new(host, "cores", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
  struct utsname u;
  if (uname(&u) == 0) {
    json_object_set_new(host, "system", json_string(u.sysname));
    json_object_set_new(host, "release", json_string(u.release));
    json_object_set_new(host, "machine", json_string(u.machine));
  }
  char *cpuinfo = read_text("/proc/cpuinfo");
  const char *model = cpuinfo ? strstr(cpuinfo, "model name") : NULL;
  if (model && (model = strchr(model, ':')) != NULL) {
    model++;
    while (*model == ' ' || *model == '\t') model++;
    char buf[256];
    snprintf(buf, sizeof buf, "%.*s", (int)strcspn(model, "\n"), model);
    json_object_set_new(host, "cpu", json_string(buf));
  }
  free(cpuinfo);
  json_object_set_new(root, "host", host);
  json_t *tool = json_object();
  json_object_set_new(tool, "command", json_string(ri->shadowrr));
  json_object_set_new(tool, "version", json_string(ri->shadowrr_version));
  json_object_set_new(tool, "harness_version", json_string(SHADOWRR_BENCH_VERSION));
  json_object_set_new(tool, "source_tree", json_string(ri->source_tree));
  json_object_set_new(tool, "record_flags",
                      json_string(ri->undeclared
                                    ? "none (--undeclared: every memory shadowed, as for a host that may write "
                                      "memory between calls)"
                                    : "--host-writes-in-calls (the bench's hosts write the guest's memory only during "
                                      "its calls); bench.start..bench.end benchmarks also --pure-import bench.start "
                                      "--pure-import bench.end (the hosts' timer writes no guest memory)"));
  json_object_set_new(root, "shadowrr", tool);
  json_object_set_new(root, "suite", json_string(ri->suite));
  json_object_set_new(root, "suite_note", ri->suite_note ? json_string(ri->suite_note) : json_null());
  json_object_set_new(root, "runs", json_integer(ri->runs));
  json_object_set_new(root, "quick", json_boolean(ri->quick));
  json_object_set_new(root, "filter", ri->filter ? json_string(ri->filter) : json_null());
  json_object_set_new(root, "wall_time_s", json_real(round_to(ri->wall_s, 0.1)));
  json_object_set_new(root, "times",
                      json_string("ns of the timed region only (not process start, compile or instantiate); "
                                  "ratio_record = median(record) / median(plain), "
                                  "ratio_replay = median(replay) / median(plain)"));
  json_object_set_new(root, "memory_heavy_definition", json_string(kMemoryHeavyDefinition));
  json_object_set_new(root, "replay",
                      json_string("each replay run replays the trace of the recording run just before it "
                                  "(replay_trace says where else it comes from), with the replay module of "
                                  "shadowrr instrument --mode replay; bench.start..bench.end benchmarks read the "
                                  "trace file before bench.start and pass bench.start/bench.end through to the "
                                  "host (--passthrough); _start-timed ones have the trace embedded (--embed)"));
  char goal[128];
  snprintf(goal, sizeof goal, "ratio_replay <= %.4f (replay at least %.2fx as fast as plain)", 1 / REPLAY_GOAL_SPEED,
           REPLAY_GOAL_SPEED);
  json_object_set_new(root, "replay_goal", json_string(goal));

  summary s = summarise(l);
  json_t *sum = json_object();
  json_object_set_new(sum, "benchmarks", json_integer((json_int_t)l->n));
  json_object_set_new(sum, "measured", json_integer(s.measured));
  json_object_set_new(sum, "not_runnable", json_integer(s.not_runnable));
  json_object_set_new(sum, "failed", json_integer(s.failed));
  json_object_set_new(sum, "memory_heavy_measured", json_integer(s.heavy_measured));
  json_object_set_new(sum, "measured_1ms", json_integer(s.long_measured));
  summary_ratios_json(sum, l, &s, V_RECORD);
  summary_ratios_json(sum, l, &s, V_REPLAY);
  json_t *per = json_object();
  for (int k = 0; k < 3; k++) {
    if (!s.n_src[k]) continue;
    json_t *g = json_object();
    json_object_set_new(g, "measured", json_integer(s.n_src[k]));
    json_object_set_new(g, "geomean_ratio_record", ratio_json(s.by[V_RECORD].geomean_src[k]));
    json_object_set_new(g, "geomean_ratio_replay", ratio_json(s.by[V_REPLAY].geomean_src[k]));
    json_object_set_new(per, kSourceName[k], g);
  }
  json_object_set_new(sum, "by_source", per);
  json_object_set_new(root, "summary", sum);

  json_t *arr = json_array();
  for (size_t i = 0; i < l->n; i++) json_array_append_new(arr, bench_json(&l->items[i]));
  json_object_set_new(root, "benchmarks", arr);
  return root;
}

static void fmt_ms(char *out, size_t size, double ns) {
  if (!isfinite(ns) || ns < 0) snprintf(out, size, "-");
  else if (ns >= 1e8) snprintf(out, size, "%.0f", ns / 1e6);
  else snprintf(out, size, "%.2f", ns / 1e6);
}

static void fmt_kib(char *out, size_t size, long long bytes) {
  if (bytes < 0) snprintf(out, size, "-");
  else snprintf(out, size, "%.1f", (double)bytes / 1024.0);
}

/* "geomean record/plain: 1.23x; worst: 4.56x (id)" and the same per group. */
static void print_ratios(FILE *f, const bench_list *l, const summary *s, variant v) {
  const ratio_stats *st = &s->by[v];
  const char *name = kVariantName[v];
  fprintf(f, "geomean %s/plain: %.2fx; worst: %.2fx (%s)\n", name, st->geomean, st->worst, st->worst_b->id);
  for (int k = 0; k < 3; k++) {
    if (s->n_src[k]) fprintf(f, "  %-14s geomean %.2fx over %d\n", kSourceName[k], st->geomean_src[k], s->n_src[k]);
  }
  if (s->heavy_measured) fprintf(f, "  memory-heavy   geomean %.2fx over %d\n", st->geomean_heavy, s->heavy_measured);
  if (s->long_measured) fprintf(f, "  plain >= 1 ms  geomean %.2fx over %d\n", st->geomean_long, s->long_measured);
  size_t nc;
  const bench **cost = by_cost(l, v, &nc);
  fprintf(f, "costliest:");
  for (size_t i = 0; i < nc && i < 5; i++) fprintf(f, "%s %s %.2fx", i ? "," : "", cost[i]->id, ratio_of(cost[i], v));
  fprintf(f, "\n");
  free(cost);
}

static void print_table(FILE *f, const bench_list *l, const run_info *ri) {
  fprintf(f, "\nshadowrr-bench %s on %s (%s), %d run%s each, %s%s\n", ri->date, ri->engine_name,
          ri->engine_version, ri->runs, ri->runs == 1 ? "" : "s", ri->suite, ri->quick ? ", quick" : "");
  if (ri->suite_note) fprintf(f, "%s\n", ri->suite_note);
  fprintf(f, "times: median ms of the timed region; rec x = record/plain, rep x = replay/plain\n\n");
  int w = 9;
  for (size_t i = 0; i < l->n; i++) {
    int len = (int)strlen(l->items[i].id) + (l->items[i].heavy_why ? 2 : 0);
    w = len > w ? len : w;
  }
  fprintf(f, "%-*s %9s %9s %9s %7s %7s %8s %9s %6s %9s %9s %9s %9s %9s\n", w, "benchmark", "plain", "record",
          "replay", "rec x", "rep x", "instr ms", "size KiB", "growth", "trace KiB", "lz4 KiB", "events", "memw B",
          "read B");
  for (size_t i = 0; i < l->n; i++) {
    const bench *b = &l->items[i];
    char name[256];
    snprintf(name, sizeof name, "%s%s", b->id, b->heavy_why ? " *" : "");
    if (b->status != ST_MEASURED) {
      fprintf(f, "%-*s %s: %s\n", w, name, kStatusName[b->status], b->reason);
      continue;
    }
    char ms[V_COUNT][32], ratio[V_COUNT][32], size[32], growth[32], tr[32], lz[32], ev[32], mw[32], rd[32];
    for (int v = 0; v < V_COUNT; v++) {
      fmt_ms(ms[v], sizeof ms[v], median_of(b, (variant)v));
      snprintf(ratio[v], sizeof ratio[v], "%.2fx", ratio_of(b, (variant)v));
    }
    fmt_kib(size, sizeof size, b->size_plain);
    snprintf(growth, sizeof growth, "%.2fx", (double)b->size_rec / (double)b->size_plain);
    fmt_kib(tr, sizeof tr, b->trace_bytes);
    fmt_kib(lz, sizeof lz, b->trace_lz4_bytes);
    if (b->events >= 0) snprintf(ev, sizeof ev, "%lld", b->events);
    else snprintf(ev, sizeof ev, "-");
    /* In bytes: the host writes a handful of bytes into many of them. */
    if (b->memwrite_bytes >= 0) snprintf(mw, sizeof mw, "%lld", b->memwrite_bytes);
    else snprintf(mw, sizeof mw, "-");
    if (b->read_bytes >= 0) snprintf(rd, sizeof rd, "%lld", b->read_bytes);
    else snprintf(rd, sizeof rd, "-");
    fprintf(f, "%-*s %9s %9s %9s %7s %7s %8.0f %9s %6s %9s %9s %9s %9s %9s\n", w, name, ms[V_PLAIN], ms[V_RECORD],
            ms[V_REPLAY], ratio[V_RECORD], ratio[V_REPLAY], b->instrument_ms, size, growth, tr, lz, ev, mw, rd);
  }
  summary s = summarise(l);
  fprintf(f, "\n(* = memory-heavy, see bench/README.md)\n");
  fprintf(f, "measured %d of %zu; not runnable %d; failed %d\n", s.measured, l->n, s.not_runnable, s.failed);
  if (s.measured) {
    print_ratios(f, l, &s, V_RECORD);
    print_ratios(f, l, &s, V_REPLAY);
    int slow = 0;
    for (size_t i = 0; i < l->n; i++) slow += ratio_of(&l->items[i], V_REPLAY) > 1 / REPLAY_GOAL_SPEED;
    fprintf(f, "replay goal (at least %.2fx plain's speed): missed by %d of %d\n", REPLAY_GOAL_SPEED, slow,
            s.measured);
  }
  fprintf(f, "engine %s; %ld cores; wall time %.1f s\n", ri->engine_version, sysconf(_SC_NPROCESSORS_ONLN),
          ri->wall_s);
}

static void xml_text(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '<') fputs("&lt;", f);
    else if (*s == '>') fputs("&gt;", f);
    else if (*s == '&') fputs("&amp;", f);
    else if (*s == '"') fputs("&quot;", f);
    else fputc(*s, f);
  }
}

/* Two bars per benchmark, record/plain and replay/plain, on a log2 axis
 * (plain = 1 is the line; the dashed one is the replay goal). */
static int write_svg(const char *path, const bench_list *l, const run_info *ri) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  summary s = summarise(l);
  double lo = 0.5, hi = 2.0;
  for (size_t i = 0; i < l->n; i++) {
    for (int v = V_RECORD; v < V_COUNT; v++) {
      double r = ratio_of(&l->items[i], (variant)v);
      if (!isfinite(r)) continue;
      while (r > hi) hi *= 2;
      while (r < lo) lo /= 2;
    }
  }
  const int label_w = 300, chart_w = 560, row_h = 24, bar_h = 9, top = 78, right = 80;
  const int width = label_w + chart_w + right;
  const int height = top + (int)l->n * row_h + 50;
  double l2lo = log2(lo), l2hi = log2(hi);
#define XPOS(r) (label_w + (log2(r) - l2lo) / (l2hi - l2lo) * chart_w)
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
             "font-family=\"sans-serif\" font-size=\"11\">\n", width, height);
  fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
  fprintf(f, "<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">shadowrr: cost of recording and "
             "replaying, ");
  xml_text(f, ri->engine_version);
  fprintf(f, ", %s</text>\n", ri->date);
  fprintf(f, "<text x=\"10\" y=\"38\">time / plain time, median of %d interleaved run%s of the timed region (log "
             "scale; plain = 1). Record: geomean %.2fx, worst %.2fx. Replay: geomean %.2fx, worst %.2fx.</text>\n",
          ri->runs, ri->runs == 1 ? "" : "s", s.by[V_RECORD].geomean, s.by[V_RECORD].worst, s.by[V_REPLAY].geomean,
          s.by[V_REPLAY].worst);
  fprintf(f, "<text x=\"10\" y=\"54\"><tspan fill=\"#3b6fb6\">&#9632;</tspan> record  "
             "<tspan fill=\"#d9822b\">&#9632;</tspan> record, memory-heavy  "
             "<tspan fill=\"#4a9a4a\">&#9632;</tspan> replay (dashed: the replay goal, %.2fx plain's "
             "speed)</text>\n",
          REPLAY_GOAL_SPEED);
  /* Grid: powers of two, and the replay goal. */
  for (double g = lo; g <= hi * 1.0001; g *= 2) {
    double x = XPOS(g);
    fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>\n", x, top - 6, x,
            top + (int)l->n * row_h, g == 1.0 ? "#000" : "#ddd");
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%gx</text>\n", x, top - 10, g);
  }
  fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#4a9a4a\" stroke-dasharray=\"3,3\"/>\n",
          XPOS(1 / REPLAY_GOAL_SPEED), top - 6, XPOS(1 / REPLAY_GOAL_SPEED), top + (int)l->n * row_h);
  for (size_t i = 0; i < l->n; i++) {
    const bench *b = &l->items[i];
    int y = top + (int)i * row_h;
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 6, y + 15);
    xml_text(f, b->id);
    fprintf(f, "</text>\n");
    if (b->status != ST_MEASURED) {
      fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#999\">%s</text>\n", label_w + 4, y + 15,
              kStatusName[b->status]);
      continue;
    }
    for (int v = V_RECORD; v < V_COUNT; v++) {
      double r = ratio_of(b, (variant)v);
      int by = y + 2 + (v - V_RECORD) * (bar_h + 1);
      double x1 = XPOS(1.0), x2 = XPOS(r);
      double x = x1 < x2 ? x1 : x2, w = fabs(x2 - x1);
      const char *color = v == V_REPLAY ? "#4a9a4a" : b->heavy_why ? "#d9822b" : "#3b6fb6";
      fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>", x, by, w < 1 ? 1 : w,
              bar_h, color);
      xml_text(f, b->id);
      fprintf(f, ": %s %.2fx plain</title></rect>\n", kVariantName[v], r);
      fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"9\">%.2fx</text>\n", (x2 > x1 ? x2 : x1) + 4, by + bar_h - 1,
              r);
    }
  }
  fprintf(f, "<text x=\"10\" y=\"%d\" fill=\"#555\">%zu benchmarks, %d measured; %ld cores shared with other work "
             "(noisy); shadowrr-bench (bench/README.md)</text>\n",
          height - 20, l->n, s.measured, sysconf(_SC_NPROCESSORS_ONLN));
  fprintf(f, "</svg>\n");
#undef XPOS
  return fclose(f);
}

/* ---- --check ----------------------------------------------------------------- */

static int check_results(const char *path) {
  int passed = 0, failed = 0;
#define CHECK(cond, ...)                      \
  do {                                        \
    if (cond) {                               \
      passed++;                               \
    } else {                                  \
      failed++;                               \
      printf("FAIL %s: ", path);              \
      printf(__VA_ARGS__);                    \
      printf("\n");                           \
    }                                         \
  } while (0)
  json_error_t jerr;
  json_t *root = json_load_file(path, 0, &jerr);
  CHECK(root != NULL, "does not parse: line %d: %s", jerr.line, jerr.text);
  if (root) {
    json_t *eng = json_object_get(json_object_get(root, "engine"), "name");
    CHECK(json_is_string(eng), "no engine.name");
    json_t *arr = json_object_get(root, "benchmarks");
    CHECK(json_is_array(arr) && json_array_size(arr) > 0, "no benchmarks");
    size_t i, measured = 0;
    json_t *b;
    json_array_foreach(arr, i, b) {
      const char *id = json_string_value(json_object_get(b, "id"));
      const char *st = json_string_value(json_object_get(b, "status"));
      CHECK(id && st, "entry %zu has no id or status", i);
      if (!st || strcmp(st, "measured") != 0) continue;
      measured++;
      int runs = (int)json_integer_value(json_object_get(root, "runs"));
      for (int v = 0; v < V_COUNT; v++) {
        char key[32];
        snprintf(key, sizeof key, "%s_ns", kVariantName[v]);
        json_t *samples = json_object_get(b, key);
        double median = json_number_value(json_object_get(samples, "median"));
        double lo = json_number_value(json_object_get(samples, "min"));
        double hi = json_number_value(json_object_get(samples, "max"));
        size_t n = json_array_size(json_object_get(samples, "runs"));
        CHECK(median > 0 && lo > 0 && lo <= median && median <= hi && (int)n == runs,
              "%s: %s not %d positive runs with min <= median <= max", id, key, runs);
        if (v == V_PLAIN) continue;
        snprintf(key, sizeof key, "ratio_%s", kVariantName[v]);
        double ratio = json_number_value(json_object_get(b, key));
        double plain = json_number_value(json_object_get(json_object_get(b, "plain_ns"), "median"));
        CHECK(ratio > 0 && fabs(ratio - median / plain) <= 1e-3 * ratio, "%s: %s is not %s median / plain median",
              id, key, kVariantName[v]);
      }
    }
    CHECK(measured > 0, "no measured entry");
    json_t *sum = json_object_get(root, "summary");
    CHECK(json_number_value(json_object_get(sum, "geomean_ratio_record")) > 0,
          "summary.geomean_ratio_record not positive");
    CHECK(json_number_value(json_object_get(sum, "geomean_ratio_replay")) > 0,
          "summary.geomean_ratio_replay not positive");
    CHECK(json_number_value(json_object_get(json_object_get(sum, "worst_ratio_replay"), "ratio")) > 0,
          "summary.worst_ratio_replay not positive");
    printf("%s: %zu benchmarks, %zu measured\n", path, json_array_size(arr), measured);
  }
  /* The chart beside it. */
  size_t len = strlen(path);
  if (len > 5 && strcmp(path + len - 5, ".json") == 0) {
    char *svg = xprintf("%.*s.svg", (int)(len - 5), path);
    char *text = read_text(svg);
    CHECK(text && strstr(text, "<svg") && strstr(text, "</svg>"), "%s missing or not an SVG", svg);
    free(text);
    free(svg);
  }
  json_decref(root);
  printf("%d passed, %d failed\n", passed, failed);
#undef CHECK
  return failed ? 1 : 0;
}

/* ---- main ---------------------------------------------------------------------- */

/* The first line a command prints, or fallback. */
static void command_line_output(const char *const *argv, char *out, size_t size, const char *fallback) {
  snprintf(out, size, "%s", fallback);
  char tmpl[] = "/tmp/shadowrr-bench-output-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) return;
  close(fd);
  spawn_opts o = {.out = tmpl, .timeout_s = 60};
  if (run_cmd(argv, &o) == 0) {
    char line[256];
    first_line(tmpl, line, sizeof line);
    if (line[0]) snprintf(out, size, "%s", line);
  }
  unlink(tmpl);
}

static void engine_version(const srr_engine *e, char *out, size_t size) {
  const char *hosts = getenv("SHADOWRR_HOSTS_DIR");
  char *hd = hosts && *hosts ? xstrdup(hosts) : xprintf("%s/runtime-support/hosts", SHADOWRR_BENCH_SOURCE_DIR);
  char *script = xprintf(". '%s/engines.sh' && engine_version %s", hd,
                         strcmp(e->name, "node") == 0 ? "node24" : e->name);
  const char *argv[] = {"bash", "-c", script, NULL};
  char fallback[64];
  snprintf(fallback, sizeof fallback, "%s (version unknown)", e->name);
  command_line_output(argv, out, size, fallback);
  free(script);
  free(hd);
}

int main(int argc, char **argv) {
  const char *engines[MAX_ENGINES];
  int nengines = 0, runs = 5, runs_given = 0, quick = 0, keep = 0, undeclared = 0;
  const char *filter = NULL, *out_dir = NULL, *suite = NULL, *corpora = NULL, *programs = NULL;
  const char *shadowrr = SHADOWRR_BENCH_CLI, *check = NULL;
  double timeout_s = 900;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
#define VALUE() (i + 1 < argc ? argv[++i] : (die(2, "%s needs a value (see --help)", a), ""))
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(kUsage, stdout);
      return 0;
    } else if (strcmp(a, "--engine") == 0) {
      if (nengines == MAX_ENGINES) die(2, "too many --engine options");
      engines[nengines++] = VALUE();
    } else if (strcmp(a, "--runs") == 0) {
      const char *v = VALUE();
      char *end;
      long n = strtol(v, &end, 10);
      if (*end || n < 1 || n > MAX_RUNS) die(2, "--runs wants a number from 1 to %d, not '%s'", MAX_RUNS, v);
      runs = (int)n;
      runs_given = 1;
    } else if (strcmp(a, "--undeclared") == 0) {
      undeclared = 1;
    } else if (strcmp(a, "--quick") == 0) {
      quick = 1;
    } else if (strcmp(a, "--keep") == 0) {
      keep = 1;
    } else if (strcmp(a, "--filter") == 0) {
      filter = VALUE();
    } else if (strcmp(a, "--out") == 0) {
      out_dir = VALUE();
    } else if (strcmp(a, "--suite") == 0) {
      suite = VALUE();
      if (strcmp(suite, "corpora") != 0 && strcmp(suite, "programs") != 0) {
        die(2, "--suite wants corpora or programs, not '%s'", suite);
      }
    } else if (strcmp(a, "--corpora") == 0) {
      corpora = VALUE();
    } else if (strcmp(a, "--programs") == 0) {
      programs = VALUE();
    } else if (strcmp(a, "--shadowrr") == 0) {
      shadowrr = VALUE();
    } else if (strcmp(a, "--timeout") == 0) {
      const char *v = VALUE();
      char *end;
      timeout_s = strtod(v, &end);
      if (*end || !(timeout_s > 0)) die(2, "--timeout wants seconds, not '%s'", v);
    } else if (strcmp(a, "--check") == 0) {
      check = VALUE();
    } else {
      die(2, "unknown argument '%s' (see --help)", a);
    }
#undef VALUE
  }
  if (check) return check_results(check);
  if (quick && !runs_given) runs = 1;
  if (nengines == 0) engines[nengines++] = "node";

  /* Engines first: a missing one is an error before anything runs. */
  context cx[MAX_ENGINES];
  for (int e = 0; e < nengines; e++) {
    memset(&cx[e], 0, sizeof cx[e]);
    /* node-no-liftoff: node 24 with V8's baseline compiler off, so every
     * function runs optimised code from its first call. V8 never replaces
     * the code of a wasm function that is already running, so a hot loop in
     * a function called once (a `main`) stays in baseline code by default:
     * the two measure different things, and both are reported. */
    int no_liftoff = strcmp(engines[e], "node-no-liftoff") == 0;
    cx[e].name = engines[e];
    cx[e].engine = srr_engine_find(no_liftoff ? "node" : engines[e]);
    if (!cx[e].engine) die(2, "unknown engine '%s' (node, node-no-liftoff, wasmtime, node20, bun, deno)", engines[e]);
    cx[e].nprefix = srr_engine_command(cx[e].engine, cx[e].prefix, 7);
    if (cx[e].nprefix < 0) die(1, "%s: engine not installed (run scripts/bootstrap.sh)", cx[e].engine->name);
    if (no_liftoff) {
      memmove(&cx[e].prefix[2], &cx[e].prefix[1], (size_t)(cx[e].nprefix - 1) * sizeof cx[e].prefix[0]);
      cx[e].prefix[1] = "--no-liftoff";
      cx[e].nprefix++;
    }
    const srr_engine *node = srr_engine_find("node");
    cx[e].nnode = srr_engine_command(node, cx[e].node_prefix, 8);
    if (cx[e].nnode < 0) cx[e].nnode = 0;
    cx[e].shadowrr = shadowrr;
    cx[e].runs = runs;
    cx[e].timeout_s = timeout_s;
    cx[e].undeclared = undeclared;
  }
  if (strchr(shadowrr, '/') && access(shadowrr, X_OK) != 0) {
    die(1, "%s: the shadowrr command is missing (build it, or pass --shadowrr)", shadowrr);
  }

  /* The output folder must be writable before hours of measuring. */
  char *default_out = xprintf("%s/bench/results", SHADOWRR_BENCH_SOURCE_DIR);
  if (!out_dir) out_dir = default_out;
  struct stat st;
  if (stat(out_dir, &st) == 0 && !S_ISDIR(st.st_mode)) die(1, "%s: not a folder (for --out)", out_dir);
  if (mkdir_p(out_dir) != 0) die(1, "%s: cannot create the output folder: %s", out_dir, strerror(errno));
  {
    char *probe = xprintf("%s/.shadowrr-bench-probe.%ld", out_dir, (long)getpid());
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0) die(1, "%s: cannot write there: %s", out_dir, strerror(errno));
    close(fd);
    unlink(probe);
    free(probe);
  }

  /* The benchmarks. */
  char *default_corpora = NULL;
  if (corpora && !is_dir(corpora)) die(1, "%s: no such folder (for --corpora)", corpora);
  if (!corpora) {
    const char *env = getenv("SHADOWRR_CORPORA");
    corpora = env && *env ? env : (default_corpora = xprintf("%s/../shared/corpora", SHADOWRR_BENCH_SOURCE_DIR));
  }
  if (!programs) programs = SHADOWRR_BENCH_PROGRAMS_DIR;
  char *sg = xprintf("%s/sightglass", corpora), *r3 = xprintf("%s/wasm-r3-bench", corpora);
  int have_corpora = is_dir(sg) || is_dir(r3);
  free(sg);
  free(r3);
  char corpora_real[PATH_SIZE];
  if (have_corpora && realpath(corpora, corpora_real)) corpora = corpora_real;
  if (!suite) suite = have_corpora ? "corpora" : "programs";
  if (strcmp(suite, "corpora") == 0 && !have_corpora) {
    die(1, "%s: no sightglass or wasm-r3-bench folder there (use --corpora or --suite programs)", corpora);
  }
  const char *suite_note = NULL;
  bench_list all = {0};
  if (strcmp(suite, "corpora") == 0) {
    discover_corpora(&all, corpora);
  } else {
    if (!is_dir(programs)) die(1, "%s: no test programs there (build them, or pass --programs)", programs);
    discover_programs(&all, programs);
    suite_note = have_corpora ? "the project's test programs (--suite programs)"
                              : "the corpora are absent: measured the project's own test programs instead "
                                "(timed region: _start)";
  }
  bench_list list = {0};
  for (size_t i = 0; i < all.n; i++) {
    if (filter && !strstr(all.items[i].id, filter)) continue;
    add_bench(&list, all.items[i].id, all.items[i].path, all.items[i].run_dir, all.items[i].source,
              all.items[i].start_timed, all.items[i].wasi);
  }
  if (quick) {
    /* Three small ones: the preferred list, then the smallest modules. */
    bench_list q = {0};
    for (size_t k = 0; k < sizeof kQuick / sizeof kQuick[0] && q.n < 3; k++) {
      for (size_t i = 0; i < list.n; i++) {
        if (strcmp(list.items[i].id, kQuick[k]) == 0) {
          bench *b = &list.items[i];
          add_bench(&q, b->id, b->path, b->run_dir, b->source, b->start_timed, b->wasi);
        }
      }
    }
    while (q.n < 3 && q.n < list.n) {
      const bench *best = NULL;
      long long best_size = -1;
      for (size_t i = 0; i < list.n; i++) {
        int taken = 0;
        for (size_t j = 0; j < q.n; j++) taken |= strcmp(q.items[j].id, list.items[i].id) == 0;
        long long sz = file_size(list.items[i].path);
        if (!taken && (!best || sz < best_size)) {
          best = &list.items[i];
          best_size = sz;
        }
      }
      add_bench(&q, best->id, best->path, best->run_dir, best->source, best->start_timed, best->wasi);
    }
    list = q;
  }
  if (list.n == 0) die(1, "no benchmark%s", filter ? " matches the filter" : "s found");

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* no SA_RESTART: waitpid returns EINTR */
  sigaction(SIGALRM, &sa, NULL);
  signal(SIGINT, on_interrupt);
  signal(SIGTERM, on_interrupt);

  /* The source tree as it is when measuring starts (it may change during
   * a long run; the binaries measured do not). */
  char source_tree[128];
  const char *git_argv[] = {"git", "-C", SHADOWRR_BENCH_SOURCE_DIR, "describe", "--always", "--dirty", NULL};
  command_line_output(git_argv, source_tree, sizeof source_tree, "unknown");
  int status = 0;
  for (int e = 0; e < nengines; e++) {
    context *c = &cx[e];
    snprintf(c->scratch, sizeof c->scratch, "/tmp/shadowrr-bench-%s-XXXXXX", c->name);
    if (!mkdtemp(c->scratch)) die(1, "/tmp: cannot make a scratch folder: %s", strerror(errno));
    run_info ri;
    memset(&ri, 0, sizeof ri);
    ri.shadowrr = shadowrr;
    const char *version_argv[] = {shadowrr, "--version", NULL};
    command_line_output(version_argv, ri.shadowrr_version, sizeof ri.shadowrr_version, "unknown");
    snprintf(ri.source_tree, sizeof ri.source_tree, "%s", source_tree);
    ri.engine_name = c->name;
    engine_version(c->engine, ri.engine_version, sizeof ri.engine_version);
    if (c->engine != srr_engine_find(c->name)) {
      size_t used = strlen(ri.engine_version);
      snprintf(ri.engine_version + used, sizeof ri.engine_version - used, " --no-liftoff");
    }
    time_t now = time(NULL);
    strftime(ri.date, sizeof ri.date, "%Y-%m-%d", localtime(&now));
    strftime(ri.timestamp, sizeof ri.timestamp, "%Y-%m-%dT%H:%M:%S%z", localtime(&now));
    ri.suite = strcmp(suite, "corpora") == 0 ? "corpora" : "test-programs";
    ri.suite_note = suite_note;
    ri.runs = runs;
    ri.quick = quick;
    ri.undeclared = c->undeclared;
    ri.filter = filter;
    fprintf(stderr, PROG ": %s: %zu benchmarks, %d run%s each (scratch %s)\n", ri.engine_version, list.n, runs,
            runs == 1 ? "" : "s", c->scratch);

    /* Fresh results for this engine. */
    bench_list l = {0};
    for (size_t i = 0; i < list.n; i++) {
      bench *b = &list.items[i];
      add_bench(&l, b->id, b->path, b->run_dir, b->source, b->start_timed, b->wasi);
    }
    double t0 = now_s();
    for (size_t i = 0; i < l.n; i++) {
      bench *b = &l.items[i];
      double b0 = now_s();
      measure(c, b, (int)i);
      if (b->status == ST_MEASURED) {
        fprintf(stderr, "[%zu/%zu] %-40s %8.2f ms, record %8.2f ms %6.2fx, replay %8.2f ms %6.2fx  (%.1f s)\n",
                i + 1, l.n, b->id, median_of(b, V_PLAIN) / 1e6, median_of(b, V_RECORD) / 1e6, ratio_of(b, V_RECORD),
                median_of(b, V_REPLAY) / 1e6, ratio_of(b, V_REPLAY), now_s() - b0);
      } else {
        fprintf(stderr, "[%zu/%zu] %-40s %s: %s\n", i + 1, l.n, b->id, kStatusName[b->status], b->reason);
      }
      if (!keep) {
        char *dir = xprintf("%s/%zu", c->scratch, i);
        rm_rf(dir);
        free(dir);
      }
    }
    ri.wall_s = now_s() - t0;
    if (!keep) rm_rf(c->scratch);
    else fprintf(stderr, PROG ": scratch kept in %s\n", c->scratch);

    const char *declared = c->undeclared ? "-undeclared" : "";
    char *json_path = xprintf("%s/%s-%s%s.json", out_dir, ri.date, c->name, declared);
    char *svg_path = xprintf("%s/%s-%s%s.svg", out_dir, ri.date, c->name, declared);
    char *tmp = xprintf("%s.tmp.%ld", json_path, (long)getpid());
    json_t *root = results_json(&l, &ri);
    if (json_dump_file(root, tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) != 0 || rename(tmp, json_path) != 0) {
      unlink(tmp);
      die(1, "%s: cannot write: %s", json_path, strerror(errno));
    }
    json_decref(root);
    if (write_svg(svg_path, &l, &ri) != 0) die(1, "%s: cannot write: %s", svg_path, strerror(errno));
    print_table(stdout, &l, &ri);
    printf("results: %s, %s\n", json_path, svg_path);
    fflush(stdout);
    summary s = summarise(&l);
    if (s.measured == 0) {
      fprintf(stderr, PROG ": %s: no benchmark could be measured\n", c->engine->name);
      status = 1;
    }
    free(tmp);
    free(json_path);
    free(svg_path);
  }
  free(default_out);
  free(default_corpora);
  return status;
}
