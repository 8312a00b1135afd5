/*
 * engines.h: the WASI engines shadowrr runs modules on, and how to start one.
 * The JS engines run runtime-support/hosts/wasi-run.mjs; Wasmtime runs
 * through wizer (runtime-support/hosts/wasmtime-run.sh). Executables come
 * from the cache that scripts/bootstrap.sh fills, or from SHADOWRR_NODE24,
 * SHADOWRR_NODE20, SHADOWRR_BUN, SHADOWRR_DENO, SHADOWRR_WIZER; the hosts
 * folder from SHADOWRR_HOSTS_DIR or the source tree this binary was built
 * from.
 */
#ifndef SHADOWRR_ENGINES_H
#define SHADOWRR_ENGINES_H

typedef struct srr_engine {
  const char *name;   /* "node", "node20", "bun", "deno", "wasmtime" */
  int passes_args;    /* 0 for wizer/Wasmtime */
  int single_memory;  /* 1 for node 20, which has no multi-memory: the
                         modules shadowrr makes (several memories) are
                         lowered to one first (srr_module_lower_memories) */
  int calls_after_trap; /* the launcher can call into an instance after a
                           trap (hooks); 0 for wizer/Wasmtime */
} srr_engine;

/* The engine called `name` ("node24" is accepted for "node"), or NULL. */
const srr_engine *srr_engine_find(const char *name);

/* Fills cmd[0..] with the engine's command prefix (before the launcher's
 * options); returns the number of words, or -1 if the engine's executable is
 * missing. The strings stay valid until the process exits. */
int srr_engine_command(const srr_engine *engine, const char **cmd, int room);

/* Appends the launcher options that load `hooks` (a file of the hosts
 * folder: recorder-hooks.mjs, which lets a recording module finish its trace
 * after a trap; replay-hooks.mjs, which checks and resumes a replay after a
 * trap) on the JS engines (--hooks FILE); nothing for Wasmtime, which cannot
 * call into an instance after a trap. Returns the new count. */
int srr_engine_add_hooks(const srr_engine *engine, const char *hooks, const char **cmd, int count);

/* Runs cmd (NULL-terminated) with this process's stdio, waits, and returns
 * its exit code (128 + signal if it was killed), or -1 if it could not be
 * started. */
int srr_engine_run(const char *const *cmd);

#endif /* SHADOWRR_ENGINES_H */
