// wasi-host.mjs: runs a WASI preview1 command (or reactor) module on the
// `node:wasi` of whichever JS engine loads it: Node 24 (or 20), Bun, or Deno.
//
//   import { runWasi } from './wasi-host.mjs';
//   const r = await runWasi({ module: 'prog.wasm', args: ['prog.wasm', 'x'],
//                             env: { K: 'V' }, preopens: { '.': '.' },
//                             stdout: fd, stderr: fd,
//                             afterExit(instance, r) {}, afterTrap(instance, r) {} });
//   // r = { kind: 'exit'|'trap'|'error', exitCode, message, instance, benchTimes,
//   //       startTimes }
//
// What this layer adds on top of the engine's node:wasi (the reasons are
// engine behaviour observed on Node 24.x, Bun 1.4 and Deno 2.9):
//
//  * Every WASI import is wrapped in a plain JS function that passes numbers
//    on as `x >>> 0` (BigInts unchanged). Node's fast-call path for its WASI
//    bindings can keep a stale memory base after memory.grow; a JS wrapper
//    keeps calls off that path, and the unsigned conversion is what the
//    bindings expect for pointers.
//  * proc_exit is intercepted on every engine: the wrapper throws a private
//    exception that unwinds the guest, so the exit code is returned and the
//    afterExit hook runs on all engines (Bun's node:wasi ignores returnOnExit
//    and calls process.exit itself).
//  * Bun's node:wasi ignores the stdin/stdout/stderr options (it always uses
//    the process's fds 0/1/2); on Bun the fds given here are served through
//    its getStdin/sendStdout/sendStderr callbacks instead.
//  * fd_read on fd 0 and fd_write on fds 1/2 that fail with EAGAIN (a
//    non-blocking pipe or tty) are retried after a short sleep instead of
//    handing EAGAIN to the guest.
//  * Imports of the `bench` module (sightglass: bench.start / bench.end, no
//    params, no results) are provided and timed with process.hrtime.bigint().
//    Any other non-WASI import is an error naming it, unless opts.imports
//    provides it.
//  * The `_start` call alone (not compiling or instantiating) is timed with
//    process.hrtime.bigint() too (result.startTimes), up to its return or
//    proc_exit. A module that imports nothing from WASI gets its `_start`
//    called directly: node:wasi's start() wants a memory exported as
//    "memory", which import-free modules need not have.
//
// Node emits an ExperimentalWarning when node:wasi is loaded. runWasi loads
// node:wasi lazily and, unless opts.keepWarnings is set, removes the
// process's 'warning' listeners first so that stderr carries only the
// guest's output.

import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';

export const ENGINE = typeof globalThis.Bun !== 'undefined' ? 'bun'
  : typeof globalThis.Deno !== 'undefined' ? 'deno' : 'node';

export const WASI_MODULE = 'wasi_snapshot_preview1';
const ERRNO_AGAIN = 6;

// Thrown through the guest by the proc_exit wrapper.
export class WasiExit extends Error {
  constructor(code) {
    super(`proc_exit(${code})`);
    this.code = code;
  }
}

// A failure to compile or link the module (the CLI exits 2 for these).
export class WasiLoadError extends Error {
  constructor(message) {
    super(message);
    this.name = 'WasiLoadError';
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
export function sleepMs(ms) {
  Atomics.wait(sleepCell, 0, 0, ms);
}

// Writes all of `buf` to `fd`, waiting out EAGAIN (non-blocking pipes).
export function writeAllSync(fd, buf) {
  let off = 0;
  let delay = 1;
  while (off < buf.length) {
    let n;
    try {
      n = fs.writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      if (e && e.code === 'EAGAIN') {
        sleepMs(delay);
        delay = Math.min(delay * 2, 50);
        continue;
      }
      throw e;
    }
    off += n;
    delay = 1;
  }
}

// Reads up to `len` bytes from `fd` into a fresh Buffer, waiting out EAGAIN.
// Returns an empty Buffer at end of file.
function readSomeSync(fd, len) {
  const buf = Buffer.alloc(len);
  let delay = 1;
  for (;;) {
    try {
      const n = fs.readSync(fd, buf, 0, len, null);
      return buf.subarray(0, n);
    } catch (e) {
      if (e && e.code === 'EAGAIN') {
        sleepMs(delay);
        delay = Math.min(delay * 2, 50);
        continue;
      }
      if (e && e.code === 'EOF') return buf.subarray(0, 0);
      throw e;
    }
  }
}

let wasiCtor = null;
async function loadWasi(keepWarnings) {
  if (!wasiCtor) {
    if (!keepWarnings) process.removeAllListeners('warning');
    wasiCtor = (await import('node:wasi')).WASI;
  }
  return wasiCtor;
}

function describeImport(imp) {
  return `${imp.module}.${imp.name} (${imp.kind})`;
}

async function compileModule(source) {
  if (source instanceof WebAssembly.Module) return source;
  let bytes = source;
  if (typeof source === 'string') {
    try {
      bytes = fs.readFileSync(source);
    } catch (e) {
      throw new WasiLoadError(e.code === 'ENOENT' ? 'no such file' : e.message);
    }
  }
  try {
    return await WebAssembly.compile(bytes);
  } catch (e) {
    throw new WasiLoadError(`compile error: ${oneLine(e)}`);
  }
}

export function oneLine(e) {
  const msg = e && e.message !== undefined ? String(e.message) : String(e);
  // JSC (Bun) appends the JS expression it was evaluating, e.g.
  // "Unreachable code should not be executed (evaluating 'instance')".
  return msg.replace(/\s*\n\s*/g, ' ').replace(/ \(evaluating '.*'\)$/, '').trim();
}

// True for the exceptions that mean "the guest trapped".
export function isTrap(e) {
  if (e instanceof WebAssembly.RuntimeError) return true;
  // Wasm stack exhaustion surfaces as a RangeError on V8 and JSC.
  return e instanceof RangeError && /call stack|stack size/i.test(String(e.message));
}

/**
 * Runs a WASI module to completion.
 *
 * opts:
 *   module      path, bytes, or WebAssembly.Module (required)
 *   name        label for messages (default: basename of module path)
 *   args        full argv including argv[0] (default: [name])
 *   env         object of environment variables (default: {})
 *   preopens    object { guestPath: hostPath } (default: {})
 *   stdin, stdout, stderr   host fds for the guest's fds 0/1/2 (default 0/1/2)
 *   imports     extra import modules { module: { name: value } }; they take
 *               precedence over the bench stubs (not over WASI)
 *   wrapImport  optional (module, name, fn) => fn applied to each WASI
 *               wrapper, for a caller that wants to observe calls
 *   afterExit(instance, result)  called when the guest exits (proc_exit or
 *               _start returning); may be async
 *   afterTrap(instance, result)  called when the guest traps; may be async
 *   keepWarnings  do not remove the process's 'warning' listeners
 *
 * Resolves to { kind, exitCode, message, instance, benchTimes, startTimes }:
 *   kind 'exit'  exitCode = proc_exit code, or 0 if _start returned
 *   kind 'trap'  exitCode = 134, message = the engine's trap message
 *   benchTimes   { start_ns, end_ns, elapsed_ns } (BigInts) between the
 *                guest's bench.start and bench.end, or null
 *   startTimes   the same for the `_start` call (to its return or
 *                proc_exit), or null (a trap, or a reactor)
 * Compile/link problems reject with WasiLoadError; other host exceptions
 * reject as they are.
 */
export async function runWasi(opts) {
  const WASI = await loadWasi(opts.keepWarnings);
  const label = opts.name ?? (typeof opts.module === 'string' ? path.basename(opts.module) : 'module.wasm');
  const module = await compileModule(opts.module);
  const args = (opts.args ?? [label]).map(String);
  const env = { ...(opts.env ?? {}) };
  const preopens = { ...(opts.preopens ?? {}) };
  const stdinFd = opts.stdin ?? 0;
  const stdoutFd = opts.stdout ?? 1;
  const stderrFd = opts.stderr ?? 2;

  const wasiOpts = { version: 'preview1', args, env, preopens, returnOnExit: true,
    stdin: stdinFd, stdout: stdoutFd, stderr: stderrFd };
  if (ENGINE === 'bun') {
    // Bun's WASI writes fds 1/2 and reads fd 0 of the process unless given
    // these callbacks (it ignores stdin/stdout/stderr).
    wasiOpts.sendStdout = (chunk) => writeAllSync(stdoutFd, chunk);
    wasiOpts.sendStderr = (chunk) => writeAllSync(stderrFd, chunk);
    let eof = false;
    wasiOpts.getStdin = () => {
      if (eof) return null;
      const b = readSomeSync(stdinFd, 65536);
      if (b.length === 0) eof = true;
      return b;
    };
  }
  let wasi;
  try {
    wasi = new WASI(wasiOpts);
  } catch (e) {
    throw new WasiLoadError(`cannot set up WASI: ${oneLine(e)}`);
  }
  const impl = wasi.wasiImport;

  // bench.start / bench.end
  const bench = { start: null, end: null };
  const benchImports = {
    start() { bench.start = process.hrtime.bigint(); bench.end = null; },
    end() { bench.end = process.hrtime.bigint(); },
  };

  const wasiWrapped = {};
  const importObject = {};
  const extra = opts.imports ?? {};
  const missing = [];
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module === WASI_MODULE) {
      if (imp.kind !== 'function' || typeof impl[imp.name] !== 'function') {
        missing.push(describeImport(imp));
        continue;
      }
      let fn = wrapWasiImport(imp.name, impl, impl[imp.name]);
      if (opts.wrapImport) fn = opts.wrapImport(imp.module, imp.name, fn);
      wasiWrapped[imp.name] = fn;
      continue;
    }
    const fromExtra = extra[imp.module] && Object.prototype.hasOwnProperty.call(extra[imp.module], imp.name);
    if (fromExtra) {
      (importObject[imp.module] ??= {})[imp.name] = extra[imp.module][imp.name];
    } else if (imp.module === 'bench' && imp.kind === 'function' && (imp.name === 'start' || imp.name === 'end')) {
      (importObject.bench ??= {})[imp.name] = benchImports[imp.name];
    } else {
      missing.push(describeImport(imp));
    }
  }
  if (missing.length) {
    throw new WasiLoadError(`unknown import${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  }
  importObject[WASI_MODULE] = wasiWrapped;

  const exportNames = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  if (!exportNames.has('_start') && !exportNames.has('_initialize')) {
    throw new WasiLoadError('module exports neither _start nor _initialize');
  }
  if (Object.keys(wasiWrapped).length && !WebAssembly.Module.exports(module)
    .some((e) => e.name === 'memory' && e.kind === 'memory')) {
    throw new WasiLoadError('module imports WASI but exports no memory named "memory"');
  }

  let instance;
  try {
    instance = await WebAssembly.instantiate(module, importObject);
  } catch (e) {
    if (isTrap(e)) {
      // A trap in the start function or a data-segment initializer.
      return finish({ kind: 'trap', exitCode: 134, message: oneLine(e), instance: null });
    }
    throw new WasiLoadError(`link error: ${oneLine(e)}`);
  }

  const result = { kind: 'exit', exitCode: 0, message: '', instance };
  const startCall = { start: null, end: null };
  try {
    if (exportNames.has('_start')) {
      const importsWasi = Object.keys(wasiWrapped).length > 0;
      startCall.start = process.hrtime.bigint();
      try {
        const r = importsWasi ? wasi.start(instance) : instance.exports._start();
        if (importsWasi && typeof r === 'number') result.exitCode = r;
      } finally {
        startCall.end = process.hrtime.bigint();
      }
    } else {
      if (typeof wasi.initialize === 'function') {
        wasi.initialize(instance);
      } else {
        // Bun: no initialize(); do what it does by hand.
        wasi.setMemory(instance.exports.memory);
        if (exportNames.has('_initialize')) instance.exports._initialize();
      }
    }
  } catch (e) {
    if (e instanceof WasiExit) {
      result.exitCode = e.code;
    } else if (isTrap(e)) {
      startCall.start = null;
      result.kind = 'trap';
      result.exitCode = 134;
      result.message = oneLine(e);
    } else {
      throw e;
    }
  }
  result.startTimes = startCall.start !== null && startCall.end !== null
    ? { start_ns: startCall.start, end_ns: startCall.end, elapsed_ns: startCall.end - startCall.start }
    : null;
  return finish(result);

  async function finish(r) {
    r.benchTimes = bench.start !== null && bench.end !== null
      ? { start_ns: bench.start, end_ns: bench.end, elapsed_ns: bench.end - bench.start }
      : null;
    r.startTimes ??= null;
    if (r.kind === 'trap' && opts.afterTrap) await opts.afterTrap(r.instance, r);
    if (r.kind === 'exit' && opts.afterExit) await opts.afterExit(r.instance, r);
    return r;
  }
}

// The plain JS function that stands between the guest and the engine's
// binding for one WASI import.
function wrapWasiImport(name, impl, fn) {
  if (name === 'proc_exit') {
    return function proc_exit(code) {
      throw new WasiExit(code >>> 0);
    };
  }
  const u = (x) => (typeof x === 'number' ? x >>> 0 : x);
  if (name === 'fd_read' || name === 'fd_write') {
    const retryFd = name === 'fd_read' ? (fd) => fd === 0 : (fd) => fd === 1 || fd === 2;
    return function (fd, iovs, iovsLen, nPtr) {
      fd = u(fd);
      let delay = 1;
      for (;;) {
        const r = fn.call(impl, fd, u(iovs), u(iovsLen), u(nPtr));
        if (r !== ERRNO_AGAIN || !retryFd(fd)) return r;
        sleepMs(delay);
        delay = Math.min(delay * 2, 50);
      }
    };
  }
  return function (...a) {
    for (let i = 0; i < a.length; i++) a[i] = u(a[i]);
    return fn.apply(impl, a);
  };
}

// JSON text for --bench-times and --start-times (BigInts written as exact
// integers; null fields when t is null).
export function benchTimesJson(t) {
  if (!t) return '{"start_ns":null,"end_ns":null,"elapsed_ns":null}\n';
  return `{"start_ns":${t.start_ns},"end_ns":${t.end_ns},"elapsed_ns":${t.elapsed_ns}}\n`;
}
