// recorder-hooks.mjs: wasi-run.mjs hooks for a module instrumented by
// `shadowrr instrument --mode record`. After a trap the instance is still
// callable: shadowrr_on_trap appends the TRAP event and writes out whatever
// the recorder still buffers, so a crash keeps its whole trace.
//
//   wasi-run.mjs --hooks recorder-hooks.mjs app.rec.wasm ...
//
// Draining (env SHADOWRR_DRAIN_TO=FILE): a module that cannot write files
// (it imports nothing from WASI, or was given an empty trace path) keeps its
// trace in memory behind the drain exports (recorder_abi.h, section 4). When
// SHADOWRR_DRAIN_TO is set and the instance exports shadowrr_drain_ptr, after
// the exit or trap has been recorded these hooks write the drained bytes
// (shadowrr_memory[ptr, ptr+size)) to FILE (created or truncated) and call
// shadowrr_drain_reset(). FILE is a host path, relative to the launcher's
// working directory. Nothing is written when there is nothing to drain (the
// trace went to a file). A failure to write FILE is reported on stderr; the
// run's exit status stays the guest's.
//
//   SHADOWRR_DRAIN_TO=/tmp/app.srr node wasi-run.mjs --hooks recorder-hooks.mjs app.rec.wasm

import fs from 'node:fs';
import process from 'node:process';

export function afterTrap(instance, result) {
  const onTrap = instance.exports.shadowrr_on_trap;
  if (typeof onTrap === 'function') {
    const errno = onTrap();
    if (errno) process.stderr.write(`wasi-run: the trace could not be written after the trap (WASI errno ${errno})\n`);
  }
  drain(instance);
}

export function afterExit(instance, result) {
  // The recorder finished the trace itself (at proc_exit or when _start
  // returned); a reactor's trace is flushed here.
  const flush = instance.exports.shadowrr_flush;
  if (typeof flush === 'function') {
    const errno = flush();
    if (errno) process.stderr.write(`wasi-run: the trace could not be written (WASI errno ${errno})\n`);
  }
  drain(instance);
}

// Writes the recorder's in-memory trace to $SHADOWRR_DRAIN_TO, if asked to.
function drain(instance) {
  const file = process.env.SHADOWRR_DRAIN_TO;
  const ex = instance && instance.exports;
  if (!file || !ex || typeof ex.shadowrr_drain_ptr !== 'function') return;
  const memory = ex.shadowrr_memory;
  if (!(memory instanceof WebAssembly.Memory)) {
    process.stderr.write('wasi-run: cannot drain the trace: the module exports no shadowrr_memory\n');
    return;
  }
  const size = ex.shadowrr_drain_size() >>> 0; // flushes first
  if (size === 0) return;
  const ptr = ex.shadowrr_drain_ptr() >>> 0;
  try {
    fs.writeFileSync(file, new Uint8Array(memory.buffer, ptr, size));
  } catch (e) {
    process.stderr.write(`wasi-run: cannot drain the trace to ${file}: ${e.message}\n`);
    return;
  }
  ex.shadowrr_drain_reset();
}
