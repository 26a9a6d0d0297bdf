import type { RoutingEntry } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { createArmMachine, isPending, SGI_BASE } from '../src/index.js';
import {
  bit,
  distRead,
  distWrite,
  eoi,
  fixture,
  ISPENDR,
  itsCommand,
  itsFixture,
  line,
  msi,
  take,
  track,
} from './helpers.js';

describe('arm.md §1 INTIDs and per-IRQ state', () => {
  it('ARM-1.1 injection of SGI/PPI without vCPU, SPI beyond nr_spis, or 1020..8191 is EINVAL', () => {
    const m = fixture();
    const bad = (f: () => unknown) =>
      expect(f).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    bad(() => m.injectLine({ kind: 'ppi', intid: 20, level: 1 }));
    bad(() => m.injectLine({ kind: 'ppi', vcpu: 0, intid: 5, level: 1 }));
    bad(() => line(m, 64, 1));
    bad(() => line(m, 1020, 1));
    bad(() => line(m, 8191, 1));
    bad(() => line(m, 8192, 1));
    expect(line(m, 63, 1)).toBe(1);
  });

  it('ARM-1.2 nr_spis: multiple of 32 in 64..992 IRQs, set once before init; default 256', () => {
    const m = createArmMachine({ vcpus: 1, init: false });
    for (const n of [32, 100, 1024, 993]) {
      expect(() => m.setNrIrqs(n)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    }
    m.setNrIrqs(96);
    expect(() => m.setNrIrqs(128)).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    m.init();
    expect(m.gic.nrIrqs).toBe(96);
    const n = createArmMachine({ vcpus: 1 });
    expect(n.gic.nrIrqs).toBe(256);
    expect(() => n.setNrIrqs(128)).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    expect(distRead(n, 4) & 0x1f).toBe(7);
  });

  it('ARM-1.3 routing pins are INTID − 32 (0..987); SGIs and PPIs are not routable', () => {
    const m = fixture();
    const t: RoutingEntry[] = [{ gsi: 3, kind: 'irqchip', chip: 0, pin: 7 }];
    m.vm.setGsiRouting(t);
    m.vm.irqLine({ gsi: 3, level: 1 });
    expect(take(m)).toBe(39);
    expect(m.vm.gsiFor(0, 7)).toBe(3);
    const far: RoutingEntry[] = [{ gsi: 0, kind: 'irqchip', chip: 0, pin: 987 }];
    expect(() => m.vm.setGsiRouting(far)).not.toThrow();
  });

  it('ARM-1.4 LPIs exist only while an ITS entry maps them', () => {
    const { m, d } = itsFixture();
    expect(m.gic.lpis.has(8192)).toBe(true);
    expect(m.gic.lpis.has(8193)).toBe(false);
    d.submit(itsCommand.discard(1, 2));
    expect(m.gic.lpis.has(8192)).toBe(false);
    expect(m.vm.signalMsi(msi(1, 2))).toBe(0);
    expect(() => line(m, 8192, 1)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });

  it('ARM-1.5 line injection encodes SPI and PPI (per vCPU); owned PPIs ignore other callers', () => {
    const m = fixture({ vcpus: 2 });
    m.injectLine({ kind: 'ppi', vcpu: 1, intid: 22, level: 1 });
    expect(take(m, 0)).toBe(1023);
    expect(take(m, 1)).toBe(22);
    const pmu = {};
    m.setOwner(1, 23, pmu);
    expect(() => m.setOwner(1, 23, {})).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    expect(m.injectLine({ kind: 'ppi', vcpu: 1, intid: 23, level: 1 }).status).toBe(-1);
    expect(m.irq(23, 1)!.lineLevel).toBe(false);
  });

  it('ARM-1.6 pending = latch for edge, latch or wire for level', () => {
    const m = fixture({}, [32]);
    const lvl = m.irq(32)!;
    const edge = m.irq(33)!;
    line(m, 32, 1);
    expect(isPending(lvl)).toBe(true);
    expect(lvl.pendingLatch).toBe(false);
    m.setRunState(0, 'host');
    m.user.writeDist(ISPENDR + 4, 1 << 1); // edge 33 latch
    expect(isPending(edge)).toBe(true);
    expect(edge.pending).toBe(true);
  });

  it('ARM-1.7 injections are validated: level needs a change, edge a rising edge, owner match', () => {
    const m = fixture({}, [32]);
    expect(line(m, 32, 1)).toBe(1);
    const d = track(m);
    expect(line(m, 32, 1)).toBe(0);
    expect(d('exits.kick')).toBe(0);
    expect(line(m, 33, 0)).toBe(-1);
    expect(m.irq(33)!.pendingLatch).toBe(false);
    m.setOwner(0, 34, {});
    expect(line(m, 34, 1)).toBe(-1);
    expect(bit(m, ISPENDR, 34)).toBe(0);
  });

  it('ARM-1.8 repeated edges while pending coalesce into one', () => {
    const m = fixture();
    m.setRunState(0, 'host');
    expect(line(m, 32, 1)).toBe(1);
    expect(line(m, 32, 1)).toBe(0);
    expect(line(m, 32, 1)).toBe(0);
    expect(take(m)).toBe(32);
    eoi(m, 32);
    expect(take(m)).toBe(1023);
  });

  it('ARM-1.9 GICv2 SGIs keep one pending bit per source; IAR reports the source', () => {
    const m = fixture({ gic: 'v2', vcpus: 3 });
    m.setRunState(0, 'host');
    distWrite(m, 0xf00, (1 << 16) | 7, 2);
    distWrite(m, 0xf00, (1 << 16) | 7, 1);
    const irq = m.irq(7, 0)!;
    expect(irq.source).toBe(0b110);
    expect(irq.pendingLatch).toBe(true);
    expect(m.mmio.read(0, m.layout.dist + 0xf20 + 7, 1)).toBe(0b110);
    const first = take(m, 0);
    expect(first & 0x3ff).toBe(7);
    expect([1, 2]).toContain(first >>> 10);
    // GICv3: no source tracking, plain edge.
    const v3 = fixture({ vcpus: 2 });
    v3.cpu(1).sgi(BigInt((7 << 24) | 1));
    expect(v3.irq(7, 0)!.source).toBe(0);
    expect(take(v3, 0)).toBe(7);
  });

  it('ARM-1.10 reset values', () => {
    for (const gic of ['v2', 'v3'] as const) {
      const m = createArmMachine({ vcpus: 2, gic, nrSpis: 32, guestInit: false });
      const group = gic === 'v3' ? 1 : 0;
      const sgi = m.irq(3, 1)!;
      expect([sgi.enabled, sgi.config, sgi.priority, sgi.group]).toEqual([true, 'edge', 0, group]);
      const ppi = m.irq(27, 1)!;
      expect([ppi.enabled, ppi.config, ppi.priority, ppi.group]).toEqual([
        false,
        'level',
        0,
        group,
      ]);
      const spi = m.irq(40)!;
      expect([spi.enabled, spi.config, spi.priority, spi.group]).toEqual([false, 'edge', 0, group]);
      expect(spi.targetVcpu?.id).toBe(0);
      expect(spi.targets).toBe(0);
      expect(spi.mpidr).toBe(0);
      expect([spi.pendingLatch, spi.active, spi.lineLevel, spi.hw, spi.vcpu]).toEqual([
        false,
        false,
        false,
        false,
        null,
      ]);
    }
    const m = createArmMachine({ vcpus: 1, guestInit: false });
    expect(m.mmio.read(0, m.layout.redist + SGI_BASE + 0x100, 4)).toBe(0xffff);
  });
});
