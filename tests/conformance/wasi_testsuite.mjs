// wasi-testsuite (../shared/corpora/wasi-testsuite/{c,rust}) through record
// and replay, on node 24, bun and Wasmtime (wizer). For every test X.wasm
// (spec X.json: args, env, root, exit_code, stdout, stderr; all optional):
//
//  1. plain: the original module on engine E, with the spec's args and env,
//     and a fresh writable copy of `root` preopened as the guest's "/"
//     (`--dir COPY::/`, as the suite's own adapters do); exit code, and
//     stdout/stderr where the spec gives them, must be the spec's;
//  2. record: `shadowrr record --runtime E` the same way, on another fresh
//     copy: the exit code must be the plain run's (and the spec's), stdout /
//     stderr the spec's where it gives them;
//  3. replay: `shadowrr replay --runtime E2 --module X.wasm T.srr` for E2 in
//     every engine (cross-engine included), in an empty scratch directory:
//     exit code, stdout and stderr byte for byte those of the recording (but
//     for the launchers' own `wasi-run: trap:` / `wasmtime-run: trap:` lines).
//
// Skips: a test whose plain run fails on E (E's own WASI gap: node:wasi and
// bun's WASI miss a good part of preview1) is neither recorded on E nor are
// there replays of an E recording (the replays of the other engines'
// recordings still run on E: they do not use E's WASI). A test whose plain
// run fails on every engine fails (the harness or the corpus is wrong).
// Wizer passes no arguments: a test whose spec has args is skipped on
// wasmtime. knownFailures (below) lists shadowrr limitations that are not
// fixed here: counted as skipped, and a failure once they pass. Where the
// spec gives no stdout/stderr, a recorded run whose output differs from the
// plain run's is only noted.
//
// Prints a table test x engine x {plain, record, replay} (replay: the
// replays of that engine's recording on every engine), the skips with their
// reason, and the closing line `N passed, N failed, N skipped` (each plain,
// record and replay run counts once). Exit: 0 all passed, 1 a failure, 77 the
// corpora are absent.
//
//   node wasi_testsuite.mjs SHADOWRR HOSTS_DIR SCRATCH [--engines node,bun,wasmtime]
//        [--record E,...] [--only NAME,...] [--verbose]
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { requireCorpora, SKIP } from '../corpora/corpus.mjs';

const [shadowrrArg, hostsArg, scratchArg, ...rest] = process.argv.slice(2);
if (!shadowrrArg || !hostsArg || !scratchArg) {
  console.log('usage: wasi_testsuite.mjs SHADOWRR HOSTS_DIR SCRATCH [--engines E,...] [--record E,...] [--only NAME,...] [--verbose]');
  process.exit(2);
}
// Every run has its own working directory: absolute paths.
const [shadowrr, hosts, scratch] = [shadowrrArg, hostsArg, scratchArg].map((p) => resolve(p));
let engines = ['node', 'bun', 'wasmtime'];
let recordOn = null;
let only = null;
let verbose = false;
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === '--engines') engines = rest[++i].split(',');
  else if (rest[i] === '--record') recordOn = rest[++i].split(',');
  else if (rest[i] === '--only') only = new Set(rest[++i].split(','));
  else if (rest[i] === '--verbose') verbose = true;
}
recordOn = recordOn || engines;

const corpora = requireCorpora('wasi-testsuite through record and replay');
const suiteRoot = join(corpora, 'wasi-testsuite');
if (!existsSync(suiteRoot)) {
  console.log(`SKIP: ${suiteRoot} is absent`);
  process.exit(SKIP);
}

// The plain engine command, from engines.sh (the launchers record uses).
function engineArgv(engine) {
  const name = engine === 'node' ? 'node24' : engine;
  const r = spawnSync('bash', ['-c', `source "${hosts}/engines.sh" && engine_available ${name} && engine_argv ${name} && printf '%s\\0' "\${ENGINE_ARGV[@]}"`]);
  if (r.status !== 0) return null;
  return r.stdout.toString().split('\0').filter((s) => s.length);
}
const argvOf = {};
for (const e of engines) {
  argvOf[e] = engineArgv(e);
  if (!argvOf[e]) console.log(`SKIP engine ${e}: not installed`);
}
const live = engines.filter((e) => argvOf[e]);
if (!live.length) {
  console.log('SKIP: no engine installed (run scripts/bootstrap.sh)');
  process.exit(SKIP);
}

// ---- the tests ----------------------------------------------------------------
const tests = [];
for (const suite of ['c', 'rust']) {
  const dir = join(suiteRoot, suite);
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.wasm')) continue;
    const name = f.slice(0, -5);
    if (only && !only.has(name) && !only.has(`${suite}/${name}`)) continue;
    const specPath = join(dir, `${name}.json`);
    const spec = existsSync(specPath) ? JSON.parse(readFileSync(specPath, 'utf8')) : {};
    tests.push({
      id: `${suite}/${name}`, dir, wasm: join(dir, f),
      args: spec.args || [], env: spec.env || {}, root: spec.root ? join(dir, spec.root) : null,
      exitCode: spec.exit_code ?? 0,
      stdout: spec.stdout !== undefined ? Buffer.from(spec.stdout) : null,
      stderr: spec.stderr !== undefined ? Buffer.from(spec.stderr) : null,
    });
  }
}

rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });

// Known failures of shadowrr itself that are not fixed in the recorder,
// replayer or launchers (test -> engine -> why). Their record step counts
// as skipped and is listed; one that passes fails the test, so that the
// entry is removed.
const knownFailures = {
  // (none: the last one, c/sock_shutdown-invalid_fd on wasmtime, failed
  // because the trace's own preopen was fd 3 to the guest; the recorder now
  // hides it: recorder_abi.h, srr_rec_hidden_fd)
};

// Folders of the upstream tree that the snapshot lost: upstream keeps
// c/fs-tests.dir/writeable/ (empty but for a .gitignore), where
// pwrite-with-access creates its file; the corpus copy has no empty folders.
const missingDirs = { 'c': ['writeable'] };

// A fresh, writable copy of the test's root (the corpus is read-only).
function freshRoot(test, where) {
  if (!test.root) return null;
  const copy = join(where, 'root');
  cpSync(test.root, copy, { recursive: true });
  const writable = (p) => {
    const st = statSync(p);
    chmodSync(p, st.mode | 0o200);
    if (st.isDirectory()) for (const f of readdirSync(p)) writable(join(p, f));
  };
  writable(copy);
  for (const d of missingDirs[test.id.split('/')[0]] || []) mkdirSync(join(copy, d), { recursive: true });
  return copy;
}

function guestOptions(test, root) {
  const o = [];
  if (root) o.push('--dir', `${root}::/`);
  for (const [k, v] of Object.entries(test.env)) o.push('--env', `${k}=${v}`);
  return o;
}

function run(argv, cwd) {
  const r = spawnSync(argv[0], argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20,
                                                timeout: 120_000, killSignal: 'SIGKILL' });
  if (r.error && r.error.code !== 'ETIMEDOUT') throw new Error(`${argv[0]}: ${r.error.message}`);
  return { status: r.status ?? (r.signal ? `signal ${r.signal}` : 'none'), stdout: r.stdout || Buffer.alloc(0),
           stderr: r.stderr || Buffer.alloc(0) };
}

// The launchers' own trap line is not the guest's output.
const guestStderr = (b) => b.toString('latin1').split('\n')
  .filter((l) => !/^(wasi-run|wasmtime-run): trap:/.test(l)).join('\n');
const lastLine = (b) => b.toString().trim().split('\n').pop() || '';
// What a failing guest said: a Rust panic's message, a C assertion, else the
// last line of stderr.
function guestWhy(b) {
  const lines = b.toString().split('\n');
  const panic = lines.findIndex((l) => /panicked at/.test(l));
  if (panic >= 0 && lines[panic + 1]) return `${lines[panic].replace(/^.*panicked at /, 'panic at ')} ${lines[panic + 1].trim()}`;
  const assertion = lines.find((l) => /^Assertion failed/.test(l));
  return assertion || lastLine(b);
}
const show = (b) => JSON.stringify(b.toString().slice(0, 160));

// Checks a run against the spec; returns the problems.
function againstSpec(test, r) {
  const p = [];
  if (r.status !== test.exitCode) p.push(`exit ${r.status}, spec ${test.exitCode}: ${guestWhy(r.stderr)}`);
  if (test.stdout && !r.stdout.equals(test.stdout)) p.push(`stdout ${show(r.stdout)}, spec ${show(test.stdout)}`);
  if (test.stderr && !r.stderr.equals(test.stderr)) p.push(`stderr ${show(r.stderr)}, spec ${show(test.stderr)}`);
  return p;
}

let passed = 0, failed = 0, skipped = 0;
const failures = [];
const skips = [];
const xfails = [];
const notes = [];
// cells[test.id][engine] = { plain, record, replay: {E2: outcome} }
const cells = {};
function outcome(test, what, problems) {
  if (problems.length) {
    failed++;
    failures.push(`${test.id} ${what}: ${problems.join('; ')}`);
    if (verbose) console.log(`FAIL ${test.id} ${what}: ${problems.join('; ')}`);
    return 'FAIL';
  }
  passed++;
  if (verbose) console.log(`ok   ${test.id} ${what}`);
  return 'ok';
}
function skip(test, what, why, count = 1) {
  skipped += count;
  skips.push(`${test.id} ${what}: ${why}`);
  return 'skip';
}

const started = Date.now();
for (const test of tests) {
  const row = cells[test.id] = {};
  const base = join(scratch, test.id.replace('/', '-'));
  for (const e of engines) row[e] = { plain: 'skip', record: 'skip', replay: {} };
  // 1. plain, on every engine first: where it fails, the engine's WASI is
  // what fails (node:wasi's gaps), and that engine is skipped. A test that
  // fails on every engine fails (the harness or the corpus is wrong).
  const plains = {};
  for (const e of live) {
    if (e === 'wasmtime' && test.args.length) continue;
    const pdir = join(base, `plain-${e}`);
    mkdirSync(pdir, { recursive: true });
    const plainRoot = freshRoot(test, pdir);
    const r = run([...argvOf[e], ...guestOptions(test, plainRoot), test.wasm, ...test.args], pdir);
    plains[e] = { ...r, problems: againstSpec(test, r) };
  }
  const plainOk = Object.values(plains).some((r) => !r.problems.length);
  for (const e of engines) {
    const cell = row[e];
    const runs = 1 + (recordOn.includes(e) ? 1 + live.length : 0); // plain, record, replays
    if (!argvOf[e]) {
      cell.plain = skip(test, `on ${e}`, 'engine not installed', runs);
      continue;
    }
    if (!plains[e]) {
      cell.plain = skip(test, `on ${e}`, 'the spec passes args, wizer passes none', runs);
      continue;
    }
    const plain = plains[e];
    if (plain.problems.length && plainOk) {
      cell.plain = skip(test, `on ${e}`, `the plain module fails there: ${plain.problems.join('; ')}`, runs);
      continue;
    }
    cell.plain = outcome(test, `plain on ${e}`, plain.problems);
    if (!recordOn.includes(e)) continue;
    if (plain.problems.length) {
      cell.record = skip(test, `record on ${e}`, 'the plain module fails on every engine', 1 + live.length);
      continue;
    }
    // 2. record
    const rdir = join(base, `record-${e}`);
    mkdirSync(rdir, { recursive: true });
    const recRoot = freshRoot(test, rdir);
    const trace = join(rdir, 'trace.srr');
    const rec = run([shadowrr, 'record', '--runtime', e, ...guestOptions(test, recRoot), '-o', trace, test.wasm,
                     '--', ...(e === 'wasmtime' ? [] : test.args)], rdir);
    const recProblems = [];
    if (rec.status !== plain.status) recProblems.push(`exit ${rec.status}, plain ${plain.status}: ${lastLine(rec.stderr)}`);
    if (test.stdout && !rec.stdout.equals(test.stdout)) recProblems.push(`stdout ${show(rec.stdout)}, spec ${show(test.stdout)}`);
    if (test.stderr && !rec.stderr.equals(test.stderr)) recProblems.push(`stderr ${show(rec.stderr)}, spec ${show(test.stderr)}`);
    if (!existsSync(trace)) recProblems.push(`no trace: ${lastLine(rec.stderr)}`);
    // Where the spec says nothing about the output, a difference from the
    // plain run is only noted (clocks, random bytes and fd numbers may differ).
    if (!recProblems.length && (!rec.stdout.equals(plain.stdout) || guestStderr(rec.stderr) !== guestStderr(plain.stderr))) {
      notes.push(`${test.id} on ${e}: the recorded run's output differs from the plain run's ` +
                 `(stdout ${show(rec.stdout)} / ${show(plain.stdout)}, stderr ${show(rec.stderr)} / ${show(plain.stderr)})`);
    }
    const known = (knownFailures[test.id] || {})[e];
    if (known && recProblems.length) {
      skipped += 1 + live.length;
      xfails.push(`${test.id} record on ${e}: ${known} (${recProblems[0]})`);
      cell.record = 'xfail';
      continue;
    }
    if (known) recProblems.push(`listed as a known failure (${known}) but passes: remove it from knownFailures`);
    cell.record = outcome(test, `record on ${e}`, recProblems);
    if (!existsSync(trace)) {
      for (const e2 of live) cell.replay[e2] = skip(test, `replay of the ${e} recording on ${e2}`, 'no trace');
      continue;
    }
    // 3. replay everywhere
    for (const e2 of live) {
      const ydir = join(base, `replay-${e}-on-${e2}`);
      mkdirSync(ydir, { recursive: true });
      const rep = run([shadowrr, 'replay', '--runtime', e2, '--module', test.wasm, trace], ydir);
      const p = [];
      if (rep.status !== rec.status) p.push(`exit ${rep.status}, recorded ${rec.status}: ${lastLine(rep.stderr)}`);
      if (!rep.stdout.equals(rec.stdout)) p.push(`stdout ${show(rep.stdout)}, recorded ${show(rec.stdout)}`);
      if (guestStderr(rep.stderr) !== guestStderr(rec.stderr)) {
        p.push(`stderr ${show(rep.stderr)}, recorded ${show(rec.stderr)}`);
      }
      cell.replay[e2] = outcome(test, `replay of the ${e} recording on ${e2}`, p);
    }
  }
}

// ---- the table ------------------------------------------------------------------
const replayCell = (c) => {
  const v = Object.entries(c.replay);
  if (!v.length) return 'skip';
  const bad = v.filter(([, o]) => o === 'FAIL').map(([k]) => k);
  if (bad.length) return `FAIL(${bad.join(',')})`;
  return v.every(([, o]) => o === 'ok') ? 'ok' : v.some(([, o]) => o === 'ok') ? 'ok*' : 'skip';
};
const idWidth = Math.max(4, ...tests.map((t) => t.id.length));
const col = (s, w) => s.padEnd(w);
const cellWidth = 30;
console.log('');
console.log(`${col('test', idWidth)}  ${engines.map((e) => col(`${e}: plain record replay`, cellWidth)).join('  ')}`);
for (const test of tests) {
  const row = cells[test.id];
  console.log(`${col(test.id, idWidth)}  ${engines.map((e) => col(
    `${e.padEnd(engines.reduce((m, x) => Math.max(m, x.length), 0))} ${col(row[e].plain, 5)} ${col(row[e].record, 6)} ${replayCell(row[e])}`,
    cellWidth)).join('  ')}`);
}
console.log('(replay: the replays of that engine\'s recording on ' + live.join(', ') + '; ok* = some skipped; ' +
            'xfail = a known failure, listed below)');
// Totals per engine and kind.
console.log('');
for (const e of engines) {
  const n = (k, v) => tests.filter((t) => cells[t.id][e][k] === v).length;
  const rv = tests.flatMap((t) => Object.values(cells[t.id][e].replay));
  console.log(`${e}: plain ${n('plain', 'ok')} ok ${n('plain', 'FAIL')} FAIL ${n('plain', 'skip')} skip; ` +
              `record ${n('record', 'ok')} ok ${n('record', 'FAIL')} FAIL ${n('record', 'skip')} skip` +
              `${n('record', 'xfail') ? ` ${n('record', 'xfail')} xfail` : ''}; ` +
              `replays of its recordings ${rv.filter((o) => o === 'ok').length} ok ` +
              `${rv.filter((o) => o === 'FAIL').length} FAIL`);
}
if (skips.length) {
  console.log('\nskipped:');
  for (const s of skips) console.log(`  ${s}`);
}
if (notes.length) {
  console.log('\nnotes (not failures):');
  for (const n of notes) console.log(`  ${n}`);
}
if (xfails.length) {
  console.log('\nknown failures (counted as skipped):');
  for (const s of xfails) console.log(`  ${s}`);
}
if (failures.length) {
  console.log('\nfailures:');
  for (const f of failures) console.log(`  ${f}`);
}
console.log(`\n${tests.length} tests in ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : passed ? 0 : SKIP);
