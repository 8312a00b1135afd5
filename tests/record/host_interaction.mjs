// Records host_interaction.wat under a plain JS host (no WASI: the trace is
// taken out through the drain exports, as an embedder would), then checks
// the trace event by event with `shadowrr dump --json`, and replays it: the
// replay module (`shadowrr instrument --mode replay --embed --quiet`) traps
// where the recording did, and the host resumes it after each trap.
//
//   node host_interaction.mjs SHADOWRR SCRATCH_DIR
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { replayerMessage } from '../lib/harness.mjs';

const [shadowrr, scratch] = process.argv.slice(2);
const here = dirname(new URL(import.meta.url).pathname);
mkdirSync(scratch, { recursive: true });
const wasm = join(scratch, 'host_interaction.wasm');
const rec = join(scratch, 'host_interaction.rec.wasm');
const trace = join(scratch, 'host_interaction.srr');
const sh = (cmd, args) => {
  const r = spawnSync(cmd, args, { maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.toString();
};
sh('wat2wasm', [join(here, 'host_interaction.wat'), '-o', wasm]);
sh(shadowrr, ['instrument', '--mode', 'record', wasm, '-o', rec]);

// Never zero: a host byte equal to what the shadow holds (zero here) is,
// rightly, not recorded, which would split the record.
const pattern = (i) => ((i * 7) % 255) + 1;
let instance;
const imports = {
  env: {
    fill(ptr, len) {
      if (len === 13) throw new WebAssembly.RuntimeError('the host traps'); // a trap in the host
      new Uint8Array(instance.exports.memory.buffer, ptr, len).forEach((_, i, a) => { a[i] = pattern(i); }); },
    grow(pages) { return instance.exports.memory.grow(pages); },
    callback(x) { return x < 0 ? instance.exports.divide(x, 0) : instance.exports.twice(x + 100); },
    values(a, b, c) { return Number(a) + b + c; },
  },
};
({ instance } = await WebAssembly.instantiate(readFileSync(rec), imports));
const results = [];
results.push(instance.exports.sum(64, 300));       // the host fills 300 bytes
results.push(instance.exports.grow_by_host(2));    // 3 pages
instance.exports.counter.value = 41;               // the host changes a global between calls
results.push(instance.exports.read_counter());     // 41
results.push(instance.exports.reenter(5));         // callback -> twice(105) = 210, +1
results.push(instance.exports.mixed(7n));          // 7 + 1.5 - 0.25
const e = instance.exports;
// Traps: the host catches each one and tells the recorder, as a launcher
// does, then goes on calling the module.
const traps = [];
const trapping = (what, call) => {
  try {
    call();
    traps.push(`${what}: no trap`);
  } catch (x) {
    traps.push(`${what}: ${x instanceof WebAssembly.RuntimeError ? 'trap' : x}`);
    if (e.shadowrr_on_trap() !== 0) traps.push('on_trap failed');
  }
};
trapping('divide(7, 0)', () => e.divide(7, 0));           // in the guest
results.push(e.divide(7, 2));                              // 3
trapping('reenter(-5)', () => e.reenter(-5));              // in divide, called back during an import
results.push(e.reenter(1));                                // twice(101) + 1 = 203
trapping('sum(64, 13)', () => e.sum(64, 13));              // in the host, during fill
e.shadowrr_on_trap();                                      // between calls: nothing to record
results.push(e.read_counter());                            // 43: twice ran twice
// References: the trace holds whether each is null.
const host = { host: 'object' };
let kept = e.keep(host, e.read_counter);
results.push(kept[0], kept[1] === e.read_counter, e.kept() === host); // 0, true, true
kept = e.keep(null, null);
results.push(kept[0], kept[1], e.kept());                  // 3, null, null
e.kept_table.set(0, host);                                 // the host writes the table
e.kept_table.grow(2);                                      // and grows it
results.push(e.kept() === host, e.kept_size());            // true, 3
e.shadowrr_finish();                                       // the end of the run (END)
const bytes = new Uint8Array(e.shadowrr_memory.buffer, e.shadowrr_drain_ptr(), e.shadowrr_drain_size()).slice();
writeFileSync(trace, bytes);

const dump = JSON.parse(sh(shadowrr, ['dump', '--json', trace]));
const events = dump.events.map((ev) => {
  const vals = (ev.values || (ev.value ? [ev.value] : [])).map((v) => v.value);
  switch (ev.kind) {
    case 'export_call': case 'export_return': return `${ev.kind} ${ev.name}(${vals.join(',')})`;
    case 'import_call': case 'import_return': return `${ev.kind} ${ev.name}(${vals.join(',')})`;
    case 'memory_write': return `memory_write @${ev.address} len ${ev.length}`;
    case 'host_memory_grow': return `host_memory_grow ${ev.memory} ${ev.new_pages ?? ev.pages}`;
    case 'global_change': return `global_change ${ev.global}(${vals.join(',')})`;
    default: return ev.kind;
  }
});
const expected = [
  'export_call sum(64,300)', 'import_call fill(64,300)', 'import_return fill()', 'memory_write @64 len 300',
  'export_return sum(' + results[0] + ')',
  'export_call grow_by_host(2)', 'import_call grow(2)', 'import_return grow(1)', 'host_memory_grow 0 3',
  'export_return grow_by_host(3)',
  'export_call read_counter()', 'global_change 0(41)', 'export_return read_counter(41)',
  'export_call reenter(5)', 'import_call callback(5)', 'export_call twice(105)', 'export_return twice(210)',
  'import_return callback(210)', 'export_return reenter(211)',
  'export_call mixed(7)', 'import_call values(7,1.5,-0.25)', 'import_return values(8.25)', 'export_return mixed(8.25)',
  'export_call divide(7,0)', 'trap', 'export_call divide(7,2)', 'export_return divide(3)',
  'export_call reenter(-5)', 'import_call callback(-5)', 'export_call divide(-5,0)', 'trap',
  'export_call reenter(1)', 'import_call callback(1)', 'export_call twice(101)', 'export_return twice(202)',
  'import_return callback(202)', 'export_return reenter(203)',
  'export_call sum(64,13)', 'import_call fill(64,13)', 'trap',
  'export_call read_counter()', 'export_return read_counter(43)',
  'export_call keep(non-null,non-null)', 'export_return keep(0,non-null)', 'export_call kept()', 'export_return kept(non-null)',
  'export_call keep(null,null)', 'export_return keep(3,null)', 'export_call kept()', 'export_return kept(null)',
  'export_call kept()', 'host_table_grow', 'host_table_set', 'export_return kept(non-null)',
  'export_call kept_size()', 'export_return kept_size(3)',
  'end',
];
let passed = 0, failed = 0;
const check = (ok, what) => { if (ok) passed++; else { failed++; console.log(`FAIL ${what}`); } };
check(results.join(',') === `${(() => { let s = 0; for (let i = 0; i < 300; i++) s += pattern(i); return s; })()},3,41,211,8.25,3,203,43,0,true,true,3,,,true,3`,
      `results ${results}`);
check(traps.join('; ') === 'divide(7, 0): trap; reenter(-5): trap; sum(64, 13): trap', `traps: ${traps.join('; ')}`);
for (let i = 0; i < Math.max(expected.length, events.length); i++) {
  check(events[i] === expected[i], `event ${i}: got ${events[i]}, expected ${expected[i]}`);
}
const written = dump.events.find((ev) => ev.kind === 'memory_write');
check(written && Buffer.from(written.bytes, 'hex').every((b, i) => b === pattern(i)), 'the host-written bytes are in the trace');

// The replay: the guest's code alone, every import answered from the trace.
// It traps where the recording trapped; after each trap the host checks that
// the trace has that trap (shadowrr_status() == 0) and resumes.
const replayWasm = join(scratch, 'host_interaction.replay.wasm');
sh(shadowrr, ['instrument', '--mode', 'replay', '--trace', trace, '--embed', '--quiet', wasm, '-o', replayWasm]);
const replayModule = new WebAssembly.Module(readFileSync(replayWasm));
check(WebAssembly.Module.imports(replayModule).length === 0, 'the replay module imports nothing');
const r = new WebAssembly.Instance(replayModule, {}).exports;
const replayMessage = () => replayerMessage(r);
const replayTraps = [];
for (let run = r._start; ;) {
  try {
    const resumed = run();
    check(run === r._start || resumed === 1, `shadowrr_resume returned ${resumed}`);
    break;
  } catch (x) {
    if (!(x instanceof WebAssembly.RuntimeError)) throw x;
  }
  const status = r.shadowrr_status();
  replayTraps.push(status === 0 ? replayMessage() : `status ${status}: ${replayMessage()}`);
  if (status !== 0 || replayTraps.length > 3) break;
  run = r.shadowrr_resume;
}
const traceEvent = (kind, nth) => dump.events.map((ev, i) => [ev.kind, i]).filter(([k]) => k === kind)[nth][1];
const wantTraps = [
  `shadowrr replay: the replay trapped where the recording did, at event ${traceEvent('trap', 0)}, in export divide`,
  `shadowrr replay: the replay trapped where the recording did, at event ${traceEvent('trap', 1)}, in export divide`,
  `shadowrr replay: the recording trapped at event ${traceEvent('trap', 2)}, in the host during env.fill: the replay traps there too`,
];
check(replayTraps.join('\n') === wantTraps.join('\n'), `replay traps:\n${replayTraps.join('\n')}\nexpected\n${wantTraps.join('\n')}`);
check(r.shadowrr_status() === 0 && r.shadowrr_exit_code() === 0, `the replay ended as recorded: status ${r.shadowrr_status()}, exit code ${r.shadowrr_exit_code()}: ${replayMessage()}`);
check(r.memory && new Uint8Array(r.memory.buffer, 64, 300).every((b, i) => b === pattern(i)), 'the host\'s bytes are back in the replay\'s memory');

// A module that imports nothing still imports nothing once instrumented (the
// recorder's WASI calls become stubs), and its trace comes out of the drain.
const plainWat = join(scratch, 'import_free.wat');
writeFileSync(plainWat, '(module (memory 1) (func (export "_start") (i32.store (i32.const 8) (i32.load (i32.const 4)))))');
sh('wat2wasm', [plainWat, '-o', join(scratch, 'import_free.wasm')]);
sh(shadowrr, ['instrument', join(scratch, 'import_free.wasm'), '-o', join(scratch, 'import_free.rec.wasm')]);
const freeModule = new WebAssembly.Module(readFileSync(join(scratch, 'import_free.rec.wasm')));
check(WebAssembly.Module.imports(freeModule).length === 0, `import-free module gained imports: ${JSON.stringify(WebAssembly.Module.imports(freeModule))}`);
const free = new WebAssembly.Instance(freeModule, {}).exports;
free._start();
writeFileSync(join(scratch, 'import_free.srr'),
              new Uint8Array(free.shadowrr_memory.buffer, free.shadowrr_drain_ptr(), free.shadowrr_drain_size()).slice());
const freeDump = JSON.parse(sh(shadowrr, ['dump', '--json', join(scratch, 'import_free.srr')]));
check(freeDump.events.map((ev) => ev.kind).join(',') === 'export_call,export_return,end',
      `import-free trace: ${freeDump.events.map((ev) => ev.kind)}`);

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
