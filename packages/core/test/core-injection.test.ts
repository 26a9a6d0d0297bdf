import { describe, expect, it } from 'vitest';
import { RESAMPLER_SOURCE_ID, USERSPACE_SOURCE_ID } from '../src/index.js';
import { EDGE, FakeEdgeChip, LEVEL, msiRoute, pinRoute, setup } from './core-fixtures.js';

describe('CORE §2 injection through the table (setIrq)', () => {
  it('CORE-2.1: results combine as kvm_set_irq does: ignored skipped, otherwise r + max(ret, 0)', () => {
    const f = setup();
    const third = new FakeEdgeChip(2, 8);
    f.vm.addChip(third);
    f.vm.setGsiRouting([pinRoute(5, EDGE, 5), pinRoute(5, LEVEL, 5), pinRoute(5, 2, 5)]);
    f.level.mask(5); // the level fake then reports -1
    const cases: Array<[number, number, number]> = [
      // [edge result, third chip result, expected]  (level chip always -1)
      [-1, -1, -1],
      [0, -1, 0],
      [-1, 0, 0],
      [1, 2, 3],
      [0, 1, 1],
      [2, 0, 2],
    ];
    for (const [a, b, want] of cases) {
      f.edge.results.set(5, a);
      third.results.set(5, b);
      expect(f.vm.setIrq(USERSPACE_SOURCE_ID, 5, true), `(${a}, -1, ${b})`).toBe(want);
    }
  });

  it('CORE-2.2: entries are driven in table order and an ignoring entry does not stop the others', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(5, LEVEL, 3), pinRoute(5, EDGE, 7)]);
    f.level.mask(3);
    f.log.length = 0;
    expect(f.vm.setIrq(USERSPACE_SOURCE_ID, 5, true)).toBe(1);
    expect(f.log).toEqual(['chip1.set(3,1)', 'chip0.set(7,1)']);
    // the masked controller still saw (and latched) the assertion
    expect(f.level.irr[3]).toBe(true);
    f.vm.setGsiRouting([pinRoute(5, EDGE, 7), pinRoute(5, LEVEL, 3)]);
    f.log.length = 0;
    f.vm.setIrq(USERSPACE_SOURCE_ID, 5, false);
    expect(f.log).toEqual(['chip0.set(7,0)', 'chip1.set(3,0)']);
  });

  it('CORE-2.3: lineStatus is passed to the chips as an opaque hint', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(8, EDGE, 8)]);
    f.vm.setIrq(USERSPACE_SOURCE_ID, 8, true, true);
    f.vm.setIrq(USERSPACE_SOURCE_ID, 8, false);
    f.vm.irqLine({ gsi: 8, level: 1 }, { withStatus: true });
    f.vm.irqLine({ gsi: 8, level: 0 });
    expect(f.edge.calls.map((c) => c.lineStatus)).toEqual([true, false, true, false]);
  });

  it('CORE-2.4: setIrq on a GSI with no entry returns -1, does nothing and does not throw', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(5, EDGE, 5)]);
    for (const gsi of [6, 4095, 5000, 2 ** 32 - 1]) {
      expect(f.vm.setIrq(USERSPACE_SOURCE_ID, gsi, true)).toBe(-1);
      expect(f.vm.setIrq(USERSPACE_SOURCE_ID, gsi, false)).toBe(-1);
    }
    expect(f.edge.calls).toEqual([]);
    expect(f.level.calls).toEqual([]);
    for (let pin = 0; pin < 24; pin++) expect(f.vm.lineSources(EDGE, pin)).toEqual([]);
  });

  it('CORE-2.5: MSI entries ignore the source id, treat level 0 as ignored and deliver on level 1', () => {
    const f = setup();
    f.vm.setGsiRouting([msiRoute(40, 0x41)]);
    expect(f.vm.setIrq(USERSPACE_SOURCE_ID, 40, false)).toBe(-1);
    expect(f.msi.all).toEqual([]);
    expect(f.vm.setIrq(RESAMPLER_SOURCE_ID, 40, true)).toBe(1);
    expect(f.vm.setIrq(17, 40, true)).toBe(1);
    expect(f.msi.delivered.map((m) => m.data)).toEqual([0x41, 0x41]);
    // irqchip entries, by contrast, keep per-source line state
    f.vm.setGsiRouting([pinRoute(40, LEVEL, 4)]);
    f.vm.setIrq(17, 40, true);
    expect(f.vm.lineSources(LEVEL, 4)).toEqual([17]);
  });
});
