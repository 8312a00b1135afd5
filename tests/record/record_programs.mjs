// `shadowrr record` on every test program (tests/programs) under every
// engine, checking the run and the trace it leaves:
//  - the program behaves as it does without recording (exit code; stdout
//    byte for byte for the deterministic programs; wasmtime passes no args);
//  - the trace is complete (ends with END, or TRAP after a trap), and says what the program saw: the clock
//    values clock printed are the bytes the host wrote after clock_time_get;
//    the random bytes random printed are the bytes written after random_get;
//    args_env's args and env strings are in the host's writes; the file
//    contents files read are in them; big_read's 1 MiB read is in them;
//    exit_code's proc_exit(3) is the last call.
//  - wasmtime cannot drain a trace after a trap: with --durable, everything
//    up to the trap is there, and `shadowrr record` appends the TRAP.
//
//   node record_programs.mjs SHADOWRR PROGRAMS_DIR HOSTS_DIR SCRATCH [ENGINE...]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [shadowrr, programs, hosts, scratch, ...only] = process.argv.slice(2);
// (node20: `shadowrr record --runtime node20` lowers the recording module to
// one memory.)
const engines = only.length ? only : ['node', 'node20', 'bun', 'deno', 'wasmtime'];
const names = ['args_env', 'big_read', 'clock', 'exit_code', 'files', 'grow', 'print_lots', 'random',
               'stdin_echo', 'trap'];
const deterministic = new Set(['args_env', 'big_read', 'exit_code', 'files', 'grow', 'print_lots', 'stdin_echo', 'trap']);
const expectedStatus = { exit_code: 3, trap: 134 };
rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });
const stdinFile = join(scratch, 'stdin.txt');
writeFileSync(stdinFile, 'first line from stdin\nsecond\n');

// The plain engine command, from engines.sh (the same launchers record uses).
function engineArgv(engine) {
  const name = engine === 'node' ? 'node24' : engine;
  const out = execFileSync('bash', ['-c', `source "${hosts}/engines.sh" && engine_available ${name} && engine_argv ${name} && printf '%s\\0' "\${ENGINE_ARGV[@]}"`]);
  return out.toString().split('\0').filter((s) => s.length);
}

function runIn(dir, argv) {
  const r = spawnSync(argv[0], argv.slice(1), { cwd: dir, stdio: [readFileSync(stdinFile) ? 'pipe' : 'ignore', 'pipe', 'pipe'],
                                                input: readFileSync(stdinFile), maxBuffer: 64 << 20, timeout: 300_000 });
  return { status: r.status ?? 128, stdout: r.stdout, stderr: r.stderr.toString() };
}

function dump(trace) {
  const r = spawnSync(shadowrr, ['dump', '--json', trace], { maxBuffer: 256 << 20 });
  if (r.status !== 0 && r.status !== 3) throw new Error(`dump: ${r.stderr}`);
  return JSON.parse(r.stdout.toString());
}

// The host's writes that follow each call of import `name`: [{args,
// writes}]. A write is found when the guest first reads the bytes, which can
// be after later calls (the guest may read the first of two results after
// making the second call), so a call collects every write until another call
// that is handed the same pointer (argument `ptrArg`) may have written there.
function writesAfter(events, name, ptrArg) {
  const out = [];
  let open = [];
  for (const e of events) {
    if (e.kind === 'import_call') {
      // Any call handed the same pointer may write there next.
      const args = e.values.map((v) => v.value);
      open = open.filter((c) => !args.includes(c.args[ptrArg]));
      if (e.name === name) {
        const call = { args, writes: [] };
        open.push(call);
        out.push(call);
      }
    } else if (e.kind === 'memory_write') {
      for (const c of open) c.writes.push({ address: e.address, bytes: Buffer.from(e.bytes, 'hex') });
    }
  }
  return out;
}

// The bytes [address, address+size) as the host left them: recorded bytes,
// and for bytes not recorded (equal to what the guest had there) `fill`.
function assemble(writes, address, size, fill = 0) {
  const buf = Buffer.alloc(size, fill);
  for (const w of writes) {
    for (let i = 0; i < w.bytes.length; i++) {
      const at = w.address + i - address;
      if (at >= 0 && at < size) buf[at] = w.bytes[i];
    }
  }
  return buf;
}

const allWritten = (events) => Buffer.concat(events.filter((e) => e.kind === 'memory_write').map((e) => Buffer.from(e.bytes, 'hex')));

// Program-specific checks of the trace against what the program printed.
const traceChecks = {
  clock(stdout, events) {
    const printed = [...stdout.matchAll(/clock_time_get \d realtime (\d+) \(errno 0\) monotonic (\d+)/g)]
      .flatMap((m) => [BigInt(m[1]), BigInt(m[2])]);
    // clock_time_get(id, precision, ptr) writes a u64 at ptr; the program had
    // zeroed it, so bytes not recorded are zero.
    const seen = writesAfter(events, 'clock_time_get', 2).map((c) => assemble(c.writes, Number(c.args[2]), 8).readBigUInt64LE());
    const missing = printed.filter((v) => !seen.includes(v));
    return printed.length === 6 && missing.length === 0 ? null
      : `printed clock values not in the trace: ${missing.join(', ')} (printed ${printed.length})`;
  },
  random(stdout, events) {
    const printed = /random_get ([0-9a-f]{32})\n/.exec(stdout);
    const call = writesAfter(events, 'random_get', 0).find((c) => Number(c.args[1]) === 16);
    if (!printed || !call) return 'random_get call or output not found';
    const bytes = assemble(call.writes, Number(call.args[0]), 16).toString('hex');
    // A random byte that happens to equal the buffer's previous content (zero
    // here) is, rightly, not recorded.
    return bytes === printed[1] ? null : `trace has ${bytes}, program printed ${printed[1]}`;
  },
  args_env(stdout, events, engine) {
    const written = allWritten(events).toString('latin1');
    const want = engine === 'wasmtime' ? ['SHADOWRR_TEST=replay-me'] : ['args_env.wasm', 'first', 'second arg', 'SHADOWRR_TEST=replay-me'];
    const missing = want.filter((s) => !written.includes(s));
    return missing.length ? `not in the host's writes: ${missing.join(', ')}` : null;
  },
  files(stdout, events) {
    return allWritten(events).toString('latin1').includes('hello, file\nappended line 2\n') ? null
      : 'the file contents read are not in the host writes';
  },
  big_read(stdout, events) {
    const n = allWritten(events).length;
    return n >= 1000000 ? null : `only ${n} bytes of host writes for a 1 MiB read`;
  },
  exit_code(stdout, events) {
    const calls = events.filter((e) => e.kind === 'import_call');
    const last = calls[calls.length - 1];
    return last && last.name === 'proc_exit' && last.values[0].value === 3 ? null : 'last call is not proc_exit(3)';
  },
};

let passed = 0, failed = 0, skipped = 0;
for (const engine of engines) {
  let argv;
  try { argv = engineArgv(engine); } catch { console.log(`SKIP ${engine}: not installed`); skipped += names.length; continue; }
  for (const name of names) {
    const wasm = join(programs, `${name}.wasm`);
    const dir = join(scratch, `${engine}-${name}`);
    mkdirSync(join(dir, 'plain'), { recursive: true });
    mkdirSync(join(dir, 'rec'), { recursive: true });
    // files takes an input file as its argument; it runs without one.
    const args = engine === 'wasmtime' || name === 'files' ? [] : ['first', 'second arg'];
    const env = ['--env', 'SHADOWRR_TEST=replay-me'];
    const plain = runIn(join(dir, 'plain'), [...argv, '--dir', '.', ...env, wasm, ...args]);
    const trace = join(dir, 'run.srr');
    const durable = engine === 'wasmtime' && name === 'trap' ? ['--durable'] : [];
    const rec = runIn(join(dir, 'rec'), [shadowrr, 'record', '--runtime', engine, '--dir', '.', ...env, ...durable,
                                          '-o', trace, wasm, '--', ...args]);
    const problems = [];
    const want = expectedStatus[name] ?? 0;
    if (plain.status !== want) problems.push(`plain run exited ${plain.status}`);
    if (rec.status !== want) problems.push(`recorded run exited ${rec.status}: ${rec.stderr.trim().split('\n').pop()}`);
    if (deterministic.has(name) && !rec.stdout.equals(plain.stdout)) problems.push('stdout differs from the plain run');
    if (!existsSync(trace)) {
      problems.push('no trace');
    } else {
      const t = dump(trace);
      const last = t.events[t.events.length - 1];
      if (name === 'trap') {
        if (engine === 'wasmtime' && !t.events.some((e) => e.kind === 'import_call' && e.name === 'fd_write')) {
          problems.push('durable trace lacks the output before the trap');
        }
        if (!t.complete || !last || last.kind !== 'trap') problems.push(`trace does not end with a trap (${last && last.kind})`);
      } else if (!t.complete || last.kind !== 'end') {
        problems.push(`trace not complete (last event ${last && last.kind})`);
      }
      const check = traceChecks[name];
      const why = check && check(rec.stdout.toString(), t.events, engine);
      if (why) problems.push(why);
    }
    if (problems.length) {
      failed++;
      console.log(`FAIL ${engine} ${name}: ${problems.join('; ')}`);
    } else {
      passed++;
      console.log(`ok   ${engine} ${name}`);
    }
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : passed ? 0 : 77);
