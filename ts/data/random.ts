/**
 * Seeded randomness for data preparation: the xoshiro128** generator (Blackman & Vigna, 2018)
 * seeded by SplitMix32, and seeded permutations. Everything is 32-bit integer arithmetic
 * (`Math.imul`, `>>> 0`), so a seed gives the same numbers on every platform and Node version.
 */
import { intArg, seedArg } from './args';

const GOLDEN = 0x9e3779b9;

/** The SplitMix32 output function (a 32-bit finaliser with full avalanche). */
function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/**
 * A seeded pseudo-random generator: xoshiro128** (period 2^128 − 1, 32-bit outputs). Not for
 * cryptography. `new Random(seed)` expands the seed (an integer in `[0, 2^53 − 1]`) into the
 * 128-bit state with SplitMix32 steps over its low and high 32-bit halves.
 */
export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** A generator seeded with `seed` (default 0). */
  constructor(seed = 0) {
    const s = seedArg('seed', seed);
    const lo = s >>> 0;
    const hi = Math.floor(s / 0x100000000) >>> 0;
    const state: number[] = [];
    let x = lo;
    for (let i = 0; i < 4; i++) {
      x = (x + GOLDEN) | 0;
      state.push((mix32(x) ^ mix32(Math.imul(hi ^ (i + 1), 0x85ebca6b))) >>> 0);
    }
    this.setState(state);
  }

  /**
   * A generator with the raw xoshiro128** state (four 32-bit unsigned integers, not all zero);
   * with `[1, 2, 3, 4]` it reproduces the reference C implementation's sequence.
   */
  static fromState(state: readonly [number, number, number, number]): Random {
    if (!Array.isArray(state) || state.length !== 4) throw new TypeError(`state: expected 4 unsigned 32-bit integers, got ${String(state)}`);
    state.forEach((v, i) => intArg(`state[${i}]`, v, undefined, 0, 0xffffffff));
    const r = new Random(0);
    r.setState(state);
    return r;
  }

  private setState(state: readonly number[]): void {
    [this.s0, this.s1, this.s2, this.s3] = state.map((v) => v >>> 0);
    // The all-zero state is the generator's one fixed point.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform float in `[0, 1)` with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in `[0, n)` for `1 ≤ n ≤ 2^32`, without modulo bias (rejection sampling). */
  nextInt(n: number): number {
    intArg('n', n, undefined, 1, 0x100000000);
    return this.below(n);
  }

  /** `nextInt` without the argument check (hot loops inside this module). */
  private below(n: number): number {
    const limit = 0x100000000 - (0x100000000 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<A extends { length: number; [i: number]: unknown }>(items: A): A {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A seeded random permutation of `0 … n−1` (Fisher–Yates driven by `new Random(seed)`). The
 * same `(n, seed)` gives the same permutation on every platform; `seed` defaults to 0.
 */
export function shuffled(n: number, seed = 0): Int32Array {
  const count = intArg('n', n, undefined, 0, 0x7fffffff);
  const rng = new Random(seedArg('seed', seed));
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = i;
  return rng.shuffle(out);
}
