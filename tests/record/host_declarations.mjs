// What the recorder may assume about the host, and what it may not
// (host_declarations.wat drives each case, in host-free code that runs
// unchecked while the memory is synced):
//  - args_get and environ_get write as much as the guest's earlier
//    args_sizes_get and environ_sizes_get answered: all of it is in the trace
//    when they return (reconciled), though the guest reads only a little;
//  - --host-writes-in-calls: an export the host calls from inside an import
//    still finds the host's writes; one it calls from outside any guest call
//    is taken to find none, so the bytes the host wrote before it are not in
//    the trace (the declared behaviour, shown to be in effect);
//  - --pure-import env.tick: env.tick is taken to write nothing; without the
//    declaration, what it wrote is recorded;
//  - --host-writes-in-calls without imports: an exported table or memory
//    gets no shadow, and the module, which can never be unsynced, gets no
//    checks and no checked copies (host_declarations_table.wat), nor an
//    event-boundary function with nothing to check: every function a short
//    run calls is one more compilation inside it on an engine that compiles
//    lazily. For the same reason no record or replay module keeps the
//    recorder's or replayer's one-line host functions: they are inlined.
//    The recorder's srr_rec_begin and srr_rec_end, which import wrappers in
//    the guest's code call, stay above 500 bytes, the size up to which V8's
//    optimising compiler inlines a function into its caller (recorder.c
//    says why); the replay's import stubs, and the replayer's entry points
//    they call, are reached only through a table (call_indirect, never
//    inlined by V8).
// Each build's results equal the original module's.
//
//   node host_declarations.mjs SHADOWRR SCRATCH_DIR
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checker, drainedEvents, eventsPerExportCall, sh, writtenBytes } from '../lib/harness.mjs';

const [shadowrr, scratch] = process.argv.slice(2);
const here = dirname(new URL(import.meta.url).pathname);
mkdirSync(scratch, { recursive: true });
const { check, done } = checker();

const ARGS = ['prog.wasm', '--level', '9', 'input file'];
const ENV = ['HOME=/home/guest', 'LANG=C.UTF-8', 'EMPTY='];
const enc = new TextEncoder();
const listBytes = (list) => list.reduce((n, s) => n + enc.encode(s).length + 1, 0);

// A host of the imports the module and the recorder use. The WASI lists
// follow preview1 (pointers at `list`, NUL-terminated strings from `buf`);
// the recorder's file calls fail (the test drains the trace itself).
// `writes` collects, per export call of the test, what the host wrote for
// the guest. The recorder reads the environment itself too, through a
// borrowed piece of memory that it restores: those calls, whose pointers are
// not the guest's (host_declarations.wat), are left out.
const GUEST_POINTERS = new Set([256, 264, 512, 2048]);
function instantiate(file, writes) {
  let instance;
  const mem = () => new Uint8Array(instance.exports.memory.buffer);
  const wrote = (address, bytes, guest = true) => {
    mem().set(bytes, address);
    if (guest) writes.push([address, bytes]);
  };
  const word = (v) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); return b; };
  const sizes = (list) => (countPtr, sizePtr) => {
    const guest = GUEST_POINTERS.has(countPtr);
    wrote(countPtr, word(list.length), guest);
    wrote(sizePtr, word(listBytes(list)), guest);
    return 0;
  };
  const get = (list) => (listPtr, bufPtr) => {
    const guest = GUEST_POINTERS.has(listPtr);
    let at = bufPtr;
    const pointers = new Uint8Array(4 * list.length);
    list.forEach((s, i) => {
      pointers.set(word(at), 4 * i);
      const bytes = new Uint8Array([...enc.encode(s), 0]);
      wrote(at, bytes, guest);
      at += bytes.length;
    });
    wrote(listPtr, pointers, guest);
    return 0;
  };
  const fill = (p, n, round) => wrote(p, Uint8Array.from({ length: n }, (_, i) => ((i * 7 + round * 13) % 251) + 1));
  const imports = {
    wasi_snapshot_preview1: {
      args_sizes_get: sizes(ARGS), args_get: get(ARGS),
      environ_sizes_get: sizes(ENV), environ_get: get(ENV),
      // ENOSYS: the recorder then keeps the trace for shadowrr_drain_*.
      path_open: () => 52, fd_write: () => 52, fd_close: () => 52, fd_prestat_get: () => 52,
      fd_prestat_dir_name: () => 52,
    },
    env: {
      callback(p, n) { fill(p, n, 2); return instance.exports.sum(p, n); },
      tick() { fill(instance.tickAt, 40, 3); },
    },
  };
  instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), imports);
  instance.hostFill = fill;
  return instance;
}

// The calls, each with the host's writes it depends on.
function drive(instance, writes) {
  const e = instance.exports;
  const calls = [];
  const call = (name, run) => {
    writes.length = 0;
    const result = run();
    calls.push({ name, result, writes: writes.slice() });
  };
  call('lists', () => e.lists());
  call('between', () => { instance.hostFill(8192, 64, 1); return e.sum(8192, 64); });
  instance.tickAt = 16384;
  call('tick', () => e.tick_then_sum(16384, 40));
  // Last: an import the recorder knows nothing of leaves the memory
  // unsynced, and every later read would be checked.
  call('callback', () => e.callback_sum(12288, 80));
  return calls;
}

const plain = join(scratch, 'host_declarations');
sh('wat2wasm', [join(here, 'host_declarations.wat'), '-o', `${plain}.wasm`]);
const expected = drive(instantiate(`${plain}.wasm`, []), []).map((c) => c.result);

// Which calls' host writes each build must record in full.
const builds = [
  { name: 'default', flags: [], recorded: { lists: true, between: true, callback: true, tick: true } },
  { name: 'declared', flags: ['--host-writes-in-calls', '--pure-import', 'env.tick'],
    recorded: { lists: true, between: false, callback: true, tick: false } },
];
for (const build of builds) {
  const base = `${plain}.${build.name}`;
  sh(shadowrr, ['instrument', '--mode', 'record', ...build.flags, `${plain}.wasm`, '-o', `${base}.rec.wasm`]);
  const writes = [];
  const instance = instantiate(`${base}.rec.wasm`, writes);
  const calls = drive(instance, writes);
  const results = calls.map((c) => c.result);
  check(results.join() === expected.join(), `${build.name}: results ${results}, the original's ${expected}`);
  const recorded = eventsPerExportCall(drainedEvents(shadowrr, instance, `${base}.srr`)).map(writtenBytes);
  check(recorded.length === calls.length, `${build.name}: ${recorded.length} export calls in the trace, expected ${calls.length}`);
  calls.forEach((c, k) => {
    // Zero bytes are left out: the shadow holds zeros, so a zero the host
    // wrote there is rightly not recorded.
    let total = 0, missing = 0;
    for (const [address, bytes] of c.writes) {
      bytes.forEach((b, i) => { if (b) { total++; if (recorded[k]?.get(address + i) !== b) missing++; } });
    }
    const want = build.recorded[c.name];
    check(total > 0 && (want ? missing === 0 : missing === total),
          `${build.name}, ${c.name}: ${missing} of the host's ${total} non-zero bytes are missing from the trace, expected ${want ? 'none' : 'all'}`);
  });
}

// An exported funcref table in a module without imports: the declared
// build gives it no shadow (wasm-objdump lists one table fewer: the
// recorder's own and the guest's), and both builds compute what the original
// does.
const table = join(scratch, 'host_declarations_table');
sh('wat2wasm', [join(here, 'host_declarations_table.wat'), '-o', `${table}.wasm`]);
const runTable = (file) => {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), {});
  new Uint8Array(instance.exports.memory.buffer).set(Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256), 100);
  return instance.exports.run(100, 300);
};
// Such a module can never be unsynced either, so in the declared build the
// module's own three functions (the first three: the recorder comes after
// them) read no flag and call nothing: no dispatch, no checked copy, no
// check; the default build has all three.
const tableExpected = runTable(`${table}.wasm`);
// The module's function names (its name section, as wasm-objdump prints them).
const functionNames = (file) =>
  [...sh('wasm-objdump', ['-x', '-j', 'Function', file]).matchAll(/ - func\[\d+\] sig=\d+ <([^>]*)>/g)].map((m) => m[1]);
// The functions whose body is nothing (or a nop), by wasm-objdump's number.
const emptyFunctions = (file) => {
  const bodies = new Map();
  let func = null;
  for (const line of sh('wasm-objdump', ['-d', file]).split('\n')) {
    const start = /^[0-9a-f]+ (func\[\d+\])/.exec(line);
    if (start) bodies.set(func = start[1], []);
    else if (func && line.includes('|')) bodies.get(func).push(line.split('|')[1].trim());
  }
  return [...bodies].filter(([, body]) => body.every((op) => op === 'nop' || op === 'end')).map(([f]) => f);
};
// The size of the body of the function named `name` (0 if there is none).
const bodySize = (file, name) => {
  const found = sh('wasm-objdump', ['-x', '-j', 'Code', file]).split('\n').find((l) => l.endsWith(` <${name}>`));
  return found ? Number(/size=(\d+)/.exec(found)[1]) : 0;
};
// The runtimes' "shadowrr" and WASI imports, which the transform defines.
const hostFunctions = (names) => names.filter((n) => /^srr\$rt\$srr_(host|wasi)_/.test(n));
const flagReadsAndCalls = (file) => {
  let func = '';
  return sh('wasm-objdump', ['-d', file]).split('\n').filter((line) => {
    const start = /^[0-9a-f]+ (func\[\d+\])/.exec(line);
    if (start) func = start[1];
    return /^func\[[012]\]$/.test(func) && /global\.get| call \d/.test(line);
  }).length;
};
for (const [name, flags, tables, memories] of [['default', [], 3, 3], ['declared', ['--host-writes-in-calls'], 2, 2]]) {
  sh(shadowrr, ['instrument', '--mode', 'record', ...flags, `${table}.wasm`, '-o', `${table}.${name}.rec.wasm`]);
  const got = runTable(`${table}.${name}.rec.wasm`);
  check(got === tableExpected, `${name}, table: result ${got}, the original's ${tableExpected}`);
  const listed = (sh('wasm-objdump', ['-x', '-j', 'Table', `${table}.${name}.rec.wasm`]).match(/ - table\[/g) || []).length;
  check(listed === tables, `${name}, table: ${listed} tables in the recording module, expected ${tables}`);
  // Nor can the host write its memory: no shadow memory either (the
  // guest's and the recorder's are left).
  const memoryCount = (sh('wasm-objdump', ['-x', '-j', 'Memory', `${table}.${name}.rec.wasm`]).match(/ - memory\[/g) || []).length;
  check(memoryCount === memories, `${name}, table: ${memoryCount} memories in the recording module, expected ${memories}`);
  const found = flagReadsAndCalls(`${table}.${name}.rec.wasm`);
  check(name === 'declared' ? found === 0 : found > 0,
        `${name}, table: ${found} flag reads and calls in the module's own functions`);
  const empty = emptyFunctions(`${table}.${name}.rec.wasm`);
  check(empty.length === 0, `${name}, table: no function that does nothing (${empty.join(' ') || 'none'})`);
  for (const entry of ['srr_rec_begin', 'srr_rec_end']) {
    const size = bodySize(`${table}.${name}.rec.wasm`, `srr$rt$${entry}`);
    check(size > 500, `${name}, table: ${entry} is ${size} bytes (V8 inlines functions of up to 500)`);
  }
  const host = hostFunctions(functionNames(`${table}.${name}.rec.wasm`));
  check(host.length === 0, `${name}, table: no host function of the recorder left (${host.join(' ') || 'none'})`);
}
sh(shadowrr, ['instrument', '--mode', 'replay', '--trace', 'unused.srr', `${table}.wasm`, '-o', `${table}.replay.wasm`]);
const replayHost = hostFunctions(functionNames(`${table}.replay.wasm`));
check(replayHost.length === 0, `replay, table: no host function of the replayer left (${replayHost.join(' ') || 'none'})`);

// The guest's calls of the replay's import stubs, and the stubs' calls of
// the replayer's entry points, go through a table of their own
// (call_indirect, which V8 does not inline): no stub spends the guest's
// inlining budget, and no entry point is inlined into the guest, first
// compiled at a later call that was not inlined (inside a timed region),
// or brings its cold paths along.
sh(shadowrr, ['instrument', '--mode', 'replay', '--trace', 'unused.srr', `${plain}.wasm`, '-o', `${plain}.replay.wasm`]);
{
  const file = `${plain}.replay.wasm`;
  const code = new Map(); // function index -> its instructions
  let func = -1;
  for (const line of sh('wasm-objdump', ['-d', file]).split('\n')) {
    const start = /^[0-9a-f]+ func\[(\d+)\]/.exec(line);
    if (start) code.set(func = Number(start[1]), []);
    const op = /\| *(.*)$/.exec(line);
    if (op && func >= 0) code.get(func).push(op[1].trim());
  }
  const direct = (f) => code.get(f).map((op) => /^call (\d+)/.exec(op)).filter(Boolean).map((m) => Number(m[1]));
  const names = new Map([...sh('wasm-objdump', ['-x', '-j', 'Function', file])
    .matchAll(/ - func\[(\d+)\] sig=\d+ <([^>]*)>/g)].map((m) => [Number(m[1]), m[2]]));
  const replayer = (f) => names.get(f)?.startsWith('srr$rt$');
  // The table of the indirect calls: the one whose elements include
  // srr_rep_call_check. Its other elements are the stubs.
  let table = -1;
  const elements = new Map(); // table -> function indices
  for (const line of sh('wasm-objdump', ['-x', '-j', 'Elem', file]).split('\n')) {
    const segment = / - segment\[\d+\] .*table=(\d+)/.exec(line);
    if (segment) table = Number(segment[1]);
    const elem = / - elem\[\d+\] = func\[(\d+)\]/.exec(line);
    if (elem) elements.set(table, [...(elements.get(table) ?? []), Number(elem[1])]);
  }
  const [, through] = [...elements].find(([, fs]) => fs.some((f) => names.get(f) === 'srr$rt$srr_rep_call_check')) ?? [-1, []];
  const entryPoints = through.filter(replayer);
  const stubs = through.filter((f) => !replayer(f));
  // An import's own stub that forwards to a shared one (for tables, ref.func
  // and exports) is the one caller of a stub left direct.
  const forwarder = (f) => direct(f).length === 1 && code.get(f).every((op) => /^(local\.get|i32\.const|call|end)\b/.test(op));
  const directCalls = [...code.keys()].filter((f) => !replayer(f) && !forwarder(f))
    .flatMap((f) => direct(f).filter((g) => through.includes(g)).map((g) => `${names.get(f) ?? f} -> ${names.get(g) ?? g}`));
  // (two stubs: the five (i32, i32) -> i32 imports share one, shared_wrappers.cpp)
  check(stubs.length === 2 && entryPoints.length >= 4 && directCalls.length === 0,
        `replay: ${stubs.length} import stubs and ${entryPoints.length} entry points called through a table, ` +
        `and no direct call of one outside the replayer (${directCalls.join(', ') || 'none'})`);
}

done();
