/**
 * A small deterministic 0..1 generator (mulberry32): the same seed gives the same sequence on
 * every machine (which PDCAs a replayed night trains on, which questions a demo day asks, test
 * vectors). A string seed is hashed first (xmur3), so related names give unrelated sequences.
 */
export function seededRandom(seed: number | string): () => number {
  let a = (typeof seed === 'string' ? hashString(seed) : seed) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** xmur3's first output: a 32-bit seed from a string. */
function hashString(seed: string): number {
  let h = 1779033703 ^ seed.length;
  for (let i = 0; i < seed.length; i++) {
    h = Math.imul(h ^ seed.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  return h;
}
