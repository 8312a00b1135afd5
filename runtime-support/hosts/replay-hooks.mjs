// replay-hooks.mjs: wasi-run.mjs hooks for a replay module (`shadowrr
// replay`, `shadowrr instrument --mode replay`). When the replay traps, the
// host side decides what the trap was (a wasm driver cannot catch a trap):
// shadowrr_status() says whether the trace has that trap (replayer_abi.h,
// "Where the run ends"). If it does not, the replayer has printed why (a
// divergence, a truncated trace) and the run exits with that status (101,
// 102). If it does and the recorded run went on after it (a reactor recorded
// across traps), shadowrr_resume() replays what the host did next, as many
// times as the recording trapped. The run ends as the recording did: exit 0
// at its END, the recorded exit code at proc_exit, or the last trap (134,
// with the launcher's trap line).
//
//   wasi-run.mjs --hooks replay-hooks.mjs app.replay.wasm

import { WasiExit, isTrap, oneLine } from './wasi-host.mjs';

export function afterTrap(instance, result) {
  const x = instance && instance.exports;
  if (!x || typeof x.shadowrr_resume !== 'function') return;
  for (;;) {
    const status = x.shadowrr_status();
    if (status !== 0) {
      result.kind = 'exit';
      result.exitCode = status;
      return;
    }
    let resumed;
    try {
      resumed = x.shadowrr_resume();
    } catch (e) {
      if (e instanceof WasiExit) {
        result.kind = 'exit';
        result.exitCode = e.code;
        return;
      }
      if (!isTrap(e)) throw e;
      result.message = oneLine(e);
      continue;
    }
    if (resumed) {
      result.kind = 'exit';
      result.exitCode = 0;
    }
    return;
  }
}
