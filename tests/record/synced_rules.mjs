// The rules that let the recorder skip checks (transform/passes/
// synced_versions.cpp, loop_invariant_checks.cpp) never lose a host write. A
// module whose host-free code reads bytes the host wrote (during an import,
// between export calls, through memory.copy, in loops whose checks are
// hoisted, after a long loop) is recorded twice: with a small memory, where
// each host event syncs at once, and with a memory larger than the eager
// allowance, where the memory stays unsynced until the budget is spent.
// For each call: the result equals the original module's, and the trace holds
// the bytes the guest read, with their values. A byte the host wrote and the
// guest never reads (the canary) shows which path ran: a sync records it, a
// checked load does not.
//
//   node synced_rules.mjs SHADOWRR SCRATCH_DIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checker, drainedEvents, eventsPerExportCall, sh, writtenBytes } from '../lib/harness.mjs';

const [shadowrr, scratch] = process.argv.slice(2);
const here = dirname(new URL(import.meta.url).pathname);
mkdirSync(scratch, { recursive: true });
const { check, done } = checker();

const CANARY = 60000;
// Never zero (the shadow holds zeros; an equal byte is rightly not recorded),
// and different per round so that no round sees the previous one's bytes.
const pattern = (round, i) => ((i * 7 + round * 13) % 251) + 1;

// Runs the calls against an instance; returns [results, bytes the host wrote
// per call (address -> value), the canary's value per call].
function drive(instance) {
  const mem = () => new Uint8Array(instance.exports.memory.buffer);
  let round = 0;
  const write = (ptr, len) => {
    round++;
    const m = mem();
    for (let i = 0; i < len; i++) m[ptr + i] = pattern(round, i);
    m[CANARY] = pattern(round, 999);
  };
  instance.hostFill = write;
  const e = instance.exports;
  const results = [];
  results.push(e.fill_then_sum(64, 300));               // during an import
  write(1024, 200); results.push(e.sum(1024, 200));     // between calls, host-free function
  write(4096, 500); results.push(e.copy_then_sum(8192, 4096, 500));
  write(5120, 16); results.push(e.fixed_sum(5120, 1000));   // loop-invariant loads
  write(6144, 100); results.push(e.rows_sum(6144, 25, 10));
  write(2048, 100); results.push(e.spin_then_sum(2048, 100, 3_000_000));
  write(3072, 50); results.push(e.sum(3072, 50));       // after a spent budget
  return results;
}

function instantiate(file) {
  let instance;
  const imports = { env: { fill(ptr, len) { instance.hostFill(ptr, len); } } };
  instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), imports);
  return instance;
}

// The ranges each call read, in call order: [address, length].
const reads = [[64, 300], [1024, 200], [4096, 500], [5120, 16], [6144, 100], [2048, 100], [3072, 50]];
// The call that spends the budget (spin_then_sum).
const SPENDS = 5;

// 64 pages: more than the eager allowance (SyncPolicy::kEagerPages, 16), and
// a first budget (64 * kBudgetPerPage * kFirstSyncFactor, about 1M) that
// spin_then_sum's 3M iterations spend.
for (const [pages, eager] of [[1, true], [64, false]]) {
  const base = join(scratch, `synced_${pages}`);
  writeFileSync(`${base}.wat`, readFileSync(join(here, 'synced_rules.wat'), 'utf8').replace('memory") PAGES', `memory") ${pages}`));
  sh('wat2wasm', [`${base}.wat`, '-o', `${base}.wasm`]);
  sh(shadowrr, ['instrument', '--mode', 'record', `${base}.wasm`, '-o', `${base}.rec.wasm`]);
  const expected = drive(instantiate(`${base}.wasm`));
  const rec = instantiate(`${base}.rec.wasm`);
  const got = drive(rec);
  check(got.join() === expected.join(), `${pages} pages: results ${got} != original ${expected}`);
  const calls = eventsPerExportCall(drainedEvents(shadowrr, rec, `${base}.srr`));
  check(calls.length === reads.length, `${pages} pages: ${calls.length} export calls in the trace, expected ${reads.length}`);
  calls.forEach((evs, k) => {
    const round = k + 1;
    const recorded = writtenBytes(evs);
    const [ptr, len] = reads[k];
    let missing = 0;
    for (let i = 0; i < len; i++) if (recorded.get(ptr + i) !== pattern(round, i)) missing++;
    check(missing === 0, `${pages} pages, call ${k}: ${missing} of the ${len} bytes read are not in the trace`);
    // The canary: synced at once (eager), or only once the budget was spent
    // (call SPENDS) and by every host event after it.
    const synced = eager || k >= SPENDS;
    check(recorded.has(CANARY) === synced,
          `${pages} pages, call ${k}: the unread byte was ${recorded.has(CANARY) ? '' : 'not '}recorded, expected ${synced ? '' : 'not '}(${eager ? 'eager' : 'lazy'} path)`);
  });
}

done();
