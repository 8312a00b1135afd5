// Replay of modules that import memories, globals and tables (funcref ones
// too, their size and elements by null-ness): recorded under
// a plain JS host (no WASI: the trace comes out through the drain exports,
// as an embedder would take it), then made into self-contained replay
// modules with `shadowrr instrument --mode replay --embed --quiet`. The
// imported memory, globals (mutable or not) and table must become the
// module's own,
// and the replay, run with nothing from the recording's host, must end as
// recorded (shadowrr_status() 0: every export call gave the recorded results,
// which depend on what the host put into the memory and the global).
//
//   node embed_imports.mjs SHADOWRR SCRATCH_DIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUM_BYTES_WAT, checker, replayerMessage, sh } from '../lib/harness.mjs';

const [shadowrr, scratch] = process.argv.slice(2);
mkdirSync(scratch, { recursive: true });
const { check, done } = checker();

// Records `wat` (named `name`) with the host `imports` (a function of the
// instance, for imports that call back), runs `drive(exports)`, and returns
// the raw trace's path and what drive returned.
async function record(name, wat, imports, drive) {
  writeFileSync(join(scratch, `${name}.wat`), wat);
  sh('wat2wasm', [join(scratch, `${name}.wat`), '-o', join(scratch, `${name}.wasm`)]);
  sh(shadowrr, ['instrument', '--mode', 'record', join(scratch, `${name}.wasm`), '-o', join(scratch, `${name}.rec.wasm`)]);
  let instance;
  ({ instance } = await WebAssembly.instantiate(readFileSync(join(scratch, `${name}.rec.wasm`)), imports(() => instance)));
  const e = instance.exports;
  const results = drive(e);
  e.shadowrr_finish();
  const trace = join(scratch, `${name}.srr`);
  writeFileSync(trace, new Uint8Array(e.shadowrr_memory.buffer, e.shadowrr_drain_ptr(), e.shadowrr_drain_size()).slice());
  return { trace, results };
}

// The embedded replay of `name`: its imports, and how it ends with `imports`.
function replay(name, trace, imports) {
  const out = join(scratch, `${name}.replay.wasm`);
  sh(shadowrr, ['instrument', '--mode', 'replay', '--trace', trace, '--embed', '--quiet', join(scratch, `${name}.wasm`),
                '-o', out]);
  const module = new WebAssembly.Module(readFileSync(out));
  const e = new WebAssembly.Instance(module, imports).exports;
  let trapped = '';
  try { e._start(); } catch (x) { trapped = String(x); }
  const message = replayerMessage(e);
  return { imports: WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name} (${i.kind})`),
           status: e.shadowrr_status(), message, trapped };
}

// 1. A memory the host made larger than declared (with a data segment past
// the declared size, which needs the larger memory at instantiation) and
// wrote into before instantiation and during an import, a mutable global the
// host sets, an immutable one.
{
  const wat = `(module
    (import "env" "mem" (memory 1))
    (import "env" "g" (global $g (mut i32)))
    (import "env" "k" (global $k i64))
    (import "env" "fill" (func $fill (param i32 i32)))
    (data (i32.const 70004) "\\05\\00\\00\\00")
    ${SUM_BYTES_WAT}
    (func (export "read_prefilled") (result i32) (call $sum (i32.const 100) (i32.const 10)))
    (func (export "size") (result i32) (memory.size))
    (func (export "read_high") (result i32) (i32.add (i32.load (i32.const 70000)) (i32.load (i32.const 70004))))
    (func (export "fill_and_sum") (result i32)
      (call $fill (i32.const 200) (i32.const 50))
      (call $sum (i32.const 200) (i32.const 50)))
    (func (export "globals") (result i64)
      (global.set $g (i32.add (global.get $g) (i32.const 1)))
      (i64.add (i64.extend_i32_u (global.get $g)) (global.get $k))))`;
  const mem = new WebAssembly.Memory({ initial: 2 });
  new Uint8Array(mem.buffer).set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 100);
  new DataView(mem.buffer).setUint32(70000, 123456, true);
  const g = new WebAssembly.Global({ value: 'i32', mutable: true }, 1000);
  const k = () => new WebAssembly.Global({ value: 'i64' }, 77n);
  const { trace, results } = await record('imports_memory_global', wat, () => ({
    env: { mem, g, k: k(), fill(p, n) { new Uint8Array(mem.buffer, p, n).fill(3); } },
  }), (e) => {
    const r = [e.read_prefilled(), e.size(), e.read_high(), e.fill_and_sum(), e.globals()];
    g.value = 5000; // the host changes the global between calls
    r.push(e.globals());
    return r;
  });
  check(results.join() === '55,2,123461,150,1078,5078', `recorded under the JS host: ${results.join()}`);
  const r = replay('imports_memory_global', trace, {});
  check(r.imports.length === 0, `the replay imports nothing, the immutable global included: ${r.imports.join(', ')}`);
  check(r.status === 0 && !r.trapped, `replayed as recorded with nothing of the host (status ${r.status}${r.message ? `: ${r.message}` : ''}${r.trapped ? `, ${r.trapped}` : ''})`);
}

// 2. An imported table (and memory), filled by the guest's element segment.
{
  const wat = `(module
    (import "env" "mem" (memory 1))
    (import "env" "tbl" (table 2 funcref))
    (type $t (func (result i32)))
    (elem (i32.const 0) $eleven $twentytwo)
    (func $eleven (result i32) (i32.const 11))
    (func $twentytwo (result i32) (i32.const 22))
    (func (export "pick") (param i32) (result i32)
      (i32.add (call_indirect (type $t) (local.get 0)) (i32.load (i32.const 8)))))`;
  const mem = new WebAssembly.Memory({ initial: 1 });
  new DataView(mem.buffer).setUint32(8, 1000, true);
  const { trace, results } = await record('imports_table', wat, () => ({
    env: { mem, tbl: new WebAssembly.Table({ initial: 2, element: 'anyfunc' }) },
  }), (e) => [e.pick(0), e.pick(1)]);
  check(results.join() === '1011,1022', `recorded under the JS host: ${results.join()}`);
  const r = replay('imports_table', trace, {});
  check(r.imports.length === 0, `the replay imports nothing: ${r.imports.join(', ')}`);
  check(r.status === 0 && !r.trapped, `replayed as recorded with nothing of the host (status ${r.status}${r.message ? `: ${r.message}` : ''}${r.trapped ? `, ${r.trapped}` : ''})`);
}

// 3. An imported funcref table the host made larger than declared (the
// module's element segment at 2 needs it at instantiation), whose elements
// and size the host changes between calls: each change is recorded (whether
// an element is null, the growth) and the replay's own table follows them.
{
  const wat = `(module
    (import "env" "tbl" (table $t 1 funcref))
    (type $r (func (result i32)))
    (elem (table $t) (i32.const 2) func $seven)
    (func $seven (result i32) (i32.const 7))
    (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
    (func (export "size") (result i32) (table.size $t))
    (func (export "call") (param i32) (result i32) (call_indirect $t (type $r) (local.get 0))))`;
  writeFileSync(join(scratch, 'other.wat'), '(module (func (export "nine") (result i32) (i32.const 9)))');
  sh('wat2wasm', [join(scratch, 'other.wat'), '-o', join(scratch, 'other.wasm')]);
  const nine = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(join(scratch, 'other.wasm')))).exports.nine;
  const tbl = new WebAssembly.Table({ initial: 3, element: 'anyfunc' });
  const { trace, results } = await record('imports_funcref_table', wat, () => ({ env: { tbl } }), (e) => {
    const r = [e.size(), e.is_null(1), e.call(2)];
    tbl.set(1, nine); // another module's function: non-null
    r.push(e.is_null(1));
    tbl.set(2, null); // the guest's own element, gone
    r.push(e.is_null(2));
    tbl.grow(2);
    r.push(e.size());
    return r;
  });
  check(results.join() === '3,1,7,0,1,5', `recorded under the JS host: ${results.join()}`);
  const events = JSON.parse(sh(shadowrr, ['dump', '--json', trace])).events.filter((x) => x.kind.startsWith('host_table'));
  check(events.map((x) => x.kind).join() === 'host_table_grow,host_table_set,host_table_set,host_table_grow',
        `the host's table changes are events: ${events.map((x) => `${x.kind} ${JSON.stringify(x)}`).join('; ')}`);
  const r = replay('imports_funcref_table', trace, {});
  check(r.imports.length === 0, `the replay imports nothing: ${r.imports.join(', ')}`);
  check(r.status === 0 && !r.trapped, `replayed as recorded with nothing of the host (status ${r.status}${r.message ? `: ${r.message}` : ''}${r.trapped ? `, ${r.trapped}` : ''})`);
}

// 4. Immutable imported globals that constant expressions read (a data
// segment's offset, another global's initial value): in the replay they are
// the recorded constants, there too.
{
  const wat = `(module
    (import "env" "at" (global $at i32))
    (import "env" "scale" (global $scale f64))
    (global $copy i32 (global.get $at))
    (memory 1)
    (data (global.get $at) "\\2a")
    (func (export "read") (result i32) (i32.load8_u (global.get $copy)))
    (func (export "scaled") (result f64) (f64.mul (global.get $scale) (f64.const 2))))`;
  const { trace, results } = await record('immutable_in_constants', wat, () => ({
    env: { at: new WebAssembly.Global({ value: 'i32' }, 1000), scale: new WebAssembly.Global({ value: 'f64' }, -0.75) },
  }), (e) => [e.read(), e.scaled()]);
  check(results.join() === '42,-1.5', `recorded under the JS host: ${results.join()}`);
  const r = replay('immutable_in_constants', trace, {});
  check(r.imports.length === 0, `the replay imports nothing: ${r.imports.join(', ')}`);
  check(r.status === 0 && !r.trapped, `replayed as recorded, the data segment at the recorded offset (status ${r.status}${r.message ? `: ${r.message}` : ''}${r.trapped ? `, ${r.trapped}` : ''})`);
}

done();
