import { describe, expect, it } from 'vitest';
import {
  bit,
  dir,
  eoi,
  fixture,
  ISACTIVER,
  ISPENDR,
  line,
  setPriority,
  setTrigger,
  take,
  track,
} from './helpers.js';

describe('arm.md §8.2 priority, masking, preemption', () => {
  it('S-ARM-16 PMR masking: 0xF0 masks priority 0xF0, 0xF8 lets it through, 0xFF reads 0xF8', () => {
    const m = fixture();
    m.cpu(0).pmr = 0xf0;
    line(m, 32, 1);
    expect(take(m)).toBe(1023);
    expect(bit(m, ISPENDR, 32)).toBe(1);
    m.cpu(0).pmr = 0xf8;
    expect(take(m)).toBe(32);
    m.cpu(0).pmr = 0xff;
    expect(m.cpu(0).pmr).toBe(0xf8);
    expect(m.sysreg.read(0, 'ICC_PMR_EL1')).toBe(0xf8);
  });

  it('S-ARM-17 PMR 0 masks even priority 0x00', () => {
    const m = fixture();
    setPriority(m, 32, 0);
    setPriority(m, 33, 0);
    m.cpu(0).pmr = 0;
    line(m, 32, 1);
    line(m, 33, 1);
    expect(take(m)).toBe(1023);
  });

  for (const mode of [0, 1] as const) {
    for (const trig of ['edge', 'level'] as const) {
      it(`S-ARM-18 preemption ladder (EOImode ${mode}, ${trig}): 31 nested SPIs all complete`, () => {
        const m = fixture();
        m.cpu(0).eoiMode = mode;
        for (let i = 0; i <= 30; i++) {
          setPriority(m, 32 + i, (30 - i) * 8);
          if (trig === 'level') setTrigger(m, 32 + i, 'level');
        }
        const d = track(m);
        for (let i = 0; i <= 30; i++) {
          line(m, 32 + i, 1);
          expect(take(m)).toBe(32 + i);
          if (trig === 'level') line(m, 32 + i, 0);
        }
        for (let i = 30; i >= 0; i--) eoi(m, 32 + i);
        if (mode === 1) for (let i = 0; i <= 30; i++) dir(m, 32 + ((i * 7) % 31));
        for (let i = 0; i <= 30; i++) expect(bit(m, ISACTIVER, 32 + i)).toBe(0);
        expect(m.cpu(0).apr(1)).toBe(0);
        expect(take(m)).toBe(1023);
        // Actives outside the 4 LRs retire through EOIcount/LRENP (EOImode 0) or through
        // trapped DIRs (EOImode 1, ARM-7.1).
        if (mode === 0) expect(d('exits.maintenance')).toBeGreaterThanOrEqual(1);
        else expect(d('exits.sysreg')).toBeGreaterThanOrEqual(1);
      });
    }
  }

  it('S-ARM-19 equal priority does not pre-empt', () => {
    const m = fixture();
    setPriority(m, 32, 0x80);
    setPriority(m, 33, 0x80);
    line(m, 32, 1);
    expect(take(m)).toBe(32);
    line(m, 33, 1);
    expect(take(m)).toBe(1023);
    expect(take(m)).toBe(1023);
    eoi(m, 32);
    expect(take(m)).toBe(33);
  });

  it('S-ARM-20 priority order: 0x20 before 0x40 before 0x60', () => {
    const m = fixture();
    setPriority(m, 32, 0x40);
    setPriority(m, 33, 0x20);
    setPriority(m, 34, 0x60);
    for (const i of [32, 33, 34]) line(m, i, 1);
    const order: number[] = [];
    for (let k = 0; k < 3; k++) {
      const t = take(m);
      order.push(t);
      eoi(m, t);
    }
    expect(order).toEqual([33, 32, 34]);
  });

  it('S-ARM-21 priority width: 0xFF reads 0xF8', () => {
    const m = fixture();
    m.mmio.write(0, m.layout.dist + 0x400 + 32, 1, 0xff);
    expect(m.mmio.read(0, m.layout.dist + 0x400 + 32, 1)).toBe(0xf8);
  });

  it('S-ARM-22 edge active + pending: one kick, P+A, taken again after the first EOI', () => {
    const m = fixture();
    line(m, 32, 1);
    expect(take(m)).toBe(32);
    const d = track(m);
    line(m, 32, 1);
    expect(d('exits.kick')).toBe(1);
    const lr = m.vcpuState(0).lr;
    expect(lr.state[0]).toBe(3);
    expect(bit(m, ISPENDR, 32)).toBe(1);
    expect(bit(m, ISACTIVER, 32)).toBe(1);
    expect(take(m)).toBe(1023);
    eoi(m, 32);
    expect(take(m)).toBe(32);
    eoi(m, 32);
    expect(bit(m, ISPENDR, 32)).toBe(0);
    expect(take(m)).toBe(1023);
  });

  it('S-ARM-23 restore active: userspace ISACTIVER + guest AP1R0, then EOIs complete everything', () => {
    const m = fixture();
    for (let i = 0; i <= 30; i++) setPriority(m, 32 + i, (30 - i) * 8);
    m.setRunState(0, 'host');
    m.user.writeDist(0x304, 0x7fffffff);
    m.setRunState(0, 'guest');
    let apr = 0;
    for (let i = 0; i <= 30; i++) apr |= 1 << (30 - i);
    m.cpu(0).setApr(1, apr >>> 0);
    for (let i = 30; i >= 0; i--) eoi(m, 32 + i);
    for (let i = 0; i <= 30; i++) expect(bit(m, ISACTIVER, 32 + i)).toBe(0);
    expect(m.sysreg.read(0, 'ICC_AP1R0_EL1')).toBe(0);
  });
});
