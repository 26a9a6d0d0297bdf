/**
 * A seeded pseudo-random generator: xoshiro128** (Blackman and Vigna), seeded through
 * splitmix32 so that any 32-bit seed gives a well-mixed state. Pure 32-bit integer arithmetic
 * (`Math.imul`, unsigned shifts), so the same seed gives the same sequence on every platform.
 */
export class Rng {
  private readonly s = new Uint32Array(4);

  /**
   * @param seed - any integer; only its low 32 bits are used.
   * @param stream - an independent stream number: `new Rng(seed, k)` for k = 0, 1, 2, … are
   * uncorrelated sequences (one per workload keeps arrivals identical across paths).
   */
  constructor(seed: number, stream = 0) {
    let x = (seed >>> 0) ^ Math.imul((stream >>> 0) + 1, 0x9e3779b9);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    // xoshiro must not start from the all-zero state.
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
  }

  /**
   * A generator started from an explicit xoshiro128** state (for known-answer tests and for
   * resuming a stream); the state must not be all zero.
   * @throws RangeError for an all-zero state.
   */
  static fromState(s0: number, s1: number, s2: number, s3: number): Rng {
    if ((s0 | s1 | s2 | s3) >>> 0 === 0) throw new RangeError('xoshiro128** state must not be 0');
    const r = new Rng(0);
    r.s[0] = s0 >>> 0;
    r.s[1] = s1 >>> 0;
    r.s[2] = s2 >>> 0;
    r.s[3] = s3 >>> 0;
    return r;
  }

  /** The next 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const s0 = s[0]!;
    const s1 = s[1]!;
    const s2 = s[2]! ^ s0;
    const s3 = s[3]! ^ s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    s[0] = s0 ^ s3;
    s[1] = s1 ^ s2;
    s[2] = s2 ^ (s1 << 9);
    s[3] = rotl(s3, 11);
    return result;
  }

  /** A float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An exponentially distributed value with the given mean (a Poisson process's gaps). */
  exp(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** A value uniformly distributed in [mean·(1 − spread), mean·(1 + spread)]. */
  jitter(mean: number, spread: number): number {
    return mean * (1 + spread * (2 * this.next() - 1));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
