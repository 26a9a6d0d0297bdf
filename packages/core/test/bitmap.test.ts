import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bitmap } from '../src/index.js';

// The reference answers, bit by bit.
function setBits(b: Bitmap): number[] {
  const out: number[] = [];
  for (let i = 0; i < b.size; i++) if (b.test(i)) out.push(i);
  return out;
}

describe('Bitmap scans', () => {
  it('property: highest, highestWord, lowest and isEmpty agree with a bit-by-bit scan (256-bit and other sizes)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 31, 32, 100, 256, 257, 1024),
        fc.array(fc.nat(1023), { maxLength: 12 }),
        (size, bits) => {
          const b = new Bitmap(size);
          for (const i of bits) if (i < size) b.set(i);
          const ref = setBits(b);
          const top = ref.length === 0 ? -1 : ref[ref.length - 1]!;
          expect(b.highest()).toBe(top);
          expect(b.highestWord()).toBe(top < 0 ? -1 : top >>> 5);
          expect(b.lowest()).toBe(ref.length === 0 ? -1 : ref[0]!);
          expect(b.isEmpty()).toBe(ref.length === 0);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a 256-bit map finds its top vector in every word, and reads empty once cleared', () => {
    const b = new Bitmap(256);
    for (let v = 0; v < 256; v += 9) {
      b.set(v);
      expect(b.highest()).toBe(v);
      expect(b.highestWord()).toBe(v >>> 5);
    }
    b.clearAll();
    expect([b.highest(), b.highestWord(), b.isEmpty()]).toEqual([-1, -1, true]);
  });
});
