// recorder-hooks.mjs: wasi-run.mjs hooks for a module instrumented by
// `shadowrr instrument --mode record`. After a trap the instance is still
// callable: shadowrr_on_trap appends the TRAP event and writes out whatever
// the recorder still buffers, so a crash keeps its whole trace.
//
//   wasi-run.mjs --hooks recorder-hooks.mjs app.rec.wasm ...

export function afterTrap(instance, result) {
  const onTrap = instance.exports.shadowrr_on_trap;
  if (typeof onTrap === 'function') {
    const errno = onTrap();
    if (errno) process.stderr.write(`wasi-run: the trace could not be written after the trap (WASI errno ${errno})\n`);
  }
}

export function afterExit(instance, result) {
  // The recorder finished the trace itself (at proc_exit or when _start
  // returned); a reactor's trace is flushed here.
  const flush = instance.exports.shadowrr_flush;
  if (typeof flush === 'function') {
    const errno = flush();
    if (errno) process.stderr.write(`wasi-run: the trace could not be written (WASI errno ${errno})\n`);
  }
}
