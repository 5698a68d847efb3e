/**
 * A small seeded pseudo-random generator (sfc32). The population must be identical for the same seed
 * on every machine, so nothing here may touch Math.random or the wall clock.
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max] inclusive. */
  int(min: number, max: number): number;
  /** true with the given probability. */
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A fresh generator derived from this one, so adding draws in one part does not shift another. */
  fork(label: string): Random;
}

function hashString(text: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // murmur3's finaliser: FNV alone leaves similar inputs with similar high bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function createRandom(seed: number): Random {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ Math.imul(seed, 31);
  let c = 0xb7e15162 ^ Math.imul(seed, 131);
  let d = 1;
  const nextUint32 = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Warm up: the first outputs of sfc32 are poorly mixed for small seeds.
  for (let i = 0; i < 15; i++) nextUint32();
  const random: Random = {
    next: () => nextUint32() / 4294967296,
    int: (min, max) => min + Math.floor((nextUint32() / 4294967296) * (max - min + 1)),
    chance: (probability) => nextUint32() / 4294967296 < probability,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error("pick from an empty list");
      return items[Math.floor((nextUint32() / 4294967296) * items.length)] as T;
    },
    fork: (label) => createRandom(hashString(label, nextUint32())),
  };
  return random;
}

/** A deterministic 32-bit hash of a string, for ids derived from a seed. */
export function hash32(text: string, seed = 0): number {
  return hashString(text, seed);
}
