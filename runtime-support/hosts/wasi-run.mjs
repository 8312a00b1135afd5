// wasi-run.mjs: command-line WASI runner over wasi-host.mjs; works unchanged
// under Node 24 and Node 20 (`node wasi-run.mjs`), Bun (`bun wasi-run.mjs`)
// and Deno (`deno run -A wasi-run.mjs`). (Node 20 has no multi-memory: run
// a module shadowrr made there after `shadowrr instrument --single-memory`.)
//
// usage: wasi-run.mjs [--dir HOST[::GUEST]]... [--env K=V]... [--stdin FILE]
//                     [--stdout FILE] [--stderr FILE] [--bench-times FILE]
//                     [--start-times FILE] [--hooks FILE.mjs] module.wasm [args...]
//
//   --dir D         preopen host directory D as guest path D (like wasmtime)
//   --dir H::G      preopen host directory H as guest path G
//   --env K=V       set a guest environment variable (the guest sees only these)
//   --stdin FILE    guest stdin from FILE (default: this process's stdin)
//   --stdout FILE   guest stdout to FILE (truncated)
//   --stderr FILE   guest stderr to FILE (truncated)
//   --bench-times FILE  at exit, write {"start_ns":..,"end_ns":..,"elapsed_ns":..}
//                   measured between the guest's bench.start and bench.end
//   --start-times FILE  at exit, the same JSON for the `_start` call alone (not
//                   compiling or instantiating), up to its return or proc_exit;
//                   null fields after a trap
//   --hooks FILE.mjs    an ES module whose exports afterExit(instance, result),
//                   afterTrap(instance, result) and imports (extra import
//                   modules) are passed to runWasi
//   --              end of options
// The guest's argv[0] is the module's basename.
//
// Exit status: the guest's proc_exit code, 0 if _start returns; 134 after a
// trap (with `wasi-run: trap: <message>` on stderr, after the guest's output);
// 2 when the module cannot be read, compiled or linked (one line
// `wasi-run: <file>: <message>`); 2 for bad usage; 70 for an unexpected host
// exception.
//
// Output: the guest never writes to a pipe or terminal directly (node:wasi
// uses non-blocking writes there, and a full pipe would turn into EAGAIN in
// the guest). Guest stdout/stderr go to the --stdout/--stderr files, or
// straight to this process's fd 1/2 when that is a regular file or
// /dev/null-like device, or else to unlinked temporary files whose contents
// are copied to fd 1/2 at exit (blocking, EAGAIN-safe). In that last case the
// output appears only at exit, stdout before stderr.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import tty from 'node:tty';
import { pathToFileURL } from 'node:url';
import { runWasi, WasiLoadError, benchTimesJson, writeAllSync, oneLine } from './wasi-host.mjs';

process.removeAllListeners('warning');

const PROG = 'wasi-run';

function die(msg, code = 2) {
  try { writeAllSync(2, Buffer.from(`${PROG}: ${msg}\n`)); } catch { /* nothing to do */ }
  process.exit(code);
}

function usage() {
  die('usage: wasi-run.mjs [--dir HOST[::GUEST]]... [--env K=V]... [--stdin FILE] ' +
    '[--stdout FILE] [--stderr FILE] [--bench-times FILE] [--start-times FILE] [--hooks FILE.mjs] ' +
    'module.wasm [args...]');
}

function parseArgs(argv) {
  const o = { dirs: [], env: {}, stdin: null, stdout: null, stderr: null, benchTimes: null, startTimes: null,
    hooks: null, module: null, args: [] };
  let i = 0;
  const value = (flag) => {
    if (i + 1 >= argv.length) die(`${flag} needs a value`);
    return argv[++i];
  };
  for (; i < argv.length; i++) {
    let a = argv[i];
    let inline = null;
    if (a.startsWith('--') && a.includes('=') && !a.startsWith('--env=')) {
      inline = a.slice(a.indexOf('=') + 1);
      a = a.slice(0, a.indexOf('='));
    } else if (a.startsWith('--env=')) {
      inline = a.slice(6);
      a = '--env';
    }
    const v = (flag) => (inline !== null ? inline : value(flag));
    if (a === '--') { i++; break; }
    if (a === '--dir') o.dirs.push(v(a));
    else if (a === '--env') {
      const kv = v(a);
      const eq = kv.indexOf('=');
      if (eq <= 0) die(`--env wants K=V, got '${kv}'`);
      o.env[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else if (a === '--stdin') o.stdin = v(a);
    else if (a === '--stdout') o.stdout = v(a);
    else if (a === '--stderr') o.stderr = v(a);
    else if (a === '--bench-times') o.benchTimes = v(a);
    else if (a === '--start-times') o.startTimes = v(a);
    else if (a === '--hooks') o.hooks = v(a);
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('-') && a !== '-') die(`unknown option ${a}`);
    else break;
  }
  if (i >= argv.length) usage();
  o.module = argv[i];
  o.args = argv.slice(i + 1);
  return o;
}

// Host fd for the guest's stdout/stderr: the named file, our own fd when it
// is safe to hand over, else a temporary file to copy out at exit.
function outputTarget(file, ownFd) {
  if (file !== null) {
    try {
      return { fd: fs.openSync(file, 'w'), copyTo: null };
    } catch (e) {
      die(`${file}: ${e.message}`);
    }
  }
  try {
    const st = fs.fstatSync(ownFd);
    if (st.isFile() || (st.isCharacterDevice() && !isatty(ownFd))) return { fd: ownFd, copyTo: null };
  } catch { /* closed fd: fall through to a temp file */ }
  // Opened twice: the guest's fd, and another one that copyOut reads. A guest
  // that closes its fd 1/2, or renumbers another fd over it, makes node:wasi
  // close the guest's fd, and what it wrote before must still come out.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasi-run-'));
  const p = path.join(dir, 'out');
  const fd = fs.openSync(p, 'w+');
  const readFd = fs.openSync(p, 'r');
  fs.unlinkSync(p);
  fs.rmdirSync(dir);
  return { fd, copyTo: ownFd, readFd };
}

function isatty(fd) {
  try {
    return tty.isatty(fd);
  } catch {
    return false;
  }
}

function copyOut(target) {
  if (target.copyTo === null) return;
  const buf = Buffer.alloc(1 << 20);
  let pos = 0;
  for (;;) {
    const n = fs.readSync(target.readFd, buf, 0, buf.length, pos);
    if (n <= 0) break;
    pos += n;
    try {
      writeAllSync(target.copyTo, buf.subarray(0, n));
    } catch (e) {
      if (e && e.code === 'EPIPE') break;
      throw e;
    }
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));

  const preopens = {};
  for (const d of o.dirs) {
    const k = d.indexOf('::');
    const host = k >= 0 ? d.slice(0, k) : d;
    const guest = k >= 0 ? d.slice(k + 2) : d;
    try {
      if (!fs.statSync(host).isDirectory()) die(`--dir ${host}: not a directory`);
    } catch (e) {
      die(`--dir ${host}: ${e.code === 'ENOENT' ? 'no such directory' : e.message}`);
    }
    preopens[guest] = host;
  }

  let stdinFd = 0;
  if (o.stdin !== null) {
    try {
      stdinFd = fs.openSync(o.stdin, 'r');
    } catch (e) {
      die(`${o.stdin}: ${e.message}`);
    }
  }
  const out = outputTarget(o.stdout, 1);
  // --stdout F --stderr F: one fd, so the two streams do not overwrite each other.
  const err = o.stderr !== null && o.stderr === o.stdout ? { fd: out.fd, copyTo: null } : outputTarget(o.stderr, 2);

  let hooks = {};
  if (o.hooks !== null) {
    try {
      hooks = await import(pathToFileURL(path.resolve(o.hooks)).href);
    } catch (e) {
      die(`${o.hooks}: ${oneLine(e)}`);
    }
  }

  const flushAll = () => {
    copyOut(out);
    copyOut(err);
  };

  const name = path.basename(o.module);
  let result;
  try {
    result = await runWasi({
      module: o.module, name, args: [name, ...o.args], env: o.env, preopens,
      stdin: stdinFd, stdout: out.fd, stderr: err.fd,
      imports: hooks.imports, afterExit: hooks.afterExit, afterTrap: hooks.afterTrap,
    });
  } catch (e) {
    flushAll();
    if (e instanceof WasiLoadError) die(`${o.module}: ${e.message}`, 2);
    die(`${o.module}: host error: ${oneLine(e)}`, 70);
  }
  flushAll();
  // Without a bench.start/bench.end pair (or a completed _start) the fields
  // are null.
  if (o.benchTimes !== null) fs.writeFileSync(o.benchTimes, benchTimesJson(result.benchTimes));
  if (o.startTimes !== null) fs.writeFileSync(o.startTimes, benchTimesJson(result.startTimes));
  if (result.kind === 'trap') {
    writeAllSync(2, Buffer.from(`${PROG}: trap: ${result.message}\n`));
  }
  process.exit(result.exitCode);
}

main().catch((e) => die(`internal error: ${e && e.stack ? e.stack : e}`, 70));
