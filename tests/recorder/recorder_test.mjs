// recorder_test.mjs: unit tests of the recorder (runtime-support/recorder/)
// on node 24. Instantiates recorder.wasm alone, with JS standing in for
// everything the transform would connect it to:
//  - the "shadowrr" host functions: application memories (WebAssembly.Memory
//    objects), their shadows (Uint8Arrays), the header bytes, the trace path;
//  - WASI: a fake with a tiny in-memory file system and preopens, working on
//    the fake app memory that plays the "memory" export; or ENOSYS stubs; or
//    none at all; or node's real node:wasi on a temporary directory.
// The trace bytes are checked by a decoder written here (independent of the
// C encoder). After every call into the recorder the harness checks that
// the application memories are byte for byte what they were, that shadows
// only change in the slow path, and that no file descriptor is left open.
//
//   node recorder_test.mjs path/to/recorder.wasm
//
// Prints one line per test and finally "N passed, N failed".

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { K, crc32, uleb, rng, fillRandom } from '../lib/trace_bytes.mjs';

const wasmPath = process.argv[2];
if (!wasmPath) {
  console.error('usage: node recorder_test.mjs recorder.wasm');
  process.exit(2);
}
const recorderModule = new WebAssembly.Module(fs.readFileSync(wasmPath));

// ---- constants ----------------------------------------------------------------
const PAGE = 65536;
const EV_CAP = 256 * 1024; // the recorder's chunk size (events per chunk)
const NO_MEMORY = 0xffffffff;
const I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b;
const KIND_NAME = Object.fromEntries(Object.entries(K).map(([k, v]) => [v, k]));
const E = { SUCCESS: 0, BADF: 8, EXIST: 20, INVAL: 28, NOENT: 44, NOSYS: 52, NOTCAPABLE: 76 };

// ---- small helpers --------------------------------------------------------------
const utf8 = (s) => [...Buffer.from(s, 'utf8')];
const str = (s) => [...uleb(utf8(s).length), ...utf8(s)];
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const sha1 = (bytes) => crypto.createHash('sha1').update(bytes).digest('hex');
function u32(b, o) { return (b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24) >>> 0; }
function putU32(b, o, v) { b[o] = v & 255; b[o + 1] = (v >>> 8) & 255; b[o + 2] = (v >>> 16) & 255; b[o + 3] = (v >>> 24) & 255; }
class Fail extends Error {}
// A trap in the host (a WASI call that unwinds the recorder's frames).
class HostTrap extends Error {}
function check(cond, msg) { if (!cond) throw new Fail(msg); }
function eq(a, b, msg) {
  if (a !== b) throw new Fail(`${msg}: got ${a}, expected ${b}`);
}
function eqList(got, want, msg) {
  const n = Math.max(got.length, want.length);
  for (let i = 0; i < n; i++) {
    if (got[i] !== want[i]) {
      throw new Fail(`${msg}: item ${i} of ${got.length} (expected ${want.length}): got ${got[i]}, expected ${want[i]}`);
    }
  }
}

// ---- the trace header (built here as the transform would) -------------------------
const SIG = {
  imports: [
    { params: [I32, I64], results: [I32] },
    { params: [F32, F64, V128], results: [] },
    { params: [I32, I32, I32, I32], results: [I32] },
  ],
  exports: [
    { params: [], results: [] },
    { params: [I32], results: [I64] },
  ],
  globals: [I32, I64],
};
function buildHeader(flags = 0) {
  const field = (tag, payload) => [tag, ...uleb(payload.length), ...payload];
  const sig = (s) => [...uleb(s.params.length), ...s.params, ...uleb(s.results.length), ...s.results];
  const body = [
    ...field(1, new Array(32).fill(0xab)),
    ...field(2, str('test.wasm')),
    ...SIG.imports.flatMap((s, i) => field(3, [...uleb(i), ...str('env'), ...str(`imp${i}`), ...sig(s)])),
    ...SIG.exports.flatMap((s, i) => field(4, [...uleb(i), ...str(`exp${i}`), ...sig(s)])),
    ...field(5, [...uleb(0), ...uleb(1), 0]),
    ...field(5, [...uleb(1), ...uleb(1), 1, ...uleb(100)]),
    ...SIG.globals.flatMap((t, i) => field(6, [...uleb(i), t, ...str(`g${i}`)])),
    ...field(7, str('shadowrr test')),
    ...field(8, uleb(flags)),
    ...field(9, uleb(2048)),
    ...field(42, [1, 2, 3]), // unknown tag: skipped by readers
  ];
  return Uint8Array.from(body);
}

// ---- an independent decoder ----------------------------------------------------------
// Events come out as strings: "IMPORT_CALL 0 i32:1 i64:2", "MEMORY_WRITE 0 100 4 <hex or sha1>".
class Reader {
  constructor(bytes, what) { this.b = bytes; this.p = 0; this.what = what; }
  need(n) { if (this.p + n > this.b.length) throw new Fail(`${this.what}: ends inside an item at ${this.p}`); }
  u8() { this.need(1); return this.b[this.p++]; }
  bytes(n) { this.need(n); const r = this.b.subarray(this.p, this.p + n); this.p += n; return r; }
  uleb() {
    let v = 0n, shift = 0n;
    for (let i = 0; ; i++) {
      if (i >= 10) throw new Fail(`${this.what}: uleb too long`);
      const b = this.u8();
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (!(b & 0x80)) return v;
    }
  }
  sleb() {
    let v = 0n, shift = 0n, b;
    do { b = this.u8(); v |= BigInt(b & 0x7f) << shift; shift += 7n; } while (b & 0x80);
    if (b & 0x40) v -= 1n << shift;
    return v;
  }
  num() { return Number(this.uleb()); }
  str() { return Buffer.from(this.bytes(this.num())).toString('utf8'); }
  atEnd() { return this.p === this.b.length; }
}

function parseHeader(body) {
  const r = new Reader(body, 'header');
  const h = { imports: [], exports: [], globals: [], fields: [] };
  const sig = (rr) => {
    const params = [...rr.bytes(rr.num())];
    const results = [...rr.bytes(rr.num())];
    return { params, results };
  };
  while (!r.atEnd()) {
    const tag = r.u8();
    const payload = new Reader(r.bytes(r.num()), `header field ${tag}`);
    h.fields.push(tag);
    if (tag === 3) { const i = payload.num(); payload.str(); payload.str(); h.imports[i] = sig(payload); }
    if (tag === 4) { const i = payload.num(); payload.str(); h.exports[i] = sig(payload); }
    if (tag === 6) { const i = payload.num(); h.globals[i] = payload.u8(); payload.str(); }
  }
  return h;
}

function readValue(r, t) {
  switch (t) {
    case I32: { const v = r.uleb(); check(v < 2n ** 32n, 'i32 out of range'); return `i32:${v}`; }
    case I64: { const v = r.uleb(); check(v < 2n ** 64n, 'i64 out of range'); return `i64:${v}`; }
    case F32: return `f32:${hex([...r.bytes(4)].reverse())}`;
    case F64: return `f64:${hex([...r.bytes(8)].reverse())}`;
    case V128: return `v128:${hex([...r.bytes(16)].reverse())}`;
    default: throw new Fail(`bad value type ${t}`);
  }
}

function decodeEvents(bytes, h, what) {
  const r = new Reader(bytes, what);
  const out = [];
  while (!r.atEnd()) {
    const kind = r.u8();
    const name = KIND_NAME[kind];
    if (!name) throw new Fail(`${what}: unknown event kind ${kind} at ${r.p - 1}`);
    let s = name;
    const values = (types) => { for (const t of types) s += ' ' + readValue(r, t); };
    switch (kind) {
      case K.IMPORT_CALL: case K.IMPORT_RETURN: {
        const i = r.num(); s += ` ${i}`;
        check(h.imports[i], `unknown import ${i}`);
        values(kind === K.IMPORT_CALL ? h.imports[i].params : h.imports[i].results);
        break;
      }
      case K.EXPORT_CALL: case K.EXPORT_RETURN: {
        const i = r.num(); s += ` ${i}`;
        check(h.exports[i], `unknown export ${i}`);
        values(kind === K.EXPORT_CALL ? h.exports[i].params : h.exports[i].results);
        break;
      }
      case K.MEMORY_WRITE: {
        const m = r.num(), a = r.num(), n = r.num();
        const data = r.bytes(n);
        s += ` ${m} ${a} ${n} ${n <= 64 ? hex(data) : sha1(data)}`;
        break;
      }
      case K.MEMORY_GROW: s += ` ${r.num()} ${r.num()} ${r.sleb()}`; break;
      case K.HOST_MEMORY_GROW: s += ` ${r.num()} ${r.num()}`; break;
      case K.GLOBAL_CHANGE: {
        const i = r.num(); s += ` ${i}`;
        check(h.globals[i], `unknown global ${i}`);
        values([h.globals[i]]);
        break;
      }
      case K.HOST_TABLE_SET: {
        s += ` ${r.num()} ${r.num()}`;
        const nonNull = r.u8();
        check(nonNull <= 1, `reference byte ${nonNull}`);
        s += ` ${nonNull}`;
        break;
      }
      case K.HOST_TABLE_GROW: s += ` ${r.num()} ${r.num()}`; break;
      case K.TRAP: s += ` ${JSON.stringify(r.str())}`; break;
      case K.END: break;
    }
    out.push(s);
  }
  return out;
}

// Decodes a whole trace file; throws on anything wrong (truncation included).
function decodeTrace(file, expectHeader) {
  const b = file instanceof Uint8Array ? file : Uint8Array.from(file);
  check(b.length >= 20, `trace too short (${b.length} bytes)`);
  eq(hex(b.subarray(0, 8)), '895352520d0a1a0a', 'magic');
  eq(b[8] | b[9] << 8, 1, 'major version');
  eq(b[10] | b[11] << 8, 3, 'minor version');
  const hlen = u32(b, 12);
  check(b.length >= 20 + hlen, 'file ends inside the header');
  const body = b.subarray(16, 16 + hlen);
  eq(u32(b, 16 + hlen), crc32(body), 'header CRC');
  if (expectHeader) eq(hex(body), hex(expectHeader), 'header body');
  const h = parseHeader(body);
  const chunks = [];
  const events = [];
  let p = 20 + hlen;
  while (p < b.length) {
    check(p + 20 <= b.length, `file ends inside a chunk header at ${p}`);
    eq(hex(b.subarray(p, p + 4)), hex(utf8('SRRC')), `chunk magic at ${p}`);
    eq(b[p + 4], 0, 'codec (raw)');
    eq(b[p + 5] | b[p + 6] | b[p + 7], 0, 'reserved bytes');
    const raw = u32(b, p + 8), stored = u32(b, p + 12), crc = u32(b, p + 16);
    eq(stored, raw, 'stored_length of a raw chunk');
    check(raw > 0, 'empty chunk');
    check(p + 20 + stored <= b.length, `file ends inside chunk ${chunks.length}`);
    const data = b.subarray(p + 20, p + 20 + stored);
    eq(crc32(data), crc, `chunk ${chunks.length} CRC`);
    const evs = decodeEvents(data, h, `chunk ${chunks.length}`);
    chunks.push({ offset: p, raw, count: evs.length });
    events.push(...evs);
    p += 20 + stored;
  }
  return { header: h, chunks, events };
}

// ---- a fake WASI: in-memory files, preopened directories ----------------------------------
class FakeWasi {
  constructor(env, { preopens = ['.'], maxWrite = Infinity, enosys = false } = {}) {
    this.env = env;
    this.files = new Map(); // full path -> Buffer
    this.fds = new Map();
    preopens.forEach((name, i) => this.fds.set(3 + i, { dir: name }));
    this.maxWrite = maxWrite;
    this.enosys = enosys;
    this.calls = [];
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
  file(name) { return this.files.get(name); }
  imports() {
    const self = this;
    const wrap = (name, fn) => (...args) => {
      self.env.beforeAppChange();
      self.calls.push(name);
      if (self.enosys) return E.NOSYS;
      if (self.trapping) throw new HostTrap(`${name} trapped`);
      return fn(...args);
    };
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
        const d = self.fds.get(dirfd);
        if (!d) return E.BADF;
        if (d.dir === undefined) return E.NOTCAPABLE;
        const rel = Buffer.from(self.mem().subarray(self.ptr(p, len), p + len)).toString('utf8');
        const norm = (p) => path.posix.join(p, '.').replace(/(.)\/$/, '$1');
        const full = norm(`${d.dir}/${rel}`);
        const dirOf = path.posix.dirname(full);
        if (![...self.fds.values()].some((x) => x.dir !== undefined && norm(x.dir) === dirOf)) {
          return E.NOENT; // only files directly in a preopen exist here
        }
        if (!self.files.has(full)) {
          if (!(oflags & 1)) return E.NOENT;
          self.files.set(full, Buffer.alloc(0));
        } else if (oflags & 8) {
          self.files.set(full, Buffer.alloc(0));
        }
        let fd = 3;
        while (self.fds.has(fd)) fd++;
        self.fds.set(fd, { file: full, append: !!(fdflags & 1), pos: 0, write: !!(rightsBase & 64n) });
        putU32(self.mem(), self.ptr(result, 4), fd);
        return 0;
      }),
      fd_write: wrap('fd_write', (fd, iovs, n, result) => {
        const f = self.fds.get(fd);
        if (!f || f.file === undefined) return E.BADF;
        if (!f.write) return E.NOTCAPABLE;
        const m = self.mem();
        let budget = self.maxWrite;
        let total = 0;
        for (let i = 0; i < n && budget > 0; i++) {
          const base = self.ptr(iovs + 8 * i, 8);
          const p = u32(m, base), len = Math.min(u32(m, base + 4), budget);
          const data = Buffer.from(m.subarray(self.ptr(p, len), p + len));
          let content = self.files.get(f.file);
          const at = f.append ? content.length : f.pos;
          if (at + len > content.length) {
            const bigger = Buffer.alloc(at + len);
            content.copy(bigger);
            content = bigger;
          }
          data.copy(content, at);
          self.files.set(f.file, content);
          f.pos = at + len;
          total += len;
          budget -= len;
        }
        putU32(m, self.ptr(result, 4), total);
        return 0;
      }),
      fd_close: wrap('fd_close', (fd) => {
        if (!self.fds.has(fd)) return E.BADF;
        self.fds.delete(fd);
        return 0;
      }),
      // An empty environment (the recorder looks for SHADOWRR_TRACE).
      environ_sizes_get: wrap('environ_sizes_get', (countPtr, sizePtr) => {
        const m = self.mem();
        putU32(m, self.ptr(countPtr, 4), 0);
        putU32(m, self.ptr(sizePtr, 4), 0);
        return 0;
      }),
      environ_get: wrap('environ_get', () => 0),
    };
  }
}

// WASI imports that must never be called.
const THROWING_WASI = Object.fromEntries(
  ['path_open', 'fd_write', 'fd_close', 'fd_prestat_get', 'fd_prestat_dir_name', 'environ_sizes_get', 'environ_get'].map((n) => [n, () => {
    throw new Error(`WASI ${n} called although there is no WASI memory`);
  }]));

// ---- the environment: one recorder instance and its fake application -----------------------
const SLOW = new Set(['srr_rec_load_mismatch', 'srr_rec_reconcile', 'srr_rec_reconcile_read', 'srr_rec_overwritten']);

class Env {
  // opts: pages (per app memory), wasi: 'fake' | 'enosys' | 'none' | 'node', wasiMemory,
  // tracePath, flags, preopens, maxWrite, seed, nodeDir, unshadowed (memories without a shadow)
  constructor(opts = {}) {
    this.opts = opts;
    const pages = opts.pages ?? [1];
    this.appMems = pages.map((n) => new WebAssembly.Memory({ initial: n, maximum: 1024 }));
    this.shadows = this.appMems.map((m) => new Uint8Array(m.buffer.byteLength));
    this.appMems.forEach((m, i) => {
      const a = new Uint8Array(m.buffer);
      fillRandom(a, (opts.seed ?? 1234) + i);
      this.shadows[i].set(a); // in sync to begin with
    });
    this.unshadowed = new Set(opts.unshadowed ?? []);
    this.flags = opts.flags ?? 0;
    this.header = buildHeader(this.flags);
    this.tracePath = opts.tracePath ?? 'trace.srr';
    this.wasiMode = opts.wasi ?? 'fake';
    this.wasiMemory = this.wasiMode === 'none' ? NO_MEMORY : (opts.wasiMemory ?? 0);
    this.expected = [];
    this.checks = 0;
    this.snapshots = 0;
    let wasiImports;
    if (this.wasiMode === 'fake' || this.wasiMode === 'enosys') {
      this.fs = new FakeWasi(this, { preopens: opts.preopens, maxWrite: opts.maxWrite, enosys: this.wasiMode === 'enosys' });
      wasiImports = this.fs.imports();
    } else if (this.wasiMode === 'node') {
      wasiImports = Object.fromEntries(Object.entries(opts.nodeWasi.wasiImport).map(([k, f]) => [k, (...a) => { env.beforeAppChange(); return f(...a); }]));
    } else {
      wasiImports = THROWING_WASI;
    }
    const env = this;
    const inRange = (len, p, n, what) => check(p >>> 0 === p && p + n <= len, `${what}: range ${p}+${n} outside ${len} bytes`);
    const host = {
      srr_host_header_size: () => env.header.length,
      srr_host_header_copy: (dst) => { inRange(env.rec().length, dst, env.header.length, 'header_copy'); env.rec().set(env.header, dst); },
      srr_host_trace_path_size: () => utf8(env.tracePath).length,
      srr_host_trace_path_copy: (dst) => env.rec().set(utf8(env.tracePath), dst),
      srr_host_flags: () => env.flags,
      srr_host_memory_count: () => env.appMems.length,
      srr_host_memory_pages: (m) => env.appMems[m].buffer.byteLength / PAGE,
      srr_host_app_read: (m, src, dst, n) => env.copy(env.app(m), src, env.rec(), dst, n, 'app_read'),
      srr_host_app_write: (m, dst, src, n) => { env.beforeAppChange(); env.copy(env.rec(), src, env.app(m), dst, n, 'app_write'); },
      srr_host_shadowed: (m) => (env.unshadowed.has(m) ? 0 : 1),
      // (the transform's bodies do nothing for a memory without a shadow)
      srr_host_shadow_read: (m, src, dst, n) => { if (!env.unshadowed.has(m)) env.copy(env.shadows[m], src, env.rec(), dst, n, 'shadow_read'); },
      srr_host_shadow_write: (m, dst, src, n) => {
        if (env.unshadowed.has(m)) return;
        env.shadowWrites++;
        env.copy(env.rec(), src, env.shadows[m], dst, n, 'shadow_write');
      },
      srr_host_wasi_memory: () => env.wasiMemory,
    };
    this.instance = new WebAssembly.Instance(recorderModule, { shadowrr: host, wasi_snapshot_preview1: wasiImports });
    this.raw = this.instance.exports;
    this.x = {};
    for (const [name, f] of Object.entries(this.raw)) {
      if (typeof f === 'function') this.x[name] = (...args) => this.checked(name, f, args);
    }
  }
  rec() { return new Uint8Array(this.raw.shadowrr_memory.buffer); }
  app(m) { return new Uint8Array(this.appMems[m].buffer); }
  copy(from, src, to, dst, n, what) {
    src >>>= 0; dst >>>= 0; n >>>= 0;
    check(src + n <= from.length && dst + n <= to.length, `${what}: ${src}+${n} -> ${dst} out of range (${from.length}, ${to.length})`);
    to.set(from.subarray(src, src + n), dst);
  }
  // Every call: app memories unchanged, shadows unchanged outside the slow
  // path, no file left open. Only the recorder's srr_host_app_write and the
  // WASI calls can change an app memory: the first of them in a call takes a
  // snapshot of all app memories, compared after the call.
  beforeAppChange() {
    if (this.inCall && !this.snapshot) this.snapshot = this.appMems.map((m) => Buffer.from(new Uint8Array(m.buffer)));
  }
  checked(name, f, args) {
    this.inCall = true;
    this.snapshot = null;
    this.shadowWrites = 0;
    let r;
    try {
      r = f(...args);
    } finally {
      this.inCall = false;
    }
    if (this.snapshot) {
      this.snapshots++;
      this.appMems.forEach((m, i) => {
        const now = Buffer.from(m.buffer);
        const before = this.snapshot[i];
        if (!now.equals(before)) {
          let at = 0;
          while (now[at] === before[at]) at++;
          throw new Fail(`${name}: application memory ${i} changed (first at ${at})`);
        }
      });
    }
    if (!SLOW.has(name)) eq(this.shadowWrites, 0, `${name}: shadow writes`);
    if (this.fs) eq(this.fs.openFiles(), 0, `${name}: files left open`);
    this.checks++;
    return r;
  }
  // One begin/values/end event; values: [[type, value], ...].
  event(kind, index, values = []) {
    const size = { [I32]: 5, [I64]: 10, [F32]: 4, [F64]: 8, [V128]: 16 };
    const max = 1 + 5 + values.reduce((s, [t]) => s + size[t], 0);
    this.x.srr_rec_begin(kind, index, max);
    let s = `${KIND_NAME[kind]} ${index}`;
    for (const [t, v] of values) {
      switch (t) {
        case I32: this.x.srr_rec_i32(v); s += ` i32:${v >>> 0}`; break;
        case I64: this.x.srr_rec_i64(BigInt.asIntN(64, v)); s += ` i64:${BigInt.asUintN(64, v)}`; break;
        case F32: this.x.srr_rec_f32(v); s += ` f32:${hex(f32bits(v))}`; break;
        case F64: this.x.srr_rec_f64(v); s += ` f64:${hex(f64bits(v))}`; break;
        case V128: {
          const [lo, hi] = v;
          this.x.srr_rec_v128(BigInt.asIntN(64, lo), BigInt.asIntN(64, hi));
          s += ` v128:${BigInt.asUintN(64, hi).toString(16).padStart(16, '0')}${BigInt.asUintN(64, lo).toString(16).padStart(16, '0')}`;
          break;
        }
      }
    }
    this.x.srr_rec_end();
    this.expected.push(s);
  }
  // Expected MEMORY_WRITE string for the current app bytes [a, a+n) of memory m.
  mw(m, a, n) {
    const data = this.app(m).subarray(a, a + n);
    return `MEMORY_WRITE ${m} ${a} ${n} ${n <= 64 ? hex(data) : sha1(data)}`;
  }
  // Makes app bytes [a, b) of memory m differ from their shadow (as a host write would).
  hostWrite(m, a, bytes) {
    const app = this.app(m);
    for (let i = 0; i < bytes.length; i++) {
      app[a + i] = bytes[i];
      if (this.shadows[m][a + i] === bytes[i]) this.shadows[m][a + i] = bytes[i] ^ 0xff;
    }
  }
  shadowSynced(m, a, n) { return Buffer.from(this.app(m).subarray(a, a + n)).equals(Buffer.from(this.shadows[m].subarray(a, a + n))); }
  file() {
    const name = path.posix.join(this.opts.expectFile ?? this.tracePath, '.').replace(/(.)\/$/, '$1');
    const f = this.fs.file(name);
    check(f, `no file ${name} (files: ${[...this.fs.files.keys()].join(', ')})`);
    return f;
  }
  drainAll() {
    const size = this.x.shadowrr_drain_size();
    const ptr = this.x.shadowrr_drain_ptr();
    const out = Buffer.from(this.rec().subarray(ptr, ptr + size));
    this.x.shadowrr_drain_reset();
    eq(this.x.shadowrr_drain_size(), 0, 'drain size after reset');
    return out;
  }
}

function f32bits(v) { const b = Buffer.alloc(4); b.writeFloatBE(v); return b; }
function f64bits(v) { const b = Buffer.alloc(8); b.writeDoubleBE(v); return b; }

// A tiny module calling the recorder's srr_rec_f32/f64 with exact bit patterns
// (JS numbers would canonicalise NaN payloads): exports f32bits(i32), f64bits(i64).
const NAN_HELPER = new WebAssembly.Module(Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x11, 0x04, 0x60, 0x01, 0x7d, 0x00, 0x60, 0x01, 0x7c, 0x00, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x01, 0x7e, 0x00,
  0x02, 0x11, 0x02, 0x01, 0x72, 0x03, 0x66, 0x33, 0x32, 0x00, 0x00, 0x01, 0x72, 0x03, 0x66, 0x36, 0x34, 0x00, 0x01,
  0x03, 0x03, 0x02, 0x02, 0x03,
  0x07, 0x15, 0x02, 0x07, 0x66, 0x33, 0x32, 0x62, 0x69, 0x74, 0x73, 0x00, 0x02,
  0x07, 0x66, 0x36, 0x34, 0x62, 0x69, 0x74, 0x73, 0x00, 0x03,
  0x0a, 0x11, 0x02, 0x07, 0x00, 0x20, 0x00, 0xbe, 0x10, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0xbf, 0x10, 0x01, 0x0b,
]));

// ---- the tests ---------------------------------------------------------------------------------
const tests = [];
const test = (name, fn) => tests.push({ name, fn });

function finishAndDecode(env) {
  env.x.srr_rec_finish();
  env.expected.push('END');
  const t = decodeTrace(env.file(), env.header);
  eqList(t.events, env.expected, 'events');
  return t;
}

test('every event kind and value type round-trips (bit-exact floats)', () => {
  const env = new Env();
  env.event(K.EXPORT_CALL, 0);
  env.event(K.IMPORT_CALL, 0, [[I32, 0xffffffff], [I64, -1n]]);
  env.event(K.IMPORT_RETURN, 0, [[I32, 127]]);
  env.event(K.IMPORT_CALL, 0, [[I32, 128], [I64, 2n ** 63n]]);
  env.event(K.IMPORT_RETURN, 0, [[I32, 0x80000000]]);
  env.event(K.IMPORT_CALL, 2, [[I32, 0], [I32, 1], [I32, 16383], [I32, 16384]]);
  env.event(K.IMPORT_RETURN, 2, [[I32, 0]]);
  env.event(K.IMPORT_CALL, 1, [[F32, -0], [F64, 1.5e300], [V128, [0x0123456789abcdefn, -2n]]]);
  env.event(K.IMPORT_RETURN, 1);
  env.event(K.GLOBAL_CHANGE, 0, [[I32, 7]]);
  env.event(K.GLOBAL_CHANGE, 1, [[I64, -5n]]);
  env.event(K.EXPORT_CALL, 1, [[I32, 42]]);
  env.event(K.EXPORT_RETURN, 1, [[I64, 1n << 40n]]);
  // NaN payloads, through wasm-to-wasm calls.
  const helper = new WebAssembly.Instance(NAN_HELPER, { r: { f32: env.raw.srr_rec_f32, f64: env.raw.srr_rec_f64 } });
  env.x.srr_rec_begin(K.IMPORT_CALL, 1, 1 + 5 + 4 + 8 + 16);
  helper.exports.f32bits(0x7fa00001); // signalling NaN with payload
  helper.exports.f64bits(0xfff4000000000abcn - 2n ** 64n);
  env.x.srr_rec_v128(0n, 0n);
  env.x.srr_rec_end();
  env.expected.push(`IMPORT_CALL 1 f32:7fa00001 f64:fff4000000000abc v128:${'0'.repeat(32)}`);
  env.event(K.EXPORT_RETURN, 0);
  const t = finishAndDecode(env);
  eq(t.chunks.length, 1, 'chunks');
  check(env.checks > 30, 'calls checked');
});

test('slow path: a 4-byte load where bytes 1 and 3 differ records exactly those', () => {
  const env = new Env();
  const a = 1000;
  env.hostWrite(0, a + 1, [0x11]);
  env.hostWrite(0, a + 3, [0x33]);
  env.x.srr_rec_load_mismatch(0, a, 4);
  env.expected.push(env.mw(0, a + 1, 1), env.mw(0, a + 3, 1));
  check(env.shadowSynced(0, a - 8, 16), 'shadow synced');
  finishAndDecode(env);
});

test('slow path: runs extending before the load, to memory start and end, split by an equal byte', () => {
  const env = new Env({ pages: [2] });
  const size = 2 * PAGE;
  const bytes = (n, seed) => { const b = new Uint8Array(n); fillRandom(b, seed); return b; };
  // [50, 120) differs; the load is at 100.
  env.hostWrite(0, 50, bytes(70, 1));
  // [130, 140) differs but does not touch the load: left for later.
  env.hostWrite(0, 130, bytes(10, 2));
  env.x.srr_rec_load_mismatch(0, 100, 4);
  env.expected.push(env.mw(0, 50, 70));
  check(env.shadowSynced(0, 0, 128), 'shadow synced over the run');
  check(!env.shadowSynced(0, 130, 1) && !env.shadowSynced(0, 139, 1), 'a run not touching the load is left alone');
  env.x.srr_rec_load_mismatch(0, 135, 2);
  env.expected.push(env.mw(0, 130, 10));
  // From the very start of memory.
  env.hostWrite(0, 0, bytes(10, 3));
  env.x.srr_rec_load_mismatch(0, 0, 4);
  env.expected.push(env.mw(0, 0, 10));
  // Up to the very end.
  env.hostWrite(0, size - 7, bytes(7, 4));
  env.x.srr_rec_load_mismatch(0, size - 2, 2);
  env.expected.push(env.mw(0, size - 7, 7));
  // Two runs separated by one equal byte, both touching the load [205, 213).
  env.hostWrite(0, 200, bytes(10, 5));
  env.hostWrite(0, 211, bytes(9, 6));
  env.x.srr_rec_load_mismatch(0, 205, 8);
  env.expected.push(env.mw(0, 200, 10), env.mw(0, 211, 9));
  // A run starting inside the load and going on far past it (crossing windows).
  env.hostWrite(0, 40000 + 3, bytes(20000, 7));
  env.x.srr_rec_load_mismatch(0, 40000, 8);
  env.expected.push(env.mw(0, 40003, 20000));
  // A run ending inside the load, started long before (backward over windows).
  env.hostWrite(0, 70000, bytes(30001, 8));
  env.x.srr_rec_load_mismatch(0, 100000, 4);
  env.expected.push(env.mw(0, 70000, 30001));
  // A single byte.
  env.hostWrite(0, 5000, [1]);
  env.x.srr_rec_load_mismatch(0, 5000, 1);
  env.expected.push(env.mw(0, 5000, 1));
  check(Buffer.from(env.app(0)).equals(Buffer.from(env.shadows[0])), 'whole shadow in sync');
  finishAndDecode(env);
});

test('slow path: second memory, and reconcile of a range with scattered differences', () => {
  const env = new Env({ pages: [1, 3] });
  env.hostWrite(1, 3 * PAGE - 1, [9]);
  env.x.srr_rec_load_mismatch(1, 3 * PAGE - 1, 1);
  env.expected.push(env.mw(1, 3 * PAGE - 1, 1));
  // reconcile [1000, 2000): runs [998, 1001), [1500, 1510), [1999, 2003), and [1200, 1201)
  env.hostWrite(1, 998, [1, 2, 3]);
  env.hostWrite(1, 1200, [4]);
  env.hostWrite(1, 1500, new Uint8Array(10).fill(5));
  env.hostWrite(1, 1999, [6, 7, 8, 9]);
  env.hostWrite(1, 2500, [10]); // outside: stays
  env.x.srr_rec_reconcile(1, 1000, 1000);
  env.expected.push(env.mw(1, 998, 3), env.mw(1, 1200, 1), env.mw(1, 1500, 10), env.mw(1, 1999, 4));
  check(env.shadowSynced(1, 990, 1100), 'range synced');
  check(!env.shadowSynced(1, 2500, 1), 'outside the range: untouched');
  env.x.srr_rec_reconcile(1, 3000, 0); // empty range: nothing
  env.x.srr_rec_reconcile(1, 2000, 1000);
  env.expected.push(env.mw(1, 2500, 1));
  finishAndDecode(env);
});

test('a memory without shadow: its host writes are recorded as they are, reads up to their length', () => {
  const env = new Env({ pages: [1, 1], unshadowed: [1] });
  const app = env.app(1);
  const view = new DataView(app.buffer);
  // reconcile: all ten bytes, though the shadow bookkeeping says none differs
  env.x.srr_rec_reconcile(1, 96, 10);
  env.expected.push(env.mw(1, 96, 10));
  // overwritten: clipped to the memory's end
  env.x.srr_rec_overwritten(1, PAGE - 4, 100);
  env.expected.push(env.mw(1, PAGE - 4, 4));
  // a read of 70 bytes into iovecs [300, 50) and [400, 50): 50 and 20 bytes
  view.setUint32(200, 300, true); view.setUint32(204, 50, true);
  view.setUint32(208, 400, true); view.setUint32(212, 50, true);
  view.setUint32(500, 70, true);
  env.x.srr_rec_reconcile_read(1, 200, 2, 500);
  env.expected.push(env.mw(1, 300, 50), env.mw(1, 400, 20));
  // a failed read (length unknown): the whole buffers
  env.x.srr_rec_reconcile_read(1, 200, 2, 0xffffffff);
  env.expected.push(env.mw(1, 300, 50), env.mw(1, 400, 50));
  // memory 0 has a shadow: its read is compared over the whole buffers, as
  // srr_rec_reconcile_iovecs does, and only the differing bytes recorded
  const app0 = new DataView(env.app(0).buffer);
  app0.setUint32(200, 300, true); app0.setUint32(204, 50, true);
  app0.setUint32(500, 10, true);
  env.shadows[0].set(env.app(0).subarray(200, 208), 200);
  env.shadows[0].set(env.app(0).subarray(500, 504), 500);
  env.hostWrite(0, 345, [7, 8]);
  env.x.srr_rec_reconcile_read(0, 200, 1, 500);
  env.expected.push(env.mw(0, 345, 2));
  check(env.shadowSynced(0, 300, 50), 'memory 0: buffer synced');
  finishAndDecode(env);
});

test('slow path: a 1 MiB host write costs a few records that cover exactly it', () => {
  const env = new Env({ pages: [40] });
  for (let i = 0; i < 50; i++) env.event(K.IMPORT_CALL, 2, [[I32, i], [I32, i], [I32, i], [I32, i]]);
  const start = PAGE + 3, len = 1 << 20;
  const data = new Uint8Array(len);
  fillRandom(data, 99);
  env.hostWrite(0, start, data);
  env.hostWrite(0, start + len + 1, [1, 2]); // separate: not recorded
  env.x.srr_rec_load_mismatch(0, start + 500000, 8);
  env.x.srr_rec_finish();
  const t = decodeTrace(env.file(), env.header);
  const writes = t.events.filter((e) => e.startsWith('MEMORY_WRITE'));
  check(writes.length >= 4 && writes.length <= 6, `${writes.length} records`);
  let at = start;
  for (const w of writes) {
    const [, m, a, n, digest] = w.split(' ');
    eq(Number(m), 0, 'memory');
    eq(Number(a), at, 'records are contiguous and in order');
    eq(digest, Number(n) <= 64 ? hex(env.app(0).subarray(at, at + Number(n))) : sha1(env.app(0).subarray(at, at + Number(n))), 'record bytes');
    at += Number(n);
  }
  eq(at, start + len, 'records end where the write ends');
  check(env.shadowSynced(0, start - 100, len + 101), 'shadow synced');
  check(!env.shadowSynced(0, start + len + 1, 2), 'the separate run is left alone');
  check(t.chunks.length >= 5, `${t.chunks.length} chunks`);
  for (const c of t.chunks) check(c.raw <= EV_CAP, `chunk of ${c.raw} bytes`);
  eqList(t.events.slice(0, 50), env.expected, 'events before the write');
  eq(t.events[t.events.length - 1], 'END', 'last event');
});

test('many events: several chunks, each of whole events; partial writes; 1-page WASI memory', () => {
  const env = new Env({ pages: [1], maxWrite: 1000 });
  const r = rng(7);
  for (let i = 0; i < 20000; i++) {
    env.event(K.IMPORT_CALL, 1, [[F32, i], [F64, -i], [V128, [BigInt(i), 0n]]]);
    env.event(K.EXPORT_CALL, 1, [[I32, r()]]);
  }
  const t = finishAndDecode(env);
  check(t.chunks.length >= 3, `${t.chunks.length} chunks`);
  t.chunks.slice(0, -1).forEach((c) => check(c.raw <= EV_CAP && c.raw > EV_CAP - 100, `chunk size ${c.raw}`));
  check(env.fs.calls.filter((c) => c === 'fd_write').length > 700, 'partial writes were continued');
  check(env.snapshots >= 3, 'flushes were checked');
  check(env.fs.maxPointer <= PAGE, 'WASI pointers stay in the borrowed region');
});

test('flushes borrow app memory and restore it exactly; hidden WASI calls leave no trace', () => {
  const env = new Env({ pages: [3, 1], wasiMemory: 1, seed: 555 });
  const before = Buffer.from(env.app(1));
  for (let i = 0; i < 20; i++) {
    env.event(K.IMPORT_CALL, 0, [[I32, i], [I64, BigInt(i) * 1000n]]);
    eq(env.x.shadowrr_flush(), 0, 'flush result');
  }
  eq(env.x.shadowrr_flush(), 0, 'empty flush');
  check(Buffer.from(env.app(1)).equals(before), 'WASI memory as before');
  check(env.fs.calls.includes('path_open') && env.fs.calls.includes('fd_close'), 'used WASI');
  eq(env.fs.calls.filter((c) => c === 'path_open').length, 20, 'one open per non-empty flush');
  const t = finishAndDecode(env);
  check(t.chunks.length >= 20, 'a chunk per flush');
  check(env.fs.maxPointer <= 256, `borrowed only what was needed (${env.fs.maxPointer} bytes)`);
});

test('durable mode writes every event at once', () => {
  const env = new Env({ flags: 1 });
  const steps = [
    () => env.event(K.EXPORT_CALL, 0),
    () => env.event(K.IMPORT_CALL, 0, [[I32, 1], [I64, 2n]]),
    () => { env.hostWrite(0, 300, [1, 2, 3]); env.x.srr_rec_load_mismatch(0, 301, 1); env.expected.push(env.mw(0, 300, 3)); },
    () => env.event(K.IMPORT_RETURN, 0, [[I32, 3]]),
    () => { env.x.srr_rec_memory_grow(0, 1, 1); env.expected.push('MEMORY_GROW 0 1 1'); },
    () => { env.x.srr_rec_host_memory_grow(0, 9); env.expected.push('HOST_MEMORY_GROW 0 9'); },
    () => { env.hostWrite(0, 400, [7]); env.x.srr_rec_reconcile(0, 390, 20); env.expected.push(env.mw(0, 400, 1)); },
  ];
  for (const step of steps) {
    step();
    const t = decodeTrace(env.file(), env.header);
    eqList(t.events, env.expected, 'events on disk');
  }
  finishAndDecode(env);
});

test('memory growth events (sleb results)', () => {
  const env = new Env({ pages: [1, 1] });
  env.x.srr_rec_memory_grow(0, 2, 1);
  env.x.srr_rec_memory_grow(1, 70000, -1);
  env.x.srr_rec_memory_grow(0, 0, 3);
  env.appMems[0].grow(5);
  const bigger = new Uint8Array(env.appMems[0].buffer.byteLength);
  bigger.set(env.shadows[0]);
  bigger.set(env.app(0).subarray(env.shadows[0].length), env.shadows[0].length);
  env.shadows[0] = bigger;
  env.x.srr_rec_host_memory_grow(0, 6);
  env.x.srr_rec_host_memory_grow(1, 200000);
  env.expected.push('MEMORY_GROW 0 2 1', 'MEMORY_GROW 1 70000 -1', 'MEMORY_GROW 0 0 3', 'HOST_MEMORY_GROW 0 6', 'HOST_MEMORY_GROW 1 200000');
  // A load in the grown part.
  env.hostWrite(0, 6 * PAGE - 3, [1, 2, 3]);
  env.x.srr_rec_load_mismatch(0, 6 * PAGE - 1, 1);
  env.expected.push(env.mw(0, 6 * PAGE - 3, 3));
  finishAndDecode(env);
});

// The same run recorded three ways: fake WASI file, ENOSYS stubs + drain,
// no WASI memory + drain. `flushPoint` is shadowrr_flush or a drain.
function scriptedRun(env, flushPoint) {
  for (let i = 0; i < 3000; i++) env.event(K.IMPORT_CALL, 1, [[F32, i], [F64, i], [V128, [BigInt(i), BigInt(i)]]]);
  flushPoint();
  const data = new Uint8Array(300000);
  fillRandom(data, 4);
  env.hostWrite(0, 1000, data);
  env.x.srr_rec_load_mismatch(0, 2000, 4);
  flushPoint();
  env.event(K.EXPORT_CALL, 1, [[I32, 5]]);
  env.x.srr_rec_memory_grow(0, 1, -1);
  flushPoint();
  flushPoint(); // nothing new
  env.event(K.EXPORT_RETURN, 1, [[I64, 5n]]);
  env.x.srr_rec_finish();
  flushPoint();
}

test('without WASI, the drain exports give the same bytes a WASI run writes', () => {
  const a = new Env({ pages: [8] });
  scriptedRun(a, () => eq(a.x.shadowrr_flush(), 0, 'flush'));
  const fileBytes = a.file();
  const t = decodeTrace(fileBytes, a.header);
  check(t.chunks.length >= 4, `${t.chunks.length} chunks`);

  const b = new Env({ pages: [8], wasi: 'enosys' });
  const drained = [];
  scriptedRun(b, () => drained.push(b.drainAll()));
  check(Buffer.concat(drained).equals(fileBytes), 'ENOSYS stubs: drained bytes == file bytes');
  eq(b.x.shadowrr_flush(), 0, 'flush result without WASI');

  const c = new Env({ pages: [8], wasi: 'none' });
  const drained2 = [];
  scriptedRun(c, () => drained2.push(c.drainAll()));
  check(Buffer.concat(drained2).equals(fileBytes), 'no WASI memory: drained bytes == file bytes');

  // Flushing and draining only at the end.
  const e = new Env({ pages: [8] });
  scriptedRun(e, () => {});
  const d = new Env({ pages: [8], wasi: 'enosys' });
  scriptedRun(d, () => {});
  check(d.drainAll().equals(e.file()), 'drained at the end == file');
  eq(d.drainAll().length, 0, 'nothing left');
});

test('finish is idempotent, later events are ignored; on_trap appends TRAP and recording goes on', () => {
  const env = new Env();
  env.event(K.EXPORT_CALL, 0);
  env.x.srr_rec_finish();
  env.x.srr_rec_finish();
  env.x.srr_rec_begin(K.EXPORT_CALL, 0, 6);
  env.x.srr_rec_end();
  env.x.srr_rec_memory_grow(0, 1, 1);
  env.hostWrite(0, 10, [1]);
  env.x.srr_rec_load_mismatch(0, 10, 1);
  check(env.shadowSynced(0, 10, 1), 'the shadow is still synced after finish');
  eq(env.x.shadowrr_on_trap(), 0, 'on_trap after finish');
  env.expected.push('END');
  eqList(decodeTrace(env.file(), env.header).events, env.expected, 'events');

  const t = new Env();
  t.event(K.EXPORT_CALL, 0);
  t.event(K.IMPORT_CALL, 0, [[I32, 1], [I64, 1n]]);
  t.x.srr_rec_begin(K.IMPORT_RETURN, 0, 11); // cut short by the trap: dropped
  eq(t.x.shadowrr_on_trap(), 0, 'on_trap');
  t.x.srr_rec_i32(5); // what the cut event would have gone on with: ignored
  t.x.srr_rec_end();
  t.expected.push('TRAP ""');
  t.event(K.EXPORT_CALL, 1, [[I32, 2]]); // the host calls the module again
  t.event(K.EXPORT_RETURN, 1, [[I64, 4n]]);
  t.x.srr_rec_finish();
  t.expected.push('END');
  eqList(decodeTrace(t.file(), t.header).events, t.expected, 'events');
});

test('a reactor recorded across traps: nesting reset, no TRAP when nothing of the module ran', () => {
  const env = new Env({ wasi: 'none' });
  const trap = () => { eq(env.x.shadowrr_on_trap(), 0, 'on_trap'); env.expected.push('TRAP ""'); };
  // A trap in the guest, inside an export.
  env.event(K.EXPORT_CALL, 1, [[I32, 1]]);
  trap();
  // A trap in an export the host called back during an import.
  env.event(K.EXPORT_CALL, 0);
  env.event(K.IMPORT_CALL, 0, [[I32, 7], [I64, 8n]]);
  env.event(K.EXPORT_CALL, 1, [[I32, 2]]);
  env.hostWrite(0, 100, [1, 2, 3]);
  env.x.srr_rec_load_mismatch(0, 100, 3);
  env.expected.push(env.mw(0, 100, 3));
  trap();
  // A trap in the host during an import, while an event was being written.
  env.event(K.EXPORT_CALL, 1, [[I32, 3]]);
  env.event(K.IMPORT_CALL, 2, [[I32, 1], [I32, 2], [I32, 3], [I32, 4]]);
  env.x.srr_rec_begin(K.IMPORT_RETURN, 2, 11);
  trap();
  // Between export calls (the module was not running: the trap was not its
  // own), and twice in a row: nothing is recorded. Had the nesting not been
  // reset by the traps above, these would record TRAPs.
  eq(env.x.shadowrr_on_trap(), 0, 'on_trap between export calls');
  eq(env.x.shadowrr_on_trap(), 0, 'on_trap again');
  // A completed call, then one more trap and a call after it.
  env.event(K.EXPORT_CALL, 1, [[I32, 4]]);
  env.event(K.EXPORT_RETURN, 1, [[I64, 16n]]);
  eq(env.x.shadowrr_on_trap(), 0, 'on_trap after the call returned');
  env.event(K.EXPORT_CALL, 1, [[I32, 5]]);
  env.event(K.IMPORT_CALL, 0, [[I32, 5], [I64, 5n]]);
  env.event(K.IMPORT_RETURN, 0, [[I32, 0]]);
  trap();
  env.event(K.EXPORT_CALL, 1, [[I32, 6]]);
  env.event(K.EXPORT_RETURN, 1, [[I64, 36n]]);
  env.x.srr_rec_finish(); // shadowrr_finish in an instrumented module
  env.expected.push('END');
  eqList(decodeTrace(env.drainAll(), env.header).events, env.expected, 'events');
});

test('traps inside the recorder (its frames unwound) leak no stack: on_trap puts it back', () => {
  // The fake WASI traps in the middle of a flush, 3000 times: each time the
  // recorder's do_flush frame (on its 16 KiB C stack) is unwound without its
  // epilogue. Without the reset in on_trap the stack would run out (and the
  // recorder trap) after about a thousand.
  const env = new Env();
  for (let i = 0; i < 3000; i++) {
    env.event(K.EXPORT_CALL, 1, [[I32, i]]);
    env.fs.trapping = true;
    let trapped = false;
    try {
      env.x.shadowrr_flush();
    } catch (e) {
      if (!(e instanceof HostTrap)) throw e;
      trapped = true;
    }
    env.fs.trapping = false;
    check(trapped, 'the flush trapped');
    eq(env.x.shadowrr_on_trap(), 0, `on_trap ${i}`);
    env.expected.push('TRAP ""');
  }
  finishAndDecode(env);
});

test('host-written tables: HOST_TABLE_SET and HOST_TABLE_GROW events', () => {
  const env = new Env();
  env.event(K.EXPORT_CALL, 0);
  env.x.srr_rec_host_table_grow(3, 70000);
  env.x.srr_rec_host_table_set(3, 65537, 1);
  env.x.srr_rec_host_table_set(3, 0, 0);
  env.x.srr_rec_host_table_set(0, 5, 7); // any non-zero: non-null
  env.expected.push('HOST_TABLE_GROW 3 70000', 'HOST_TABLE_SET 3 65537 1', 'HOST_TABLE_SET 3 0 0', 'HOST_TABLE_SET 0 5 1');
  env.event(K.EXPORT_RETURN, 0);
  finishAndDecode(env);
});

test('imports the host itself calls between export calls, once instantiation is over, are no events', () => {
  const env = new Env();
  // During instantiation (the start function): recorded.
  env.event(K.IMPORT_CALL, 0, [[I32, 1], [I64, 2n]]);
  env.event(K.IMPORT_RETURN, 0, [[I32, 3]]);
  env.x.srr_rec_started();
  // The host calls the wrapper through a funcref, between export calls: not
  // recorded, with whatever nests in it (an export call is recorded).
  env.x.srr_rec_begin(K.IMPORT_CALL, 0, 32);
  env.x.srr_rec_i32(9);
  env.x.srr_rec_i64(9n);
  env.x.srr_rec_end();
  env.event(K.EXPORT_CALL, 0);
  env.event(K.EXPORT_RETURN, 0);
  env.x.srr_rec_begin(K.IMPORT_RETURN, 0, 32);
  env.x.srr_rec_i32(9);
  env.x.srr_rec_end();
  // The guest's own import calls, inside an export call: recorded.
  env.event(K.EXPORT_CALL, 0);
  env.event(K.IMPORT_CALL, 0, [[I32, 4], [I64, 5n]]);
  env.event(K.IMPORT_RETURN, 0, [[I32, 6]]);
  env.event(K.EXPORT_RETURN, 0);
  finishAndDecode(env);
});

test('trace path resolution: absolute paths by longest preopen prefix, relative by "." or the first', () => {
  const abs = new Env({ preopens: ['/data', '/data/deep/', '.', '/dat'], tracePath: '/data/deep/run.srr', expectFile: '/data/deep/run.srr' });
  abs.event(K.EXPORT_CALL, 0);
  finishAndDecode(abs);
  eq(abs.fs.files.size, 1, 'one file');

  const rel = new Env({ preopens: ['/a', '/b', '.'], tracePath: 'x/../t.srr', expectFile: './t.srr' });
  rel.event(K.EXPORT_CALL, 0);
  finishAndDecode(rel);

  const first = new Env({ preopens: ['/a', '/b'], tracePath: 't.srr', expectFile: '/a/t.srr' });
  first.event(K.EXPORT_CALL, 0);
  finishAndDecode(first);

  const root = new Env({ preopens: ['/'], tracePath: '/t.srr', expectFile: '/t.srr' });
  root.event(K.EXPORT_CALL, 0);
  finishAndDecode(root);
});

test('an unwritable trace sets a sticky errno; the guest still runs', () => {
  const env = new Env({ preopens: ['.', '/database'], tracePath: '/data/t.srr' });
  env.event(K.EXPORT_CALL, 0);
  eq(env.x.shadowrr_flush(), E.NOTCAPABLE, 'no preopen for the path');
  env.event(K.EXPORT_CALL, 0);
  env.hostWrite(0, 10, [1]);
  env.x.srr_rec_load_mismatch(0, 10, 1);
  check(env.shadowSynced(0, 10, 1), 'shadow synced anyway');
  eq(env.x.shadowrr_flush(), E.NOTCAPABLE, 'sticky');
  env.x.srr_rec_finish();
  eq(env.x.shadowrr_on_trap(), E.NOTCAPABLE, 'on_trap reports it too');
  eq(env.fs.files.size, 0, 'no file');

  const missing = new Env({ tracePath: 'no/such/dir/t.srr' });
  missing.event(K.EXPORT_CALL, 0);
  eq(missing.x.shadowrr_flush(), E.NOENT, 'path_open error');
  eq(missing.x.shadowrr_drain_size(), 0, 'nothing to drain');

  const none = new Env({ preopens: [] });
  eq(none.x.shadowrr_flush(), E.NOTCAPABLE, 'no preopens at all');
});

test('node:wasi: a real file on disk, decoded', async () => {
  process.removeAllListeners('warning');
  const { WASI } = await import('node:wasi');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srr-recorder-'));
  try {
    const mem = new WebAssembly.Memory({ initial: 2 });
    const wasi = new WASI({ version: 'preview1', preopens: { '.': dir }, returnOnExit: true });
    wasi.initialize({ exports: { memory: mem } });
    // The env's app memory 0 must be that memory: build the env, then swap it in.
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    const env = new Env({ wasi: 'node', nodeWasi: wasi, pages: [2], tracePath: 'sub-less.srr' });
    new Uint8Array(mem.buffer).set(env.app(0));
    env.appMems[0] = mem;
    for (let i = 0; i < 20000; i++) env.event(K.IMPORT_CALL, 1, [[F32, i], [F64, i], [V128, [BigInt(i), BigInt(i)]]]);
    env.hostWrite(0, 100, [1, 2, 3, 4, 5]);
    env.x.srr_rec_load_mismatch(0, 102, 1);
    env.expected.push(env.mw(0, 100, 5));
    env.x.srr_rec_finish();
    env.expected.push('END');
    const t = decodeTrace(fs.readFileSync(path.join(dir, 'sub-less.srr')), env.header);
    eqList(t.events, env.expected, 'events');
    check(t.chunks.length >= 2, 'several flushes appended');
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
