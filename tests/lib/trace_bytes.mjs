// trace_bytes.mjs: what the JS tests of runtime-support (tests/recorder/
// recorder_test.mjs, tests/replay/replayer_test.mjs) share to build and read
// trace bytes by hand, as docs/trace-format.md specifies them: the event
// kinds, CRC-32 (the chunks' checksum), LEB128, and a seeded generator for
// reproducible random contents.

// Event kinds (docs/trace-format.md, "Events").
export const K = {
  IMPORT_CALL: 1, IMPORT_RETURN: 2, EXPORT_CALL: 3, EXPORT_RETURN: 4, MEMORY_WRITE: 5,
  MEMORY_GROW: 6, HOST_MEMORY_GROW: 7, GLOBAL_CHANGE: 8, TRAP: 9, END: 10, HOST_TABLE_SET: 11, HOST_TABLE_GROW: 12,
};

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

// CRC-32 (IEEE, reflected) of bytes.
export function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// Unsigned LEB128 of v (a Number or BigInt), as an array of bytes.
export function uleb(v) {
  v = BigInt(v);
  const out = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

// A deterministic xorshift32 generator: each call gives the next u32.
export function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}

// Fills bytes from rng(seed).
export function fillRandom(bytes, seed) {
  const r = rng(seed);
  for (let i = 0; i < bytes.length; i++) bytes[i] = r() & 255;
}
