// replayer_test.mjs: unit tests of the replayer (runtime-support/replay/) on
// node 24. Instantiates replayer.wasm alone, with JS standing in for
// everything the replay transform would connect it to:
//  - the "shadowrr" host functions: application memories (WebAssembly.Memory
//    objects), globals (a log of srr_host_global_set), the module's own
//    header, the embedded trace or the trace path, and srr_host_call_export,
//    which runs a "guest" written in JS: its exports are JS functions that
//    call the guest's imports through the stub protocol of replayer_abi.h
//    (call_begin, arg_*, call_check, call_end, ret_*) and grow memories
//    through srr_rep_memory_grow;
//  - WASI: a fake with an in-memory file system, preopens, an environment,
//    stdout/stderr and a proc_exit that throws; or ENOSYS stubs; or none.
// Traces are built here by an encoder independent of the C one. After
// every step of the guest the harness checks that the first 64 KiB of the
// WASI memory (the region the replayer borrows for its WASI calls) is what
// the guest left there.
//
//   node replayer_test.mjs path/to/replayer.wasm
//
// Prints one line per test and finally "N passed, N failed".

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { K, crc32, uleb, fillRandom } from '../lib/trace_bytes.mjs';

const wasmPath = process.argv[2];
if (!wasmPath) {
  console.error('usage: node replayer_test.mjs replayer.wasm');
  process.exit(2);
}
const replayerModule = new WebAssembly.Module(fs.readFileSync(wasmPath));

// ---- constants ----------------------------------------------------------------
const PAGE = 65536;
const LOW = 65536; // the region the replayer may borrow
const NO_MEMORY = 0xffffffff;
const I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b, FUNCREF = 0x70, EXTERNREF = 0x6f;
const TYPE_NAME = { [I32]: 'i32', [I64]: 'i64', [F32]: 'f32', [F64]: 'f64', [V128]: 'v128', [FUNCREF]: 'funcref', [EXTERNREF]: 'externref' };
const E = { SUCCESS: 0, BADF: 8, INVAL: 28, NOENT: 44, NOSYS: 52, NOTCAPABLE: 76 };
const EXIT = { DIVERGED: 101, TRUNCATED: 102, BAD_TRACE: 103 };
const FLAG = { QUIET: 1, OTHER_MODULE: 2 };

// ---- small helpers --------------------------------------------------------------
function sleb(v) {
  v = BigInt(v);
  const out = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && !(b & 0x40)) || (v === -1n && (b & 0x40));
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}
const utf8 = (s) => [...Buffer.from(s, 'utf8')];
const str = (s) => [...uleb(utf8(s).length), ...utf8(s)];
const u16 = (v) => [v & 255, (v >>> 8) & 255];
const u32 = (v) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
const u64 = (v) => { v = BigInt.asUintN(64, BigInt(v)); return [...u32(Number(v & 0xffffffffn)), ...u32(Number(v >> 32n))]; };
function getU32(b, o) { return (b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24) >>> 0; }
function putU32(b, o, v) { b.set(u32(v), o); }
function f32(x) { const f = new Float32Array([x]); return new Uint32Array(f.buffer)[0]; }
function f64(x) { const f = new Float64Array([x]); return new BigUint64Array(f.buffer)[0]; }
class Fail extends Error {}
function check(cond, msg) { if (!cond) throw new Fail(msg); }
function eq(a, b, msg) {
  if (a !== b) throw new Fail(`${msg}:\n       got ${typeof a === 'string' ? JSON.stringify(a) : a}\n  expected ${typeof b === 'string' ? JSON.stringify(b) : b}`);
}
function eqList(got, want, msg) {
  const n = Math.max(got.length, want.length);
  for (let i = 0; i < n; i++) {
    if (got[i] !== want[i]) {
      throw new Fail(`${msg}: item ${i} of ${got.length} (expected ${want.length}): got ${got[i]}, expected ${want[i]}\n     all: ${JSON.stringify(got)}`);
    }
  }
}
const show = (v) => (Array.isArray(v) ? `[${v.map(show).join(',')}]` : String(v));

// ---- the module's description (its trace header body) ----------------------------
// Values are kept as bits: i32 and f32 as unsigned Numbers, i64 and f64 as
// unsigned BigInts, v128 as [low, high] BigInts.
function makeModule() {
  return {
    sha: new Array(32).fill(0xab),
    name: 'test.wasm',
    imports: [
      { module: 'wasi_snapshot_preview1', name: 'fd_write', params: [I32, I32, I32, I32], results: [I32] }, // 0
      { module: 'env', name: 'get', params: [I32, I64], results: [I32] }, // 1
      { module: 'env', name: 'floats', params: [F32, F64, V128], results: [F64] }, // 2
      { module: 'wasi_snapshot_preview1', name: 'proc_exit', params: [I32], results: [] }, // 3
      { module: 'env', name: 'multi', params: [], results: [I32, I64, F32, V128] }, // 4
      { module: 'env', name: 'callback', params: [I32], results: [I32] }, // 5
    ],
    exports: [
      { name: '_start', params: [], results: [] }, // 0
      { name: 'compute', params: [I32], results: [I64] }, // 1
      { name: 'cb', params: [I32], results: [I32] }, // 2
      { name: 'vec', params: [V128, F32, F64], results: [V128, F64, F32] }, // 3
      { name: 'refs', params: [EXTERNREF, I32, FUNCREF], results: [FUNCREF, EXTERNREF] }, // 4
    ],
    memories: [{ index: 0, pages: 2 }, { index: 1, pages: 1 }],
    globals: [{ index: 0, type: I32, name: 'g0' }, { index: 5, type: F64, name: 'g5' },
      { index: 7, type: V128, name: 'g7' }, { index: 9, type: I64, name: 'g9' }],
    tables: [{ index: 1, size: 2 }], // host-written externref tables, by the module's table index
  };
}
const IMP = { fd_write: 0, get: 1, floats: 2, proc_exit: 3, multi: 4, callback: 5 };
const EXP = { _start: 0, compute: 1, cb: 2, vec: 3, refs: 4 };

function headerBody(mod, { unknownField = true } = {}) {
  const field = (tag, payload) => [tag, ...uleb(payload.length), ...payload];
  const sig = (s) => [...uleb(s.params.length), ...s.params, ...uleb(s.results.length), ...s.results];
  return Uint8Array.from([
    ...field(1, mod.sha),
    ...field(2, str(mod.name)),
    ...mod.imports.flatMap((s, i) => field(3, [...uleb(i), ...str(s.module), ...str(s.name), ...sig(s)])),
    ...mod.exports.flatMap((s, i) => field(4, [...uleb(i), ...str(s.name), ...sig(s)])),
    ...mod.memories.flatMap((m) => field(5, [...uleb(m.index), ...uleb(m.pages), 0])),
    ...mod.globals.flatMap((g) => field(6, [...uleb(g.index), g.type, ...str(g.name)])),
    ...(mod.tables ?? []).flatMap((t) => field(10, [...uleb(t.index), EXTERNREF])),
    ...field(7, str('shadowrr test')),
    ...field(8, uleb(0)),
    ...(unknownField ? field(42, [1, 2, 3]) : []),
  ]);
}

// ---- traces ------------------------------------------------------------------------
function encodeValue(t, v) {
  switch (t) {
    case I32: return uleb(BigInt.asUintN(32, BigInt(v)));
    case I64: return uleb(BigInt.asUintN(64, BigInt(v)));
    case F32: return u32(v);
    case F64: return u64(v);
    case V128: return [...u64(v[0]), ...u64(v[1])];
    case FUNCREF: case EXTERNREF: return [v ? 1 : 0]; // non-null?
    default: throw new Error(`bad type ${t}`);
  }
}

class TraceBuilder {
  constructor(mod = makeModule()) {
    this.mod = mod;
    this.chunks = [[]];
    this.count = 0; // events so far: the number of the next one
  }
  ev(bytes) { const c = this.chunks[this.chunks.length - 1]; for (const b of bytes) c.push(b); this.count++; return this; }
  chunk() { this.chunks.push([]); return this; }
  values(types, vals) {
    check(types.length === vals.length, `${vals.length} values for ${types.length} types`);
    return types.flatMap((t, i) => encodeValue(t, vals[i]));
  }
  importCall(i, vals = []) { return this.ev([K.IMPORT_CALL, ...uleb(i), ...this.values(this.mod.imports[i].params, vals)]); }
  importReturn(i, vals = []) { return this.ev([K.IMPORT_RETURN, ...uleb(i), ...this.values(this.mod.imports[i].results, vals)]); }
  exportCall(i, vals = []) { return this.ev([K.EXPORT_CALL, ...uleb(i), ...this.values(this.mod.exports[i].params, vals)]); }
  exportReturn(i, vals = []) { return this.ev([K.EXPORT_RETURN, ...uleb(i), ...this.values(this.mod.exports[i].results, vals)]); }
  // A whole import call: call, then return.
  call(i, args, results) { return this.importCall(i, args).importReturn(i, results); }
  write(m, a, bytes) { return this.ev([K.MEMORY_WRITE, ...uleb(m), ...uleb(a), ...uleb(bytes.length), ...bytes]); }
  grow(m, delta, result) { return this.ev([K.MEMORY_GROW, ...uleb(m), ...uleb(delta), ...sleb(result)]); }
  hostGrow(m, pages) { return this.ev([K.HOST_MEMORY_GROW, ...uleb(m), ...uleb(pages)]); }
  global(i, v) {
    const g = this.mod.globals.find((x) => x.index === i);
    return this.ev([K.GLOBAL_CHANGE, ...uleb(i), ...encodeValue(g.type, v)]);
  }
  tableSet(t, element, nonNull) { return this.ev([K.HOST_TABLE_SET, ...uleb(t), ...uleb(element), nonNull ? 1 : 0]); }
  tableGrow(t, size) { return this.ev([K.HOST_TABLE_GROW, ...uleb(t), ...uleb(size)]); }
  trap(message = '') { return this.ev([K.TRAP, ...str(message)]); }
  end() { return this.ev([K.END]); }
  raw(bytes) { this.chunks[this.chunks.length - 1].push(...bytes); this.count++; return this; }
  // The file. opts: header (a module description for the trace's header),
  // major, minor, codec (per chunk index), badCrc (chunk indexes), cutChunk
  // (cut the file in the middle of that chunk), badHeaderCrc.
  file(opts = {}) {
    const body = headerBody(opts.header ?? this.mod);
    const out = [Uint8Array.from([0x89, 0x53, 0x52, 0x52, 0x0d, 0x0a, 0x1a, 0x0a, ...u16(opts.major ?? 1), ...u16(opts.minor ?? 0),
      ...u32(body.length)]), body, Uint8Array.from(u32(crc32(body) ^ (opts.badHeaderCrc ? 1 : 0)))];
    let size = out.reduce((s, b) => s + b.length, 0);
    this.chunkOffsets = [];
    this.chunks.forEach((list, i) => {
      if (list.length === 0) return;
      const events = Uint8Array.from(list);
      this.chunkOffsets.push(size);
      const codec = opts.codec?.[i] ?? 0;
      const crc = crc32(events) ^ (opts.badCrc?.includes(i) ? 0x100 : 0);
      const head = Uint8Array.from([...utf8('SRRC'), codec, 0, 0, 0, ...u32(events.length), ...u32(events.length), ...u32(crc)]);
      const stored = opts.cutChunk === i ? events.subarray(0, events.length >> 1) : events;
      out.push(head, stored);
      size += head.length + stored.length;
    });
    return new Uint8Array(Buffer.concat(out));
  }
}

// ---- a fake WASI: in-memory files, preopens, environment, stdout/stderr, exit --------
class Exit extends Error {
  constructor(code) { super(`proc_exit(${code})`); this.code = code; }
}
class GuestTrap extends Error {}
const STAND_IN = { standIn: true };

class FakeWasi {
  constructor(env, { preopens = ['.'], files = {}, environ = [], enosys = false, maxRead = Infinity, maxWrite = Infinity } = {}) {
    this.env = env;
    this.files = new Map(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)]));
    this.fds = new Map();
    preopens.forEach((name, i) => this.fds.set(3 + i, { dir: name }));
    this.environ = environ;
    this.enosys = enosys;
    this.maxRead = maxRead;
    this.maxWrite = maxWrite;
    this.calls = [];
    this.stdout = [];
    this.stderr = [];
    this.maxPointer = 0;
  }
  mem() { return new Uint8Array(this.env.appMems[this.env.wasiMemory].buffer); }
  ptr(p, n) {
    p >>>= 0;
    check(p + n <= this.mem().length, `WASI pointer ${p}+${n} outside the memory`);
    this.maxPointer = Math.max(this.maxPointer, p + n);
    return p;
  }
  openFiles() { return [...this.fds.values()].filter((f) => f.file !== undefined).length; }
  out(fd) { return Buffer.concat((fd === 1 ? this.stdout : this.stderr).map((b) => Buffer.from(b))).toString('utf8'); }
  imports() {
    const self = this;
    const wrap = (name, fn) => (...args) => {
      self.calls.push(name);
      if (self.enosys) return name === 'proc_exit' ? undefined : E.NOSYS;
      return fn(...args);
    };
    const norm = (p) => path.posix.join(p, '.').replace(/(.)\/$/, '$1');
    return {
      fd_prestat_get: wrap('fd_prestat_get', (fd, buf) => {
        const f = self.fds.get(fd);
        if (!f) return E.BADF;
        if (f.dir === undefined) return E.INVAL;
        const m = self.mem();
        const p = self.ptr(buf, 8);
        putU32(m, p, 0);
        putU32(m, p + 4, utf8(f.dir).length);
        return 0;
      }),
      fd_prestat_dir_name: wrap('fd_prestat_dir_name', (fd, buf, len) => {
        const f = self.fds.get(fd);
        if (!f) return E.BADF;
        if (f.dir === undefined) return E.INVAL;
        const name = utf8(f.dir);
        if (len < name.length) return E.INVAL;
        self.mem().set(name, self.ptr(buf, name.length));
        return 0;
      }),
      path_open: wrap('path_open', (dirfd, dirflags, p, len, oflags, rightsBase, rightsInh, fdflags, result) => {
        check(typeof rightsBase === 'bigint', 'rights are i64');
        check(oflags === 0, 'the trace is opened without flags');
        check(rightsBase === 2n, 'the trace is opened for reading');
        const d = self.fds.get(dirfd);
        if (!d) return E.BADF;
        if (d.dir === undefined) return E.NOTCAPABLE;
        const rel = Buffer.from(self.mem().subarray(self.ptr(p, len), p + len)).toString('utf8');
        const full = norm(`${d.dir}/${rel}`);
        if (!self.files.has(full)) return E.NOENT;
        let fd = 3;
        while (self.fds.has(fd)) fd++;
        self.fds.set(fd, { file: full, pos: 0 });
        putU32(self.mem(), self.ptr(result, 4), fd);
        return 0;
      }),
      fd_read: wrap('fd_read', (fd, iovs, n, result) => {
        const f = self.fds.get(fd);
        if (!f || f.file === undefined) return E.BADF;
        const m = self.mem();
        const content = self.files.get(f.file);
        let total = 0;
        for (let i = 0; i < n; i++) {
          const base = self.ptr(iovs + 8 * i, 8);
          const p = getU32(m, base);
          const len = Math.min(getU32(m, base + 4), content.length - f.pos, self.maxRead - total);
          self.ptr(p, len);
          m.set(content.subarray(f.pos, f.pos + len), p);
          f.pos += len;
          total += len;
        }
        putU32(m, self.ptr(result, 4), total);
        return 0;
      }),
      fd_write: wrap('fd_write', (fd, iovs, n, result) => {
        if (fd !== 1 && fd !== 2) return E.BADF;
        const m = self.mem();
        let total = 0;
        for (let i = 0; i < n; i++) {
          const base = self.ptr(iovs + 8 * i, 8);
          const p = getU32(m, base), len = Math.min(getU32(m, base + 4), self.maxWrite - total);
          (fd === 1 ? self.stdout : self.stderr).push(Uint8Array.from(m.subarray(self.ptr(p, len), p + len)));
          total += len;
        }
        putU32(m, self.ptr(result, 4), total);
        return 0;
      }),
      fd_close: wrap('fd_close', (fd) => {
        if (!self.fds.has(fd)) return E.BADF;
        self.fds.delete(fd);
        return 0;
      }),
      environ_sizes_get: wrap('environ_sizes_get', (countPtr, sizePtr) => {
        const m = self.mem();
        putU32(m, self.ptr(countPtr, 4), self.environ.length);
        putU32(m, self.ptr(sizePtr, 4), self.environ.reduce((s, e) => s + utf8(e).length + 1, 0));
        return 0;
      }),
      environ_get: wrap('environ_get', (ptrs, buf) => {
        const m = self.mem();
        let at = buf;
        self.environ.forEach((e, i) => {
          putU32(m, self.ptr(ptrs + 4 * i, 4), at);
          const b = [...utf8(e), 0];
          m.set(b, self.ptr(at, b.length));
          at += b.length;
        });
        return 0;
      }),
      proc_exit: wrap('proc_exit', (code) => {
        self.env.checkLow('at proc_exit');
        throw new Exit(code);
      }),
    };
  }
}

// WASI imports that must never be called (no WASI memory).
const THROWING_WASI = Object.fromEntries(
  ['path_open', 'fd_read', 'fd_write', 'fd_close', 'fd_prestat_get', 'fd_prestat_dir_name', 'environ_sizes_get',
    'environ_get', 'proc_exit'].map((n) => [n, (...a) => {
    if (n === 'proc_exit') throw new Exit(a[0]); // pointer-free: allowed
    throw new Error(`WASI ${n} called although there is no WASI memory`);
  }]));

// Exact bit patterns of f32/f64 through wasm (JS numbers may lose NaN
// payloads): argF32(bits), retF32() -> bits, xargF32(), xresF32(bits), and
// the f64 ones with i64 bits. (tests/replay/helper.wat, by wat2wasm.)
const HELPER = new WebAssembly.Module(Buffer.from(
  'AGFzbQEAAAABIQhgAX0AYAF8AGAAAX1gAAF8YAF/AGABfgBgAAF/YAABfgJlCAFyB2FyZ19mMzIAAAFyB2FyZ19mNjQAAQFyB3JldF9mMzIAAgFy' +
  'B3JldF9mNjQAAwFyCHhhcmdfZjMyAAIBcgh4YXJnX2Y2NAADAXIIeHJlc19mMzIAAAFyCHhyZXNfZjY0AAEDCQgEBQYHBgcEBQdNCAZhcmdGMzIA' +
  'CAZhcmdGNjQACQZyZXRGMzIACgZyZXRGNjQACwd4YXJnRjMyAAwHeGFyZ0Y2NAANB3hyZXNGMzIADgd4cmVzRjY0AA8KOQgHACAAvhAACwcAIAC/' +
  'EAELBQAQArwLBQAQA70LBQAQBLwLBQAQBb0LBwAgAL4QBgsHACAAvxAHCw==', 'base64'));

// ---- the environment: one replayer instance, its fake host and guest ------------------
class Env {
  // opts: mod (the module's own description), trace (file bytes), delivery:
  // 'file' | 'embedded', tracePath, flags, wasi: 'fake' | 'enosys' | 'none',
  // preopens, files, environ, maxRead, pages (per app memory), guest
  // (export name -> function(env, ...args) -> results).
  constructor(opts = {}) {
    this.opts = opts;
    this.mod = opts.mod ?? makeModule();
    this.header = headerBody(this.mod);
    const pages = opts.pages ?? this.mod.memories.map((m) => m.pages);
    this.appMems = pages.map((n) => new WebAssembly.Memory({ initial: n, maximum: 100 }));
    this.appMems.forEach((m, i) => fillRandom(new Uint8Array(m.buffer), 1234 + i));
    this.wasiMode = opts.wasi ?? 'fake';
    this.wasiMemory = this.wasiMode === 'none' ? NO_MEMORY : 0;
    this.low = this.wasiMemory === NO_MEMORY ? null : Buffer.from(this.app(0).subarray(0, LOW));
    this.flags = opts.flags ?? 0;
    this.delivery = opts.delivery ?? 'file';
    this.tracePath = opts.tracePath ?? 'trace.srr';
    this.embedded = this.delivery === 'embedded' ? opts.trace : new Uint8Array(0);
    this.guest = opts.guest ?? {};
    this.log = [];
    this.globalsSet = [];
    // Globals that stand for immutable imports whose value this host gives
    // otherwise than the recording's: srr_host_global_set says so (1).
    this.differingGlobals = opts.differingGlobals ?? [];
    // The host-written tables: what the replayer's stand-in for a non-null
    // element puts there is STAND_IN.
    this.tables = Object.fromEntries((this.mod.tables ?? []).map((t) => [t.index, new WebAssembly.Table({ initial: t.size, element: 'externref' })]));
    this.lowChecks = 0;
    let wasiImports;
    if (this.wasiMode === 'fake' || this.wasiMode === 'enosys') {
      const files = { ...(opts.files ?? {}) };
      if (this.delivery === 'file' && opts.trace) files[path.posix.normalize(this.tracePath)] = opts.trace;
      this.wasi = new FakeWasi(this, {
        preopens: opts.preopens, files, environ: opts.environ, enosys: this.wasiMode === 'enosys',
        maxRead: opts.maxRead, maxWrite: opts.maxWrite,
      });
      wasiImports = this.wasi.imports();
    } else if (this.wasiMode === 'node') {
      // node's own WASI on opts.memory, which becomes app memory 0.
      this.appMems[0] = opts.memory;
      this.wasiMemory = 0;
      this.low = Buffer.from(this.app(0).subarray(0, LOW));
      wasiImports = opts.nodeWasi.wasiImport;
    } else {
      wasiImports = THROWING_WASI;
    }
    const env = this;
    const inRange = (len, p, n, what) => check(p >>> 0 === p && p + n <= len, `${what}: range ${p}+${n} outside ${len} bytes`);
    const host = {
      srr_host_embedded_trace_size: () => env.embedded.length,
      srr_host_embedded_trace_copy: (dst, offset, size) => {
        inRange(env.embedded.length, offset, size, 'embedded_trace_copy source');
        inRange(env.rs().length, dst, size, 'embedded_trace_copy destination');
        env.rs().set(env.embedded.subarray(offset, offset + size), dst);
      },
      srr_host_trace_path_size: () => utf8(env.tracePath).length,
      srr_host_trace_path_copy: (dst) => env.rs().set(utf8(env.tracePath), dst),
      srr_host_flags: () => env.flags,
      srr_host_header_size: () => env.header.length,
      srr_host_header_copy: (dst) => { inRange(env.rs().length, dst, env.header.length, 'header_copy'); env.rs().set(env.header, dst); },
      srr_host_app_write: (m, dst, src, n) => {
        env.copy(env.rs(), src, env.app(m), dst, n, 'app_write');
        if (!(m === env.wasiMemory && dst < LOW)) env.log.push(`write ${m} ${dst} ${n}`);
      },
      srr_host_app_read: (m, src, dst, n) => env.copy(env.app(m), src, env.rs(), dst, n, 'app_read'),
      srr_host_memory_pages: (m) => env.appMems[m].buffer.byteLength / PAGE,
      srr_host_memory_grow: (m, delta) => {
        env.log.push(`grow ${m} ${delta}`);
        try { return env.appMems[m].grow(delta); } catch { return -1; }
      },
      srr_host_wasi_memory: () => env.wasiMemory,
      srr_host_global_set: (i, low, high) => {
        const g = env.mod.globals.find((x) => x.index === i);
        check(g, `global_set of unknown global ${i}`);
        const v = g.type === V128 ? [BigInt.asUintN(64, low), BigInt.asUintN(64, high)]
          : g.type === I32 || g.type === F32 ? Number(BigInt.asUintN(32, low)) : BigInt.asUintN(64, low);
        if (env.differingGlobals.includes(i)) return 1;
        env.globalsSet.push(`${i}=${show(v)}`);
        env.log.push(`global ${i} ${show(v)}`);
        return 0;
      },
      srr_host_call_export: (i) => env.callExport(i),
      srr_host_set_may_call_host: (may) => { env.mayCallHost = may; },
      srr_host_funcref_call_values: () => 0,
      srr_host_compiled_events: () => 0,
      srr_host_table_size: (t) => { check(env.tables[t], `table_size of unknown table ${t}`); return env.tables[t].length; },
      srr_host_table_set: (t, i, nonNull) => {
        check(env.tables[t] && i >>> 0 < env.tables[t].length, `table_set of table ${t} element ${i}`);
        env.tables[t].set(i >>> 0, nonNull ? STAND_IN : null);
        env.log.push(`table ${t} [${i}] = ${nonNull ? 'non-null' : 'null'}`);
      },
      srr_host_table_grow: (t, delta) => {
        env.log.push(`table ${t} grow ${delta}`);
        try { return env.tables[t].grow(delta >>> 0); } catch { return -1; }
      },
    };
    this.instance = new WebAssembly.Instance(replayerModule, { shadowrr: host, wasi_snapshot_preview1: wasiImports });
    this.x = this.instance.exports;
    const x = this.x;
    this.helper = new WebAssembly.Instance(HELPER, {
      r: {
        arg_f32: x.srr_rep_arg_f32, arg_f64: x.srr_rep_arg_f64, ret_f32: x.srr_rep_ret_f32, ret_f64: x.srr_rep_ret_f64,
        xarg_f32: x.srr_rep_export_arg_f32, xarg_f64: x.srr_rep_export_arg_f64,
        xres_f32: x.srr_rep_export_result_f32, xres_f64: x.srr_rep_export_result_f64,
      },
    }).exports;
  }
  rs() { return new Uint8Array(this.x.shadowrr_memory.buffer); }
  app(m) { return new Uint8Array(this.appMems[m].buffer); }
  pages(m) { return this.appMems[m].buffer.byteLength / PAGE; }
  copy(from, src, to, dst, n, what) {
    src >>>= 0; dst >>>= 0; n >>>= 0;
    check(src + n <= from.length && dst + n <= to.length, `${what}: ${src}+${n} -> ${dst} out of range (${from.length}, ${to.length})`);
    to.set(from.subarray(src, src + n), dst);
  }
  // The borrowed region holds what the guest left there.
  checkLow(where) {
    if (!this.low) return;
    this.lowChecks++;
    const now = Buffer.from(this.app(0).subarray(0, LOW));
    if (!now.equals(this.low)) {
      let at = 0;
      while (now[at] === this.low[at]) at++;
      throw new Fail(`${where}: the borrowed WASI memory was not restored (first difference at ${at})`);
    }
  }
  // The guest writes its own memory (kept in the borrowed-region reference).
  guestWrite(m, a, bytes) {
    this.app(m).set(bytes, a);
    if (m === this.wasiMemory && a < LOW) this.low.set(bytes.slice(0, LOW - a), a);
  }
  // ---- the guest's side of replayer_abi.h -------------------------------------
  pushArg(t, v) {
    const x = this.x;
    switch (t) {
      case I32: x.srr_rep_arg_i32(v | 0); break;
      case I64: x.srr_rep_arg_i64(BigInt.asIntN(64, BigInt(v))); break;
      case F32: this.helper.argF32(v | 0); break;
      case F64: this.helper.argF64(BigInt.asIntN(64, v)); break;
      case V128: x.srr_rep_arg_v128(BigInt.asIntN(64, v[0]), BigInt.asIntN(64, v[1])); break;
    }
  }
  popRet(t) {
    const x = this.x;
    switch (t) {
      case I32: return x.srr_rep_ret_i32() >>> 0;
      case I64: return BigInt.asUintN(64, x.srr_rep_ret_i64());
      case F32: return this.helper.retF32() >>> 0;
      case F64: return BigInt.asUintN(64, this.helper.retF64());
      case V128: { const lo = x.srr_rep_ret_v128_low(); const hi = x.srr_rep_ret_v128_high(); return [BigInt.asUintN(64, lo), BigInt.asUintN(64, hi)]; }
    }
  }
  // An import stub: returns the recorded results.
  call(name, ...args) {
    const index = IMP[name];
    const imp = this.mod.imports[index];
    this.log.push(`call ${name}(${args.map(show).join(', ')})`);
    this.x.srr_rep_call_begin(index);
    imp.params.forEach((t, i) => this.pushArg(t, args[i]));
    // 1 would ask the stub for the real call: the replayer writes the
    // output passthrough itself, so it never does.
    eq(this.x.srr_rep_call_check(), 0, `srr_rep_call_check for ${name}`);
    this.x.srr_rep_call_end(index);
    const results = imp.results.map((t) => this.popRet(t));
    this.log.push(`return ${name} ${show(results)}`);
    this.checkLow(`after ${name}`);
    return results;
  }
  grow(m, delta) {
    const r = this.x.srr_rep_memory_grow(m, delta);
    this.checkLow('after a grow');
    return r;
  }
  xarg(t) {
    const x = this.x;
    switch (t) {
      case I32: return x.srr_rep_export_arg_i32() >>> 0;
      case I64: return BigInt.asUintN(64, x.srr_rep_export_arg_i64());
      case F32: return this.helper.xargF32() >>> 0;
      case F64: return BigInt.asUintN(64, this.helper.xargF64());
      case V128: { const lo = x.srr_rep_export_arg_v128_low(); const hi = x.srr_rep_export_arg_v128_high(); return [BigInt.asUintN(64, lo), BigInt.asUintN(64, hi)]; }
      case FUNCREF: case EXTERNREF: return x.srr_rep_export_arg_ref(t); // 1: non-null
    }
  }
  xres(t, v) {
    const x = this.x;
    switch (t) {
      case I32: x.srr_rep_export_result_i32(v | 0); break;
      case I64: x.srr_rep_export_result_i64(BigInt.asIntN(64, BigInt(v))); break;
      case F32: this.helper.xresF32(v | 0); break;
      case F64: this.helper.xresF64(BigInt.asIntN(64, v)); break;
      case V128: x.srr_rep_export_result_v128(BigInt.asIntN(64, v[0]), BigInt.asIntN(64, v[1])); break;
      case FUNCREF: case EXTERNREF: x.srr_rep_export_result_ref(t, v); break;
    }
  }
  callExport(i) {
    const ex = this.mod.exports[i];
    const args = ex.params.map((t) => this.xarg(t));
    this.log.push(`export ${ex.name}(${args.map(show).join(', ')})`);
    this.checkLow(`at the call of export ${ex.name}`);
    const fn = this.guest[ex.name];
    check(fn, `no guest function for export ${ex.name}`);
    const results = fn(this, ...args) ?? [];
    ex.results.forEach((t, k) => this.xres(t, results[k]));
    this.log.push(`exported ${ex.name} ${show(results)}`);
  }
  // Runs the driver (the replay module's _start); returns how it ended.
  run() { return this.drive(() => this.x.srr_rep_run()); }
  // After a trap: shadowrr_resume, as a host going on with the run does.
  resume() { return this.drive(() => this.x.shadowrr_resume()); }
  drive(entry) {
    let outcome;
    try {
      const value = entry();
      outcome = { kind: 'returned', value };
    } catch (e) {
      if (e instanceof Exit) outcome = { kind: 'exit', code: e.code };
      else if (e instanceof WebAssembly.RuntimeError) outcome = { kind: 'trap', message: e.message };
      else if (e instanceof GuestTrap) outcome = { kind: 'guest-trap' };
      else throw e;
    }
    this.checkLow('after the run');
    if (this.wasi) eq(this.wasi.openFiles(), 0, 'files left open');
    return outcome;
  }
  message() {
    const p = this.x.shadowrr_message_ptr(), n = this.x.shadowrr_message_size();
    return Buffer.from(this.rs().subarray(p, p + n)).toString('utf8');
  }
  stderr() { return this.wasi ? this.wasi.out(2) : ''; }
  stdout() { return this.wasi ? this.wasi.out(1) : ''; }
}

// ---- the tests ---------------------------------------------------------------------------------
const tests = [];
const test = (name, fn) => tests.push({ name, fn });

// Expects the run to end with proc_exit(code), the message on stderr (one
// line) and in the exports.
function expectExit(env, outcome, code, message) {
  eq(outcome.kind, 'exit', `outcome (${outcome.message ?? ''})`);
  eq(outcome.code, code, 'exit code');
  eq(env.message(), message, 'message');
  eq(env.stderr(), message + '\n', 'stderr');
  eq(env.x.shadowrr_status(), code, 'shadowrr_status');
  eq(env.x.shadowrr_exit_code(), -1, 'shadowrr_exit_code');
}

// A guest whose _start runs `body`.
const startGuest = (body) => ({ _start: (env) => { body(env); return []; } });

test('a faithful run replays: results, host writes at their event, growth, globals, nested exports', () => {
  const tb = new TraceBuilder();
  tb.write(0, 65536, [5]) // before the first call: the host wrote before the run
    .exportCall(EXP._start)
    .importCall(IMP.get, [7, 99n]).importReturn(IMP.get, [42])
    .write(0, 70000, [1, 2, 3, 4])
    .global(0, 0xdeadbeef).global(7, [1n, 0xfedcba9876543210n]).global(5, f64(-2.5)).global(9, 0xffffffffffffffffn)
    .hostGrow(1, 3).write(1, 3 * PAGE - 2, [9, 9])
    .importCall(IMP.callback, [5])
    .write(0, 80000, [0xaa]) // the host wrote before calling back into the guest
    .exportCall(EXP.cb, [6])
    .call(IMP.get, [1, 2n], [3])
    .exportReturn(EXP.cb, [9])
    .exportCall(EXP.cb, [100]).exportReturn(EXP.cb, [101])
    .importReturn(IMP.callback, [10])
    .grow(0, 1, 2).write(0, 2 * PAGE, [7])
    .grow(1, 1000, -1)
    .call(IMP.multi, [], [1, 0xffffffffffffffffn, f32(2.5), [3n, 4n]])
    .call(IMP.floats, [f32(1.5), f64(-0.25), [5n, 6n]], [f64(0.125)])
    .exportReturn(EXP._start)
    .end();
  const cbs = [];
  const env = new Env({
    trace: tb.file(),
    guest: {
      _start: (env) => {
        eq(env.app(0)[65536], 5, 'the first write, before any call');
        env.guestWrite(0, 70000, [0, 0, 0, 0]);
        eqList(env.call('get', 7, 99n), [42], 'get');
        eqList([...env.app(0).subarray(70000, 70004)], [1, 2, 3, 4], 'host write after get');
        eq(env.app(0)[80000] === 0xaa, false, 'the next write is not applied early');
        eqList(env.globalsSet, ['0=3735928559', `7=[1,${0xfedcba9876543210n}]`, `5=${f64(-2.5)}`, `9=${2n ** 64n - 1n}`], 'globals');
        eq(env.pages(1), 3, 'memory 1 grown by the host');
        eqList([...env.app(1).subarray(3 * PAGE - 2)], [9, 9], 'write into the grown memory');
        eqList(env.call('callback', 5), [10], 'callback');
        eqList(cbs, [6, 100], 'nested export calls');
        eq(env.grow(0, 1), 2, 'memory.grow result');
        eq(env.pages(0), 3, 'memory 0 grown');
        eq(env.app(0)[2 * PAGE], 7, 'write into the new page');
        eq(env.grow(1, 1000), -1, 'a failed grow fails again');
        eq(env.pages(1), 3, 'and grows nothing');
        const m = env.call('multi');
        eq(show(m), show([1, 0xffffffffffffffffn, f32(2.5), [3n, 4n]]), 'multi results');
        eqList(env.call('floats', f32(1.5), f64(-0.25), [5n, 6n]), [f64(0.125)], 'floats');
      },
      cb: (env, v) => {
        cbs.push(v);
        if (v === 6) {
          eq(env.app(0)[80000], 0xaa, 'the host write before the nested call');
          eqList(env.call('get', 1, 2n), [3], 'get inside cb');
          return [9];
        }
        return [v + 1];
      },
    },
  });
  const outcome = env.run();
  eq(outcome.kind, 'returned', `outcome ${outcome.message ?? ''} ${env.message()}`);
  eq(env.x.shadowrr_status(), 0, 'status');
  eq(env.x.shadowrr_exit_code(), 0, 'exit code');
  eq(env.message(), '', 'no message');
  eq(env.stderr(), '', 'no stderr');
  eqList(env.log, [
    'write 0 65536 1',
    'export _start()',
    'call get(7, 99)', 'write 0 70000 4',
    'global 0 3735928559', `global 7 [1,${0xfedcba9876543210n}]`, `global 5 ${f64(-2.5)}`, `global 9 ${2n ** 64n - 1n}`,
    'grow 1 2', `write 1 ${3 * PAGE - 2} 2`,
    'return get [42]',
    'call callback(5)', 'write 0 80000 1', 'export cb(6)', 'call get(1, 2)', 'return get [3]', 'exported cb [9]',
    'export cb(100)', 'exported cb [101]', 'return callback [10]',
    'grow 0 1', `write 0 ${2 * PAGE} 1`,
    'call multi()', `return multi ${show([1, 0xffffffffffffffffn, f32(2.5), [3n, 4n]])}`,
    `call floats(${f32(1.5)}, ${f64(-0.25)}, [5,6])`, `return floats [${f64(0.125)}]`,
    'exported _start []',
  ], 'timeline');
  check(env.wasi.calls.includes('fd_read'), 'the trace was read through WASI');
  check(env.lowChecks > 10, 'the borrowed region was checked');
});

test('every value type passes both ways, bit-exact (NaN payloads), through exports too', () => {
  const nan32 = 0x7fa00001, nan64 = 0xfff4000000000abcn;
  const tb = new TraceBuilder();
  tb.exportCall(EXP.vec, [[0x0123456789abcdefn, 0xfedcba9876543210n], nan32, nan64])
    .call(IMP.floats, [nan32, nan64, [0n, 2n ** 64n - 1n]], [0x7ff8000000000001n])
    .exportReturn(EXP.vec, [[1n, 2n], 0xfff0000000000000n, 0x80000000])
    .exportCall(EXP.compute, [0xffffffff]).exportReturn(EXP.compute, [2n ** 63n])
    .end();
  let seen;
  const env = new Env({
    trace: tb.file(),
    guest: {
      vec: (env, v, a, b) => {
        seen = show([v, a, b]);
        eqList(env.call('floats', nan32, nan64, [0n, 2n ** 64n - 1n]), [0x7ff8000000000001n], 'NaN result bits');
        return [[1n, 2n], 0xfff0000000000000n, 0x80000000];
      },
      compute: (env, v) => { eq(v, 0xffffffff, 'i32 argument'); return [2n ** 63n]; },
    },
  });
  const outcome = env.run();
  eq(outcome.kind, 'returned', `outcome ${env.message()}`);
  eq(seen, show([[0x0123456789abcdefn, 0xfedcba9876543210n], nan32, nan64]), 'export arguments');
});

test('references pass by null-ness; a non-null one that differs is a divergence; calling a funcref the host gave', () => {
  const tb = new TraceBuilder();
  tb.exportCall(EXP.refs, [1, 7, 0]).exportReturn(EXP.refs, [0, 1])
    .exportCall(EXP.refs, [0, 8, 1]).exportReturn(EXP.refs, [1, 0])
    .end();
  const seen = [];
  const env = new Env({
    trace: tb.file(),
    guest: { refs: (env, r, i, f) => { seen.push(`${r} ${i} ${f}`); return [f, r]; } },
  });
  eq(env.run().kind, 'returned', `outcome: ${env.message()}`);
  eq(env.x.shadowrr_status(), 0, 'status');
  eqList(seen, ['1 7 0', '0 8 1'], 'arguments: whether each reference is non-null');

  const div = new Env({ trace: tb.file(), guest: { refs: () => [1, 1] } });
  expectExit(div, div.run(), EXIT.DIVERGED,
    'shadowrr replay: divergence at event 1: export refs returned (non-null funcref, non-null externref) ' +
    'but the trace has export refs returning (null funcref, non-null externref) (result 1 differs)');

  // The replay module's stand-in for the non-null funcref of the second
  // call, called by the guest.
  const called = new Env({
    trace: tb.file(),
    guest: { refs: (env, r, i, f) => { if (f) env.x.srr_rep_host_funcref_called(); return [f, r]; } },
  });
  expectExit(called, called.run(), EXIT.DIVERGED,
    'shadowrr replay: divergence at event 3: the guest called a function reference the host gave it, which the ' +
    'trace cannot replay (it holds only whether a reference is null)');
});

test('host-written externref tables: elements by null-ness, growth, at their events', () => {
  const tb = new TraceBuilder();
  tb.exportCall(EXP._start).tableSet(1, 1, true) // found at the guest's first read
    .call(IMP.get, [1, 2n], [0]).tableGrow(1, 5).tableSet(1, 4, true).tableSet(1, 1, false)
    .exportReturn(EXP._start).end();
  const env = new Env({
    trace: tb.file(),
    guest: startGuest((env) => {
      const t = env.tables[1];
      eq(t.get(1), STAND_IN, 'element 1 set before the first call');
      env.call('get', 1, 2n);
      eq(t.length, 5, 'grown by the host');
      eq(t.get(4), STAND_IN, 'element 4');
      eq(t.get(1), null, 'element 1 back to null');
    }),
  });
  eq(env.run().kind, 'returned', `outcome: ${env.message()}`);
  eqList(env.log.filter((l) => l.startsWith('table')), ['table 1 [1] = non-null', 'table 1 grow 3', 'table 1 [4] = non-null',
    'table 1 [1] = null'], 'what the replayer did');

  const far = new TraceBuilder();
  far.exportCall(EXP._start).tableSet(1, 2, true).exportReturn(EXP._start).end();
  const oob = new Env({ trace: far.file(), guest: startGuest(() => {}) });
  expectExit(oob, oob.run(), EXIT.DIVERGED, 'shadowrr replay: divergence at event 1: the trace writes element 2 of table 1, beyond its 2 elements');

  const shrink = new TraceBuilder();
  shrink.exportCall(EXP._start).tableGrow(1, 1).exportReturn(EXP._start).end();
  const small = new Env({ trace: shrink.file(), guest: startGuest(() => {}) });
  expectExit(small, small.run(), EXIT.DIVERGED, 'shadowrr replay: divergence at event 1: the host grew table 1 to 1 element but it has 2 elements');

  const other = makeModule();
  other.tables = [{ index: 0, size: 2 }];
  const foreign = new Env({ trace: new TraceBuilder(other).exportCall(EXP._start).exportReturn(EXP._start).end().file(), guest: startGuest(() => {}) });
  expectExit(foreign, foreign.run(), EXIT.BAD_TRACE,
    'shadowrr replay: trace.srr: the trace does not describe this module: the trace has table 0 (written by the host), which this module does not export or import');
});

test('an immutable imported global the host gives another value than the recording\'s is a divergence', () => {
  const tb = new TraceBuilder();
  tb.exportCall(EXP._start).global(5, f64(-2.5)).exportReturn(EXP._start).end();
  const env = new Env({ trace: tb.file(), differingGlobals: [5], guest: startGuest(() => {}) });
  expectExit(env, env.run(), EXIT.DIVERGED, 'shadowrr replay: divergence at event 1: global 5 is an immutable import, and ' +
    'this replay\'s host gave it another value than the recording\'s');
});

test('a start function calls imports before the driver runs', () => {
  const tb = new TraceBuilder();
  tb.call(IMP.get, [1, 2n], [3]).write(0, 70000, [1]).exportCall(EXP._start).exportReturn(EXP._start).end();
  const env = new Env({ trace: tb.file(), guest: startGuest(() => {}) });
  eqList(env.call('get', 1, 2n), [3], 'get from the start function');
  eq(env.app(0)[70000], 1, 'write applied');
  eq(env.run().kind, 'returned', 'outcome');
});

test('proc_exit ends the run with the recorded code; fd_write to 1 and 2 passes through', () => {
  const build = () => {
    const tb = new TraceBuilder();
    tb.exportCall(EXP._start)
      .importCall(IMP.fd_write, [1, 65600, 2, 65700]).write(0, 65616, utf8('HELLO')).importReturn(IMP.fd_write, [0])
      .write(0, 65700, [7, 0, 0, 0])
      .call(IMP.fd_write, [2, 65600, 1, 65700], [0]) // nwritten unchanged (7, capped to the 5 bytes)
      .call(IMP.fd_write, [5, 65600, 1, 65700], [0]) // not stdout or stderr: no output
      .call(IMP.fd_write, [1, 65600, 1, 65700], [8]).write(0, 65700, [2, 0, 0, 0]) // failed (EBADF): nothing
      .call(IMP.fd_write, [1, 65600, 1, 65700], [0]) // nwritten 2: "HE"
      .call(IMP.fd_write, [1, 40, 1, 65700], [0]).write(0, 65700, [3, 0, 0, 0]) // data in the borrowed region
      .importCall(IMP.proc_exit, [3]).end();
    return tb.file();
  };
  const guest = startGuest((env) => {
    env.guestWrite(0, 65600, [...u32(65616), ...u32(5), ...u32(65632), ...u32(2)]);
    env.guestWrite(0, 65616, utf8('hello'));
    env.guestWrite(0, 65632, utf8('!\n'));
    eqList(env.call('fd_write', 1, 65600, 2, 65700), [0], 'fd_write 1');
    eq(Buffer.from(env.app(0).subarray(65616, 65621)).toString(), 'HELLO', 'the host write after the call');
    eq(getU32(env.app(0), 65700), 7, 'nwritten');
    eqList(env.call('fd_write', 2, 65600, 1, 65700), [0], 'fd_write 2');
    eqList(env.call('fd_write', 5, 65600, 1, 65700), [0], 'fd_write 5');
    eqList(env.call('fd_write', 1, 65600, 1, 65700), [8], 'fd_write failing');
    eqList(env.call('fd_write', 1, 65600, 1, 65700), [0], 'fd_write of 2 bytes');
    env.guestWrite(0, 32, [...u32(48), ...u32(4)]);
    env.guestWrite(0, 48, utf8('LOW.'));
    env.guestWrite(0, 40, [...u32(48), ...u32(4)]);
    eqList(env.call('fd_write', 1, 40, 1, 65700), [0], 'fd_write from low memory');
    env.call('proc_exit', 3);
    throw new Fail('proc_exit returned');
  });
  const env = new Env({ trace: build(), guest, maxWrite: 2 });
  const outcome = env.run();
  eq(outcome.kind, 'exit', `outcome ${env.message()}`);
  eq(outcome.code, 3, 'exit code');
  eq(env.x.shadowrr_exit_code(), 3, 'shadowrr_exit_code');
  eq(env.x.shadowrr_status(), 0, 'status');
  eq(env.stdout(), 'hello!\nHELOW', 'stdout: the bytes at the call, as many as the recorded host took');
  eq(env.stderr(), 'HELLO', 'stderr');
  check(env.wasi.calls.filter((c) => c === 'fd_write').length >= 8, 'short writes of the replay host were continued');

  const quiet = new Env({ trace: build(), guest, flags: FLAG.QUIET });
  const q = quiet.run();
  eq(q.kind === 'exit' && q.code, 3, 'quiet: exit code');
  eq(quiet.stdout() + quiet.stderr(), '', 'quiet: no output');
});

test('END inside another import ends the run with 0', () => {
  const tb = new TraceBuilder();
  tb.exportCall(EXP._start).importCall(IMP.get, [1, 2n]).end();
  const env = new Env({ trace: tb.file(), guest: startGuest((env) => { env.call('get', 1, 2n); throw new Fail('returned'); }) });
  const outcome = env.run();
  eq(outcome.kind === 'exit' && outcome.code, 0, 'exit 0');
  eq(env.x.shadowrr_status(), 0, 'status');
});

// A trace: _start, 28 get calls, then fd_write(1, 1024, 1, 2008) as event 57.
function traceWithFdWriteAt57() {
  const tb = new TraceBuilder();
  tb.exportCall(EXP._start);
  for (let i = 0; i < 28; i++) tb.call(IMP.get, [i, BigInt(i)], [0]);
  eq(tb.count, 57, 'event count');
  tb.call(IMP.fd_write, [1, 1024, 1, 2008], [0]).exportReturn(EXP._start).end();
  return tb.file();
}

test('divergence: a different argument (the message names the import, both calls, the argument)', () => {
  const env = new Env({
    trace: traceWithFdWriteAt57(),
    guest: startGuest((env) => {
      for (let i = 0; i < 28; i++) env.call('get', i, BigInt(i));
      env.call('fd_write', 1, 1024, 1, 2000);
      throw new Fail('went on after a divergence');
    }),
  });
  expectExit(env, env.run(), EXIT.DIVERGED,
    'shadowrr replay: divergence at event 57: the guest called wasi_snapshot_preview1.fd_write(1, 1024, 1, 2000) ' +
    'but the trace has wasi_snapshot_preview1.fd_write(1, 1024, 1, 2008) (argument 4 differs)');
  eq(env.stdout(), '', 'no output of a divergent call');
});

test('divergence: another import, an extra call, a missing call', () => {
  const wrong = new Env({
    trace: traceWithFdWriteAt57(),
    guest: startGuest((env) => {
      for (let i = 0; i < 28; i++) env.call('get', i, BigInt(i));
      env.call('get', -1, -5n);
    }),
  });
  expectExit(wrong, wrong.run(), EXIT.DIVERGED,
    'shadowrr replay: divergence at event 57: the guest called env.get(-1, -5) but the trace has wasi_snapshot_preview1.fd_write(1, 1024, 1, 2008)');

  const tb = new TraceBuilder();
  tb.exportCall(EXP._start).exportReturn(EXP._start).end();
  const extra = new Env({ trace: tb.file(), guest: startGuest((env) => env.call('get', 1, 2n)) });
  expectExit(extra, extra.run(), EXIT.DIVERGED,
    'shadowrr replay: divergence at event 1: the guest called env.get(1, 2) but the trace has export _start returning');

  const tb2 = new TraceBuilder();
  tb2.exportCall(EXP._start).call(IMP.get, [1, 2n], [0]).call(IMP.multi, [], [0, 0n, 0, [0n, 0n]]).exportReturn(EXP._start).end();
  const missing = new Env({ trace: tb2.file(), guest: startGuest((env) => env.call('get', 1, 2n)) });
  expectExit(missing, missing.run(), EXIT.DIVERGED,
    'shadowrr replay: divergence at event 3: export _start returned but the trace has env.multi()');
});

test('divergence: an export returns another result; a nested export call is missing', () => {
  const tb = new TraceBuilder();
  tb.exportCall(EXP.compute, [5]).exportReturn(EXP.compute, [7n]).end();
  const env = new Env({ trace: tb.file(), guest: { compute: () => [6n] } });
  expectExit(env, env.run(), EXIT.DIVERGED,
    'shadowrr replay: divergence at event 1: export compute returned (6) but the trace has export compute returning (7) (result 1 differs)');

  const tb2 = new TraceBuilder();
  tb2.exportCall(EXP._start).importCall(IMP.callback, [1]).exportCall(EXP.cb, [2]).exportReturn(EXP.cb, [3])
    .importReturn(IMP.callback, [4]).exportReturn(EXP._start).end();
  const nested = new Env({
    trace: tb2.file(),
    guest: { _start: (env) => { env.call('callback', 1); return []; }, cb: (env) => { env.call('get', 0, 0n); return [3]; } },
  });
  expectExit(nested, nested.run(), EXIT.DIVERGED,
    'shadowrr replay: divergence at event 3: the guest called env.get(0, 0) but the trace has export cb returning (3)');
});

test('divergence: memory.grow, float bits and value formats', () => {
  const tb = new TraceBuilder();
  tb.exportCall(EXP._start).grow(0, 2, -1).exportReturn(EXP._start).end();
  const g = new Env({ trace: tb.file(), guest: startGuest((env) => env.grow(0, 1)) });
  expectExit(g, g.run(), EXIT.DIVERGED,
    'shadowrr replay: divergence at event 1: the guest grew memory 0 by 1 page but the trace has memory.grow of memory 0 by 2 pages');

  const tb2 = new TraceBuilder();
  tb2.exportCall(EXP._start).call(IMP.floats, [0x7fa00001, f64(1), [1n, 2n]], [0n]).exportReturn(EXP._start).end();
  const n = new Env({ trace: tb2.file(), guest: startGuest((env) => env.call('floats', 0x7fa00002, f64(1), [1n, 2n])) });
  expectExit(n, n.run(), EXIT.DIVERGED,
    'shadowrr replay: divergence at event 1: the guest called env.floats(nan:0x200002, 0x1p+0, ' +
    'i32x4 0x00000001 0x00000000 0x00000002 0x00000000) but the trace has env.floats(nan:0x200001, 0x1p+0, ' +
    'i32x4 0x00000001 0x00000000 0x00000002 0x00000000) (argument 1 differs)');

  const tb3 = new TraceBuilder();
  tb3.exportCall(EXP._start).call(IMP.floats, [f32(0), f64(-Infinity), [0n, 0n]], [0n]).end();
  const z = new Env({ trace: tb3.file(), guest: startGuest((env) => env.call('floats', f32(-0), f64(-Infinity), [0n, 0n])) });
  expectExit(z, z.run(), EXIT.DIVERGED,
    'shadowrr replay: divergence at event 1: the guest called env.floats(-0x0p+0, -inf, i32x4 0x00000000 0x00000000 0x00000000 0x00000000) ' +
    'but the trace has env.floats(0x0p+0, -inf, i32x4 0x00000000 0x00000000 0x00000000 0x00000000) (argument 1 differs)');

  const tb4 = new TraceBuilder();
  tb4.exportCall(EXP._start).call(IMP.floats, [f32(1e-40), f64(0.1), [0n, 0n]], [0n]).end();
  const s = new Env({ trace: tb4.file(), guest: startGuest((env) => env.call('floats', f32(-1e-40), f64(0.1), [0n, 0n])) });
  expectExit(s, s.run(), EXIT.DIVERGED,
    'shadowrr replay: divergence at event 1: the guest called env.floats(-0x0.022d84p-126, 0x1.999999999999ap-4, i32x4 0x00000000 0x00000000 0x00000000 0x00000000) ' +
    'but the trace has env.floats(0x0.022d84p-126, 0x1.999999999999ap-4, i32x4 0x00000000 0x00000000 0x00000000 0x00000000) (argument 1 differs)');
});

test('divergence: the recording trapped here, the replay did not', () => {
  const tb = new TraceBuilder();
  tb.exportCall(EXP._start).call(IMP.get, [1, 2n], [0]).trap('unreachable executed\n');
  const env = new Env({ trace: tb.file(), guest: startGuest((env) => { env.call('get', 1, 2n); env.call('get', 1, 2n); }) });
  expectExit(env, env.run(), EXIT.DIVERGED,
    'shadowrr replay: divergence at event 3: the recording trapped here (unreachable executed), the replay did not: the guest called env.get(1, 2)');

  const ret = new Env({ trace: tb.file(), guest: startGuest((env) => { env.call('get', 1, 2n); }) });
  expectExit(ret, ret.run(), EXIT.DIVERGED,
    'shadowrr replay: divergence at event 3: the recording trapped here (unreachable executed), the replay did not: export _start returned');
});

test('a trap where the recording trapped; a trap where it did not (shadowrr_status after a trap)', () => {
  const tb = new TraceBuilder();
  tb.exportCall(EXP._start).call(IMP.get, [1, 2n], [0]).trap('boom');
  const env = new Env({ trace: tb.file(), guest: startGuest((env) => { env.call('get', 1, 2n); throw new GuestTrap(); }) });
  eq(env.run().kind, 'guest-trap', 'the guest trapped');
  eq(env.x.shadowrr_status(), 0, 'status: as recorded');
  eq(env.x.shadowrr_exit_code(), -1, 'no exit code');
  eq(env.message(), 'shadowrr replay: the replay trapped where the recording did, at event 3, in export _start (boom)', 'message');
  eq(env.stderr(), '', 'a trap as recorded is no failure: nothing printed');
  eq(env.resume().value, 0, 'nothing to resume: the run ended at the trap');
  eq(env.x.shadowrr_status(), 0, 'status after resume');

  const tb2 = new TraceBuilder();
  tb2.exportCall(EXP._start).call(IMP.get, [1, 2n], [0]).call(IMP.get, [3, 4n], [0]);
  const div = new Env({ trace: tb2.file(), guest: startGuest((env) => { env.call('get', 1, 2n); throw new GuestTrap(); }) });
  eq(div.run().kind, 'guest-trap', 'the guest trapped');
  eq(div.x.shadowrr_status(), EXIT.DIVERGED, 'status: diverged');
  eq(div.message(), 'shadowrr replay: divergence at event 3: the guest trapped but the trace has env.get(3, 4)', 'message');
  eq(div.stderr(), div.message() + '\n', 'the divergence is printed');
  eq(div.x.shadowrr_status(), EXIT.DIVERGED, 'status stays');
  eq(div.resume().value, 0, 'nothing to resume after a divergence');
  eq(div.x.shadowrr_status(), EXIT.DIVERGED, 'status stays after resume');

  const tb3 = new TraceBuilder();
  tb3.exportCall(EXP._start).importCall(IMP.get, [1, 2n]).trap('host error');
  const host = new Env({ trace: tb3.file(), guest: startGuest((env) => { env.call('get', 1, 2n); }) });
  const o = host.run();
  eq(o.kind, 'trap', 'the replayer traps for the host');
  eq(host.x.shadowrr_status(), 0, 'status: as recorded');
  const m = 'shadowrr replay: the recording trapped at event 2, in the host during env.get (host error): the replay traps there too';
  eq(host.message(), m, 'message');
  eq(host.stderr(), m + '\n', 'stderr');
});

test('a reactor replayed across traps: the host resumes after each recorded trap', () => {
  const tb = new TraceBuilder();
  tb.exportCall(EXP.compute, [1]).call(IMP.get, [1, 1n], [5]).trap() // the guest traps
    .exportCall(EXP.compute, [2]).exportReturn(EXP.compute, [4n])
    .exportCall(EXP._start).importCall(IMP.callback, [5]) // a trap in an export called back during an import
    .exportCall(EXP.cb, [6]).write(0, 70000, [9]).trap()
    .exportCall(EXP.cb, [7]).exportReturn(EXP.cb, [8])
    .exportCall(EXP.compute, [3]).importCall(IMP.get, [3, 3n]).trap('host trapped') // in the host, during an import
    .exportCall(EXP.compute, [4]).call(IMP.get, [4, 4n], [6]).exportReturn(EXP.compute, [16n])
    .end();
  const seen = [];
  const env = new Env({
    trace: tb.file(),
    guest: {
      compute: (env, v) => {
        seen.push(`compute ${v}`);
        if (v !== 2) eq(env.call('get', v, BigInt(v))[0], v === 1 ? 5 : 6, 'get');
        if (v === 1) throw new GuestTrap();
        return [BigInt(v * v)];
      },
      _start: (env) => { seen.push('_start'); env.call('callback', 5); throw new Fail('callback returned'); },
      cb: (env, v) => {
        seen.push(`cb ${v}`);
        if (v === 6) {
          eq(env.app(0)[70000], 9, 'the host write before the trap');
          throw new GuestTrap();
        }
        return [v + 1];
      },
    },
  });
  const messages = [];
  let outcome = env.run();
  while (outcome.kind !== 'returned') {
    check(outcome.kind === 'guest-trap' || outcome.kind === 'trap', `outcome ${outcome.kind}: ${env.message()}`);
    eq(env.x.shadowrr_status(), 0, `status after trap ${messages.length + 1}`);
    eq(env.x.shadowrr_exit_code(), -1, 'no exit code at a trap');
    messages.push(env.message());
    outcome = env.resume();
  }
  eq(outcome.value, 1, 'resume ran to the end');
  eq(env.x.shadowrr_status(), 0, 'status');
  eq(env.x.shadowrr_exit_code(), 0, 'exit code');
  eq(env.message(), '', 'no message');
  eqList(seen, ['compute 1', 'compute 2', '_start', 'cb 6', 'cb 7', 'compute 3', 'compute 4'], 'calls');
  eqList(messages, [
    'shadowrr replay: the replay trapped where the recording did, at event 3, in export compute',
    'shadowrr replay: the replay trapped where the recording did, at event 10, in export cb',
    'shadowrr replay: the recording trapped at event 15, in the host during env.get (host trapped): the replay traps there too',
  ], 'where each trap was');
  eq(env.x.shadowrr_resume(), 0, 'nothing left to resume');

  // The replay does not trap where the recording did; traps where it did not.
  const noTrap = new Env({ trace: tb.file(), guest: { compute: (env, v) => { env.call('get', v, BigInt(v)); return [0n]; } } });
  expectExit(noTrap, noTrap.run(), EXIT.DIVERGED,
    'shadowrr replay: divergence at event 3: the recording trapped here, the replay did not: export compute returned (0)');
  const early = new Env({ trace: tb.file(), guest: { compute: (env, v) => { if (v === 2) throw new GuestTrap(); env.call('get', v, BigInt(v)); throw new GuestTrap(); } } });
  eq(early.run().kind, 'guest-trap', 'first trap');
  eq(early.x.shadowrr_status(), 0, 'as recorded');
  eq(early.resume().kind, 'guest-trap', 'second trap');
  eq(early.x.shadowrr_status(), EXIT.DIVERGED, 'not recorded');
  eq(early.message(), 'shadowrr replay: divergence at event 5: the guest trapped but the trace has export compute returning (4)', 'message');
  eq(early.resume().value, 0, 'no resuming after a divergence');

  // resume without asking shadowrr_status first decides itself.
  const direct = new Env({ trace: tb.file(), guest: env.guest });
  direct.guest = env.guest;
  let o = direct.run();
  let traps = 0;
  while (o.kind !== 'returned') { traps++; o = direct.resume(); }
  eq(traps, 3, 'three traps');
  eq(direct.x.shadowrr_status(), 0, 'status');

  // A trace cut after a trap: resuming reports the truncation.
  const cut = new TraceBuilder();
  cut.exportCall(EXP.compute, [2]).trap().chunk().exportCall(EXP.compute, [2]).exportReturn(EXP.compute, [4n]).end();
  const c = new Env({ trace: cut.file({ cutChunk: 1 }), guest: { compute: () => { throw new GuestTrap(); } } });
  eq(c.run().kind, 'guest-trap', 'trapped');
  eq(c.x.shadowrr_status(), 0, 'as recorded');
  expectExit(c, c.resume(), EXIT.TRUNCATED,
    `shadowrr replay: trace.srr: truncated trace (chunk 1 at byte ${cut.chunkOffsets[1]} is cut short): the replay went through all its 2 events, then the guest waited for the host's next call`);
});

test('many traps leave no C stack behind: shadowrr_resume puts it back', () => {
  // Each trap unwinds the replayer's driver and nested export calls (their
  // frames on its 128 KiB C stack, without their epilogues): 5000 of them
  // would run it out without the reset in shadowrr_resume.
  const tb = new TraceBuilder();
  const n = 5000;
  for (let i = 0; i < n; i++) {
    tb.exportCall(EXP._start).importCall(IMP.callback, [i]).exportCall(EXP.cb, [i]).trap();
  }
  tb.exportCall(EXP.cb, [1]).exportReturn(EXP.cb, [2]).end();
  const env = new Env({
    trace: tb.file(),
    guest: {
      _start: (env) => { env.call('callback', env.calls++); },
      cb: (env, v) => { if (env.trapping) throw new GuestTrap(); return [v + 1]; },
    },
  });
  env.calls = 0;
  env.trapping = true;
  let o = env.run();
  for (let i = 1; i < n; i++) {
    eq(o.kind, 'guest-trap', `trap ${i}: ${o.message ?? ''} ${env.message()}`);
    eq(env.x.shadowrr_status(), 0, `status ${i}`);
    o = env.resume();
  }
  env.trapping = false;
  eq(env.x.shadowrr_status(), 0, 'status');
  eq(env.resume().value, 1, 'ran to the end');
  eq(env.x.shadowrr_exit_code(), 0, 'exit code');
});

test('divergence at the top level: the start function made fewer calls; host writes out of bounds', () => {
  const tb = new TraceBuilder();
  tb.call(IMP.get, [1, 2n], [3]).exportCall(EXP._start).exportReturn(EXP._start).end();
  const env = new Env({ trace: tb.file(), guest: startGuest(() => {}) });
  expectExit(env, env.run(), EXIT.DIVERGED,
    "shadowrr replay: divergence at event 0: the guest waited for the host's next call but the trace has env.get(1, 2)");

  const tb2 = new TraceBuilder();
  tb2.exportCall(EXP._start).write(1, PAGE - 1, [1, 2]).exportReturn(EXP._start).end();
  const oob = new Env({ trace: tb2.file(), guest: startGuest(() => {}) });
  expectExit(oob, oob.run(), EXIT.DIVERGED,
    'shadowrr replay: divergence at event 1: the trace writes bytes [65535, 65537) of memory 1, beyond its 1 page');
});

test('without WASI: the message is kept in the exports and the replayer traps', () => {
  const tb = new TraceBuilder();
  tb.exportCall(EXP._start).call(IMP.get, [1, 2n], [0]).exportReturn(EXP._start).end();
  const file = tb.file();
  for (const wasi of ['enosys', 'none']) {
    const env = new Env({ trace: file, delivery: 'embedded', wasi, guest: startGuest((env) => env.call('get', 1, 3n)) });
    const outcome = env.run();
    // ENOSYS stubs: proc_exit returns, the replayer traps; no WASI memory
    // (but WASI): nothing printed, and proc_exit needs no memory.
    if (wasi === 'enosys') eq(outcome.kind, 'trap', `${wasi}: trapped`);
    else eq(outcome.kind === 'exit' && outcome.code, EXIT.DIVERGED, `${wasi}: exit code`);
    eq(env.x.shadowrr_status(), EXIT.DIVERGED, `${wasi}: status`);
    eq(env.message(), 'shadowrr replay: divergence at event 1: the guest called env.get(1, 3) but the trace has env.get(1, 2) (argument 2 differs)', `${wasi}: message`);
    eq(env.stderr(), '', `${wasi}: nothing printed`);
    if (env.wasi) check(!env.wasi.calls.includes('path_open'), 'an embedded trace is not read from a file');
  }
  // And a faithful one returns.
  const ok = new Env({ trace: file, delivery: 'embedded', wasi: 'none', guest: startGuest((env) => env.call('get', 1, 2n)) });
  eq(ok.run().kind, 'returned', 'embedded, no WASI: returned');
  eq(ok.x.shadowrr_status(), 0, 'status');
});

test('truncated traces: cut in a chunk, a bad last checksum, no END, cut inside an import', () => {
  const build = () => {
    const tb = new TraceBuilder();
    tb.exportCall(EXP._start).call(IMP.get, [1, 2n], [0]).chunk().call(IMP.get, [3, 4n], [0]).exportReturn(EXP._start).end();
    return tb;
  };
  const guest = startGuest((env) => { env.call('get', 1, 2n); env.call('get', 3, 4n); });
  for (const [what, opts] of [['cut', { cutChunk: 1 }], ['crc', { badCrc: [1] }]]) {
    const tb = build();
    const file = tb.file(opts);
    const env = new Env({ trace: file, guest });
    const reason = what === 'cut' ? `chunk 1 at byte ${tb.chunkOffsets[1]} is cut short` : `last chunk 1 at byte ${tb.chunkOffsets[1]}: checksum mismatch`;
    expectExit(env, env.run(), EXIT.TRUNCATED,
      `shadowrr replay: trace.srr: truncated trace (${reason}): the replay went through all its 3 events, then the guest called env.get(3, 4)`);
  }
  // A checksum mismatch in a chunk that is not the last: corrupt.
  const tbc = build();
  const corrupt = new Env({ trace: tbc.file({ badCrc: [0] }), guest });
  expectExit(corrupt, corrupt.run(), EXIT.BAD_TRACE,
    `shadowrr replay: trace.srr: corrupt trace: chunk 0 at byte ${tbc.chunkOffsets[0]}: checksum mismatch`);

  const tb = new TraceBuilder();
  tb.exportCall(EXP._start).call(IMP.get, [1, 2n], [0]);
  const noEnd = new Env({ trace: tb.file(), guest: startGuest((env) => { env.call('get', 1, 2n); }) });
  expectExit(noEnd, noEnd.run(), EXIT.TRUNCATED,
    'shadowrr replay: trace.srr: truncated trace (it ends without END): the replay went through all its 3 events, then export _start returned');

  const tb2 = new TraceBuilder();
  tb2.exportCall(EXP._start).importCall(IMP.get, [1, 2n]);
  const inside = new Env({ trace: tb2.file(), guest: startGuest((env) => { env.call('get', 1, 2n); }) });
  expectExit(inside, inside.run(), EXIT.TRUNCATED,
    'shadowrr replay: trace.srr: truncated trace (it ends without END): the replay went through all its 2 events; the recording stops inside env.get');

  const empty = new TraceBuilder();
  const none = new Env({ trace: empty.file(), guest: startGuest(() => {}) });
  expectExit(none, none.run(), EXIT.TRUNCATED,
    "shadowrr replay: trace.srr: truncated trace (it ends without END): the replay went through all its 0 events, then the guest waited for the host's next call");
});

test('bad traces: LZ4 chunks, foreign files, versions, checksums, corrupt events', () => {
  const tb = new TraceBuilder();
  tb.exportCall(EXP._start).exportReturn(EXP._start).end();
  const guest = startGuest(() => {});
  const lz4 = new Env({ trace: tb.file({ codec: [1] }), guest });
  expectExit(lz4, lz4.run(), EXIT.BAD_TRACE,
    `shadowrr replay: trace.srr: chunk 0 at byte ${tb.chunkOffsets[0]} is LZ4-compressed: the replayer reads raw chunks only (\`shadowrr replay\` unpacks a packed trace)`);

  const cases = [
    [Uint8Array.from(utf8('#!/bin/sh\necho not a trace\n')), 'foreign file: not a shadowrr trace'],
    [new Uint8Array(0), 'foreign file: not a shadowrr trace (empty file)'],
    [tb.file({ major: 2, minor: 1 }), 'trace format version 2.1 is newer than this shadowrr (1.3)'],
    [tb.file({ badHeaderCrc: true }), 'corrupt trace: header checksum mismatch'],
    [tb.file().subarray(0, 30), 'truncated trace: the file ends inside its header'],
  ];
  for (const [bytes, message] of cases) {
    const env = new Env({ trace: bytes, guest });
    expectExit(env, env.run(), EXIT.BAD_TRACE, `shadowrr replay: trace.srr: ${message}`);
  }

  const bad = new TraceBuilder();
  bad.exportCall(EXP._start).raw([K.IMPORT_CALL, 9]);
  const ev = new Env({ trace: bad.file(), guest });
  expectExit(ev, ev.run(), EXIT.BAD_TRACE, 'shadowrr replay: trace.srr: corrupt trace: event 1 at byte 2: unknown import 9');
  const newer = new TraceBuilder();
  newer.exportCall(EXP._start).raw([42]);
  const nv = new Env({ trace: newer.file({ minor: 4 }), guest });
  expectExit(nv, nv.run(), EXIT.BAD_TRACE,
    'shadowrr replay: trace.srr: corrupt trace: event 1 at byte 2: unknown event kind 42 (the trace is format 1.4, this shadowrr reads 1.3)');
  const cut = new TraceBuilder();
  cut.exportCall(EXP._start).raw([K.MEMORY_WRITE, 0, 0, 10, 1, 2]);
  const ce = new Env({ trace: cut.file(), guest });
  expectExit(ce, ce.run(), EXIT.BAD_TRACE,
    'shadowrr replay: trace.srr: corrupt trace: event 1 at byte 2: memory_write runs past the end of the events');
  const inc = new TraceBuilder();
  inc.exportCall(EXP._start).importCall(IMP.get, [1, 2n]).importReturn(IMP.multi, [0, 0n, 0, [0n, 0n]]);
  const ie = new Env({ trace: inc.file(), guest: startGuest((env) => env.call('get', 1, 2n)) });
  expectExit(ie, ie.run(), EXIT.BAD_TRACE,
    'shadowrr replay: trace.srr: inconsistent trace: event 2 is env.multi returning (0, 0, 0x0p+0, i32x4 0x00000000 0x00000000 0x00000000 0x00000000) while env.get is running');
});

test('the trace header must describe this module', () => {
  const run = (mutate, flags = 0) => {
    const header = makeModule();
    mutate(header);
    const tb = new TraceBuilder();
    tb.exportCall(EXP._start).exportReturn(EXP._start).end();
    const env = new Env({ trace: tb.file({ header }), flags, guest: startGuest(() => {}) });
    return [env, env.run()];
  };
  const expectRefused = (mutate, message, flags = 0) => {
    const [env, outcome] = run(mutate, flags);
    expectExit(env, outcome, EXIT.BAD_TRACE, `shadowrr replay: trace.srr: ${message}`);
  };
  expectRefused((h) => { h.sha[5] = 0; },
    'the trace was recorded from another module (test.wasm): its SHA-256 differs from this module\'s (--allow-other-module replays it anyway)');
  const [other, otherOutcome] = run((h) => { h.sha[5] = 0; h.name = 'old.wasm'; }, FLAG.OTHER_MODULE);
  eq(otherOutcome.kind, 'returned', `--allow-other-module replays it: ${other.message()}`);
  const dnd = 'the trace does not describe this module: ';
  expectRefused((h) => { h.sha[5] = 0; h.imports[1].name = 'got'; },
    dnd + 'import 1 is env.got (i32, i64) -> (i32) in the trace but env.get (i32, i64) -> (i32) in this module', FLAG.OTHER_MODULE);
  expectRefused((h) => { h.imports[2].results = [F32]; },
    dnd + 'import 2 is env.floats (f32, f64, v128) -> (f32) in the trace but env.floats (f32, f64, v128) -> (f64) in this module');
  expectRefused((h) => { h.exports[1].params = []; },
    dnd + 'export 1 is compute () -> (i64) in the trace but compute (i32) -> (i64) in this module');
  expectRefused((h) => { h.imports.push({ module: 'env', name: 'more', params: [], results: [] }); },
    dnd + 'the trace has import 6 (env.more () -> ()), this module has 6 imports');
  expectRefused((h) => { h.imports.pop(); }, dnd + 'imports: 5 in the trace, 6 in this module');
  expectRefused((h) => { h.memories.pop(); }, dnd + 'memories: 1 in the trace, 2 in this module');
  expectRefused((h) => { h.globals[1].type = F32; }, dnd + 'the trace has global 5 (g5, f32), of another type in this module');
  expectRefused((h) => { h.globals.push({ index: 3, type: I32, name: 'g3' }); }, dnd + 'the trace has global 3 (g3, i32), which this module does not change');
});

test('the trace file: path from the module or SHADOWRR_REPLAY_TRACE, preopens, big files, errors', () => {
  const tb = new TraceBuilder();
  tb.exportCall(EXP._start);
  for (let i = 0; i < 20000; i++) tb.call(IMP.get, [i, BigInt(i) * 1000n], [i ^ 5]);
  tb.exportReturn(EXP._start).end();
  const big = tb.file();
  check(big.length > 3 * LOW, `a big trace (${big.length} bytes)`);
  const guest = startGuest((env) => {
    for (let i = 0; i < 20000; i++) eq(env.call('get', i, BigInt(i) * 1000n)[0], i ^ 5, 'result');
  });
  const env = new Env({ trace: big, guest, pages: [1, 1], maxRead: 1000 });
  eq(env.run().kind, 'returned', `big trace, 1-page WASI memory, short reads: ${env.message()}`);
  check(env.wasi.calls.filter((c) => c === 'fd_read').length > 200, 'short reads were continued');
  check(env.wasi.maxPointer <= LOW, 'WASI pointers stay in the borrowed region');

  const small = new TraceBuilder();
  small.exportCall(EXP._start).exportReturn(EXP._start).end();
  const file = small.file();
  const byEnv = new Env({
    tracePath: 'nope.srr', preopens: ['.', '/data', '/data/deep'], files: { '/data/deep/run.srr': file },
    environ: ['A=1', 'SHADOWRR_REPLAY_TRACE=/data/deep/run.srr', 'B=2'], guest: startGuest(() => {}),
  });
  eq(byEnv.run().kind, 'returned', `SHADOWRR_REPLAY_TRACE, absolute path, longest preopen: ${byEnv.message()}`);
  check(byEnv.wasi.calls.includes('environ_get'), 'read the environment');

  const rel = new Env({ tracePath: 'sub/../t.srr', preopens: ['/a', '.'], files: { 't.srr': file }, guest: startGuest(() => {}) });
  eq(rel.run().kind, 'returned', `relative path, preopen ".": ${rel.message()}`);
  const first = new Env({ tracePath: 't.srr', preopens: ['/a', '/b'], files: { '/a/t.srr': file }, guest: startGuest(() => {}) });
  eq(first.run().kind, 'returned', `relative path, the first preopen: ${first.message()}`);

  const missing = new Env({ tracePath: 'missing.srr', guest: startGuest(() => {}) });
  expectExit(missing, missing.run(), EXIT.BAD_TRACE, 'shadowrr replay: missing.srr: cannot read the trace: no such file (WASI errno 44)');
  const noPreopen = new Env({ tracePath: '/elsewhere/t.srr', files: { '/elsewhere/t.srr': file }, guest: startGuest(() => {}) });
  expectExit(noPreopen, noPreopen.run(), EXIT.BAD_TRACE,
    'shadowrr replay: /elsewhere/t.srr: cannot read the trace: no preopened directory holds it (WASI errno 76)');
  const noPath = new Env({ tracePath: '', guest: startGuest(() => {}) });
  expectExit(noPath, noPath.run(), EXIT.BAD_TRACE,
    'shadowrr replay: no trace: the module has no embedded trace and no trace path (set SHADOWRR_REPLAY_TRACE)');
  const noWasi = new Env({ trace: file, wasi: 'enosys', guest: startGuest(() => {}) });
  eq(noWasi.run().kind, 'trap', 'no WASI: trapped');
  eq(noWasi.x.shadowrr_status(), EXIT.BAD_TRACE, 'no WASI: status');
  eq(noWasi.message(), 'shadowrr replay: trace.srr: cannot read the trace: the module has no WASI (embed the trace instead)', 'no WASI: message');
});

test('node:wasi: a real file on disk, SHADOWRR_REPLAY_TRACE, a real exit code', async () => {
  process.removeAllListeners('warning');
  const { WASI } = await import('node:wasi');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srr-replayer-'));
  try {
    const tb = new TraceBuilder();
    tb.exportCall(EXP._start).call(IMP.get, [1, 2n], [77]).importCall(IMP.proc_exit, [7]).end();
    fs.writeFileSync(path.join(dir, 'real.srr'), tb.file());
    const memory = new WebAssembly.Memory({ initial: 2 });
    fillRandom(new Uint8Array(memory.buffer), 77);
    const nodeWasi = new WASI({ version: 'preview1', preopens: { '/work': dir }, env: { SHADOWRR_REPLAY_TRACE: '/work/real.srr' }, returnOnExit: true });
    nodeWasi.initialize({ exports: { memory } });
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    const env = new Env({
      wasi: 'node', nodeWasi, memory, tracePath: 'elsewhere.srr',
      guest: startGuest((env) => { eq(env.call('get', 1, 2n)[0], 77, 'result'); env.call('proc_exit', 7); }),
    });
    let how;
    try {
      env.x.srr_rep_run();
      how = 'returned';
    } catch (e) {
      how = String(e?.message ?? e); // node's returnOnExit unwinds with its own exception
    }
    eq(env.x.shadowrr_exit_code(), 7, `exit code (${how}): ${env.message()}`);
    eq(env.x.shadowrr_status(), 0, 'status');
    env.checkLow('after the run');
    eq(fs.readdirSync('/proc/self/fd').length, fdsBefore, 'no file descriptor left open');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---- run -----------------------------------------------------------------------------------
let passed = 0, failed = 0;
for (const t of tests) {
  try {
    await t.fn();
    passed++;
    console.log(`ok   ${t.name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${t.name}\n     ${e instanceof Fail ? e.message : e.stack}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
