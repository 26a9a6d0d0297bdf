import { describe, expect, it } from 'vitest';
import { COALESCED, combineDelivery, IGNORED } from '../src/index.js';

describe('CORE §0.1 delivery result', () => {
  it('CORE-0.1: results fold as kvm_set_irq does (ignored skipped, others summed)', () => {
    const fold = (...rs: number[]) => rs.reduce(combineDelivery, IGNORED);
    expect(fold()).toBe(IGNORED);
    expect(fold(-1, -1)).toBe(-1);
    expect(fold(COALESCED, -1)).toBe(0);
    expect(fold(1, 2)).toBe(3);
    expect(fold(0, 1)).toBe(1);
  });
});
