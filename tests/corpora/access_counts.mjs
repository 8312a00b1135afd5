// The count-accesses pass against an independent count: wabt's wasm-objdump
// disassembles every valid module of spec-2022 and sightglass, its mnemonics
// are classified here by name, and the per-kind totals must equal what
// `shadowrr inspect --json` reports. A kind of memory access that binaryen's
// walker would not show us would show up here as a difference.
//
//   node access_counts.mjs SHADOWRR_BINARY
import { run, pool, finish, requireCorpora, specModules, sightglassModules } from './corpus.mjs';

const shadowrr = process.argv[2];
const corpora = requireCorpora('access counts');

// Mnemonic -> kind, by wasm-objdump's (the spec's) instruction names.
function kindOf(op) {
  if (/^(i32|i64|f32|f64|v128)\.load(8|16|32)?(_[su])?$/.test(op)) return 'load';
  if (/^(i32|i64|f32|f64|v128)\.store(8|16|32)?$/.test(op)) return 'store';
  if (/^v128\.load(8x8|16x4|32x2)_[su]$/.test(op) || /^v128\.load(8|16|32|64)_splat$/.test(op) ||
      /^v128\.load(32|64)_zero$/.test(op)) return 'simd_load';
  if (/^v128\.load(8|16|32|64)_lane$/.test(op)) return 'simd_lane_load';
  if (/^v128\.store(8|16|32|64)_lane$/.test(op)) return 'simd_lane_store';
  if (/^i(32|64)\.atomic\.load/.test(op)) return 'atomic_load';
  if (/^i(32|64)\.atomic\.store/.test(op)) return 'atomic_store';
  if (/^i(32|64)\.atomic\.rmw.*cmpxchg$/.test(op)) return 'atomic_cmpxchg';
  if (/^i(32|64)\.atomic\.rmw/.test(op)) return 'atomic_rmw';
  if (/^memory\.atomic\.wait(32|64)$/.test(op)) return 'atomic_wait';
  if (op === 'memory.atomic.notify') return 'atomic_notify';
  const bulk = { 'memory.init': 'memory_init', 'memory.copy': 'memory_copy', 'memory.fill': 'memory_fill',
                 'memory.size': 'memory_size', 'memory.grow': 'memory_grow', 'data.drop': 'data_drop' };
  return bulk[op] || null;
}

function countOps(ops) {
  const counts = {};
  for (const op of ops) {
    const kind = kindOf(op);
    if (kind) counts[kind] = (counts[kind] || 0) + 1;
  }
  return counts;
}

// wasm-objdump -d: " 00012a: 28 02 00 | i32.load 2 0".
function objdumpOps(text) {
  return text.split('\n').filter((l) => /^ [0-9a-f]{6}:/.test(l) && l.includes(' | '))
    .map((l) => l.slice(l.indexOf(' | ') + 3).trim().split(/\s+/)[0]);
}

// wasm2wat's flat text has one instruction a line inside functions; used
// where wasm-objdump 1.0.32 gives up (it rejects some over-long LEB opcodes
// that the spec allows).
function watOps(text) {
  const ops = [];
  let inFunc = false;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t.startsWith('(func')) { inFunc = true; continue; }
    if (/^\((type|table|memory|global|export|elem|data|import|start)\b/.test(t)) inFunc = false;
    if (inFunc && /^[a-z]/.test(t)) ops.push(t.split(/\s+/)[0].replace(/\)+$/, ''));
  }
  return ops;
}

async function independentCounts(path) {
  const dump = await run('wasm-objdump', ['-d', path]);
  if (dump.status === 0) return { counts: countOps(objdumpOps(dump.stdout.toString())) };
  const wat = await run('wasm2wat', ['--enable-all', '--no-check', path]);
  if (wat.status === 0) return { counts: countOps(watOps(wat.stdout.toString())), via: 'wasm2wat' };
  return { error: `wasm-objdump: ${dump.stderr}; wasm2wat: ${wat.stderr}` };
}

const modules = [
  ...specModules(corpora).filter((m) => m.role === 'valid').map((m) => m.path),
  ...sightglassModules(corpora).map((m) => m.path),
];
let passed = 0, failed = 0;
const totals = {};
await pool(modules, 2, async (path) => {
  const [ours, theirs] = await Promise.all([run(shadowrr, ['inspect', '--json', path]), independentCounts(path)]);
  if (ours.status !== 0 || theirs.error) {
    failed++;
    console.log(`FAIL ${path}: ${ours.status !== 0 ? 'shadowrr: ' + ours.stderr : theirs.error}`.trim());
    return;
  }
  if (theirs.via) console.log(`note: ${path}: counted with ${theirs.via} (wasm-objdump cannot read it)`);
  const mine = JSON.parse(ours.stdout).accesses;
  const expected = theirs.counts;
  const diffs = [];
  for (const kind of new Set([...Object.keys(mine), ...Object.keys(expected)])) {
    const a = mine[kind] || 0, b = expected[kind] || 0;
    if (a !== b) diffs.push(`${kind}: shadowrr ${a}, wasm-objdump ${b}`);
    totals[kind] = (totals[kind] || 0) + a;
  }
  if (diffs.length) {
    failed++;
    console.log(`FAIL ${path}: ${diffs.join('; ')}`);
  } else {
    passed++;
  }
});
console.log('accesses counted, by kind:', JSON.stringify(totals));
finish(passed, failed);
