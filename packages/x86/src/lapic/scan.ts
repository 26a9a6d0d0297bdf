/**
 * Scans of 256-bit vector registers (IRR, ISR, PIR: eight 32-bit words) for the take / EOI /
 * posting paths. Fixed-shape tests instead of word-by-word loops: fewer branches for the usual
 * device vectors (0x20..0x7F), measurably cheaper per interrupt.
 */

/** The index of the highest non-zero word of a 256-bit register, or −1. */
export function topWord(w: Uint32Array): number {
  if (w[7] !== 0) return 7;
  if ((w[6]! | w[5]! | w[4]!) !== 0) return w[6] !== 0 ? 6 : w[5] !== 0 ? 5 : 4;
  return w[3] !== 0 ? 3 : w[2] !== 0 ? 2 : w[1] !== 0 ? 1 : w[0] !== 0 ? 0 : -1;
}

/** The highest set bit of a 256-bit register, or −1 (`Bitmap.highest` for eight words). */
export function topBit(w: Uint32Array): number {
  const i = topWord(w);
  return i < 0 ? -1 : (i << 5) + 31 - Math.clz32(w[i]!);
}

/** True if no bit of a 256-bit register is set: one OR of the eight words, no branches. */
export function noBits(w: Uint32Array): boolean {
  return (w[0]! | w[1]! | w[2]! | w[3]! | w[4]! | w[5]! | w[6]! | w[7]!) === 0;
}
