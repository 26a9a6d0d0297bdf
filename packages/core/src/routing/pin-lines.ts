import { IrqError } from '../errors.js';

/**
 * Per-pin source bitmaps: each controller input pin ORs up to 64 source ids (CORE-3.1). The
 * controller only ever sees the OR (`lineLevel`). Two 32-bit words per pin in a typed array.
 */
export class PinLines {
  private readonly chips = new Map<number, Uint32Array>();

  /** Allocates bitmaps for controller `chip` with `pins` input pins. */
  register(chip: number, pins: number): void {
    this.chips.set(chip, new Uint32Array(pins * 2));
  }

  /**
   * The raw bitmap words of `chip` (two per pin), for compiled routes that update them without
   * a lookup per injection. Stable for the chip's lifetime (restore refills it in place).
   */
  bitsOf(chip: number): Uint32Array | undefined {
    return this.chips.get(chip);
  }

  /** True if `chip` has bitmaps. */
  has(chip: number): boolean {
    return this.chips.has(chip);
  }

  /**
   * Sets or clears `source`'s bit on `(chip, pin)`.
   * @returns the new line level (OR of all sources).
   */
  set(chip: number, pin: number, source: number, level: boolean): boolean {
    const bits = this.chips.get(chip);
    if (bits === undefined) throw new IrqError('EINVAL', `no source bitmaps for chip ${chip}`);
    const w = pin * 2 + (source >>> 5);
    const mask = 1 << (source & 31);
    if (level) bits[w] = bits[w]! | mask;
    else bits[w] = bits[w]! & ~mask;
    return (bits[pin * 2]! | bits[pin * 2 + 1]!) !== 0;
  }

  /** The line level of `(chip, pin)`: true if any source asserts it. */
  level(chip: number, pin: number): boolean {
    const bits = this.chips.get(chip);
    if (bits === undefined) return false;
    return ((bits[pin * 2] ?? 0) | (bits[pin * 2 + 1] ?? 0)) !== 0;
  }

  /** The source ids currently asserting `(chip, pin)`, ascending. */
  sources(chip: number, pin: number): number[] {
    const out: number[] = [];
    const bits = this.chips.get(chip);
    if (bits === undefined) return out;
    for (let s = 0; s < 64; s++) {
      if (((bits[pin * 2 + (s >>> 5)] ?? 0) & (1 << (s & 31))) !== 0) out.push(s);
    }
    return out;
  }

  /**
   * Clears `source` on every pin of every controller (CORE-3.4).
   * @returns the pins whose bitmap changed, as `[chip, pin]` pairs.
   */
  clearSource(source: number): Array<[number, number]> {
    const changed: Array<[number, number]> = [];
    const word = source >>> 5;
    const mask = 1 << (source & 31);
    for (const [chip, bits] of this.chips) {
      for (let pin = 0; pin * 2 < bits.length; pin++) {
        const w = pin * 2 + word;
        if ((bits[w]! & mask) !== 0) {
          bits[w] = bits[w]! & ~mask;
          changed.push([chip, pin]);
        }
      }
    }
    return changed;
  }

  /** Copies every bitmap out, for save/restore. */
  save(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const [chip, bits] of this.chips) out[String(chip)] = Array.from(bits);
    return out;
  }

  /** Restores bitmaps saved by {@link PinLines.save} (controllers must already be registered). */
  restore(saved: Readonly<Record<string, readonly number[]>>): void {
    for (const [chip, bits] of this.chips) {
      const words = saved[String(chip)];
      bits.fill(0);
      if (words !== undefined) bits.set(words.slice(0, bits.length));
    }
  }
}
