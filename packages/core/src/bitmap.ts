/**
 * A fixed-size bitmap over a `Uint32Array`, for per-vector and per-INTID state (IRR, ISR,
 * pending tables). No method allocates except {@link Bitmap.toArray}.
 */
export class Bitmap {
  /** The backing words; bit `i` is bit `i & 31` of word `i >>> 5`. */
  readonly words: Uint32Array;

  /** @param size - number of bits. */
  constructor(readonly size: number) {
    this.words = new Uint32Array((size + 31) >>> 5);
  }

  /** True if bit `i` is set. */
  test(i: number): boolean {
    return ((this.words[i >>> 5]! >>> (i & 31)) & 1) === 1;
  }

  /** Sets bit `i`; returns true if it was clear before. */
  set(i: number): boolean {
    const w = i >>> 5;
    const m = 1 << (i & 31);
    const old = this.words[w]!;
    this.words[w] = old | m;
    return (old & m) === 0;
  }

  /** Clears bit `i`; returns true if it was set before. */
  clear(i: number): boolean {
    const w = i >>> 5;
    const m = 1 << (i & 31);
    const old = this.words[w]!;
    this.words[w] = old & ~m;
    return (old & m) !== 0;
  }

  /** Sets or clears bit `i`. */
  assign(i: number, on: boolean): void {
    if (on) this.set(i);
    else this.clear(i);
  }

  /**
   * The index of the highest non-zero word, or −1. A 256-bit map (an x86 IRR/ISR/PIR: the
   * scan on every take and EOI) is tested in groups, not word by word, because device vectors
   * sit in the low words.
   */
  highestWord(): number {
    const w = this.words;
    if (w.length === 8) {
      if (w[7] !== 0) return 7;
      if ((w[6]! | w[5]! | w[4]!) !== 0) return w[6] !== 0 ? 6 : w[5] !== 0 ? 5 : 4;
      return w[3] !== 0 ? 3 : w[2] !== 0 ? 2 : w[1] !== 0 ? 1 : w[0] !== 0 ? 0 : -1;
    }
    return this.highestWordScan();
  }

  // Other sizes, word by word (out of line: highestWord stays small enough to inline).
  private highestWordScan(): number {
    const w = this.words;
    for (let i = w.length - 1; i >= 0; i--) if (w[i] !== 0) return i;
    return -1;
  }

  /** The highest set bit, or −1. */
  highest(): number {
    const i = this.highestWord();
    return i < 0 ? -1 : (i << 5) + 31 - Math.clz32(this.words[i]!);
  }

  /** The lowest set bit, or −1. */
  lowest(): number {
    const w = this.words;
    for (let i = 0; i < w.length; i++) {
      const v = w[i]!;
      if (v !== 0) return (i << 5) + 31 - Math.clz32(v & -v);
    }
    return -1;
  }

  /** The lowest set bit at or after `from`, or −1. */
  nextSet(from: number): number {
    for (let i = from; i < this.size; ) {
      const v = this.words[i >>> 5]! >>> (i & 31);
      if (v === 0) {
        i = ((i >>> 5) + 1) << 5;
        continue;
      }
      const r = i + 31 - Math.clz32(v & -v);
      return r < this.size ? r : -1;
    }
    return -1;
  }

  /** True if no bit is set. */
  isEmpty(): boolean {
    const w = this.words;
    if (w.length === 8)
      return (w[0]! | w[1]! | w[2]! | w[3]! | w[4]! | w[5]! | w[6]! | w[7]!) === 0;
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) return false;
    return true;
  }

  /** Clears every bit. */
  clearAll(): void {
    this.words.fill(0);
  }

  /** The set bits, ascending. */
  toArray(): number[] {
    const out: number[] = [];
    for (let i = this.nextSet(0); i >= 0; i = this.nextSet(i + 1)) out.push(i);
    return out;
  }

  /** Replaces the contents with the given set bits. */
  fromArray(bits: readonly number[]): void {
    this.clearAll();
    for (const b of bits) if (b >= 0 && b < this.size) this.set(b);
  }
}
