import { EventFd, type RoutingEntry } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import type { ArmMachine } from '../src/index.js';
import {
  eoi,
  exits,
  itsCommand,
  itsDriver,
  itsFixture,
  msi,
  rdWrite,
  take,
  track,
} from './helpers.js';

function msiIrqfd(m: ArmMachine, devid = 1, data = 2, gsi = 100): EventFd {
  const t: RoutingEntry[] = [
    ...(m.vm.router.entries() as RoutingEntry[]).filter((e) => e.gsi !== gsi),
    { gsi, kind: 'msi', ...msi(devid, data) },
  ];
  m.vm.setGsiRouting(t);
  const fd = new EventFd();
  m.vm.irqfds.assign({ eventfd: fd, gsi });
  return fd;
}

describe('arm.md §8.7 ITS', () => {
  it('S-ARM-55 translation: signalMsi → 1, take 8192, EOI without exit', () => {
    const { m } = itsFixture();
    expect(m.vm.signalMsi(msi(1, 2))).toBe(1);
    expect(take(m)).toBe(8192);
    const d = track(m);
    eoi(m, 8192);
    expect(exits(d)).toBe(0);
  });

  it('S-ARM-56 unmapped device or event: 0 and nothing pending', () => {
    const { m } = itsFixture();
    expect(m.vm.signalMsi(msi(9, 2))).toBe(0);
    expect(m.vm.signalMsi(msi(1, 3))).toBe(0);
    expect(take(m)).toBe(1023);
  });

  it('S-ARM-57 LPIs disabled or ITS disabled: EBUSY, nothing pending', () => {
    const { m } = itsFixture();
    rdWrite(m, 0, 0x0, 0);
    expect(() => m.vm.signalMsi(msi(1, 2))).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    rdWrite(m, 0, 0x0, 1);
    m.mmio.write(0, m.layout.its, 4, 0);
    expect(() => m.vm.signalMsi(msi(1, 2))).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    expect(take(m)).toBe(1023);
  });

  it('S-ARM-58 MAPTI errors do not stall the queue', () => {
    const { m, d } = itsFixture();
    d.submit(
      itsCommand.mapti(1, 16, 8200, 0),
      itsCommand.mapti(1, 3, 8191, 0),
      itsCommand.mapti(7, 0, 8201, 0),
      itsCommand.mapti(1, 4, 8193, 0),
    );
    const its = m.its!;
    expect(its.creadr).toBe(its.cwriter);
    expect(its.lastError).toBe(0x010a04);
    expect(m.gic.lpis.has(8193)).toBe(true);
    expect(m.gic.lpis.has(8200)).toBe(false);
    expect(m.gic.lpis.has(8201)).toBe(false);
    expect(its.devices.get(1)!.ites.has(3)).toBe(false);
    expect(its.devices.get(1)!.ites.has(16)).toBe(false);
  });

  it('S-ARM-59 MAPC out of range; MAPTI creates the collection unmapped; INT fails', () => {
    const { m, d } = itsFixture({ vcpus: 2 });
    d.submit(itsCommand.mapc(1, 5));
    expect(m.its!.lastError).toBe(0x010902);
    expect(m.its!.collections.has(1)).toBe(false);
    d.submit(itsCommand.mapti(1, 5, 8195, 1));
    expect(m.its!.collections.get(1)?.target).toBeNull();
    d.submit(itsCommand.int(1, 5));
    expect(m.its!.lastError).toBe(0x010307);
  });

  it('S-ARM-60 a config change needs INV', () => {
    const { m, d } = itsFixture();
    d.setLpiConfig(8192, 0xa0, false);
    d.submit(itsCommand.inv(1, 2), itsCommand.int(1, 2));
    expect(m.irq(8192)!.pendingLatch).toBe(true);
    expect(take(m)).toBe(1023);
    d.setLpiConfig(8192, 0xa0, true);
    expect(take(m)).toBe(1023);
    d.submit(itsCommand.inv(1, 2));
    expect(take(m)).toBe(8192);
  });

  it('S-ARM-61 MOVI retargets; the first MSI after it misses the cache', () => {
    const { m, d } = itsFixture({ vcpus: 2 });
    const fd = msiIrqfd(m);
    fd.signal();
    eoi(m, take(m, 0), 0);
    d.submit(itsCommand.mapc(1, 1), itsCommand.movi(1, 2, 1));
    const t = track(m);
    fd.signal();
    expect(t('schedTasks')).toBe(1);
    expect(take(m, 0)).toBe(1023);
    expect(take(m, 1)).toBe(8192);
  });

  it('S-ARM-62 MOVI errors leave the ITE unchanged', () => {
    const { m, d } = itsFixture({ vcpus: 2 });
    d.submit(itsCommand.movi(1, 9, 0));
    expect(m.its!.lastError).toBe(0x010107);
    d.submit(itsCommand.movi(1, 2, 3));
    expect(m.its!.lastError).toBe(0x010109);
    expect(m.its!.devices.get(1)!.ites.get(2)!.collection?.icid).toBe(0);
    expect(m.irq(8192)!.targetVcpu?.id).toBe(0);
  });

  it('S-ARM-63 DISCARD unmaps and destroys the LPI; a second DISCARD fails', () => {
    const { m, d } = itsFixture();
    d.submit(itsCommand.discard(1, 2));
    expect(m.vm.signalMsi(msi(1, 2))).toBe(0);
    expect(m.gic.lpis.has(8192)).toBe(false);
    d.submit(itsCommand.discard(1, 2));
    expect(m.its!.lastError).toBe(0x010f07);
  });

  it('S-ARM-64 CLEAR before the vCPU re-enters: never delivered', () => {
    const { m } = itsFixture({ vcpus: 2 });
    const d1 = itsDriver(m, 1);
    m.setRunState(0, 'host');
    m.vm.signalMsi(msi(1, 2));
    d1.submit(itsCommand.clear(1, 2));
    m.setRunState(0, 'guest');
    expect(take(m, 0)).toBe(1023);
  });

  it('S-ARM-65 MAPD of a mapped device drops its ITEs', () => {
    const { m, d } = itsFixture();
    d.submit(itsCommand.mapd(1, 3, d.itt(1)));
    expect(m.vm.signalMsi(msi(1, 2))).toBe(0);
    expect(m.gic.lpis.has(8192)).toBe(false);
  });

  it('S-ARM-66 translation cache: miss, hit, and a miss after each invalidating event', () => {
    const { m, d } = itsFixture();
    const fd = msiIrqfd(m);
    const signal = (): number => {
      const t = track(m);
      fd.signal();
      const got = take(m);
      if (got !== 1023) eoi(m, got);
      expect(got).toBe(8192);
      return t('schedTasks');
    };
    expect(signal()).toBe(1);
    expect(signal()).toBe(0);
    d.submit(itsCommand.discard(1, 2), itsCommand.mapti(1, 2, 8192, 0));
    expect(signal()).toBe(1);
    expect(signal()).toBe(0);
    d.submit(itsCommand.movi(1, 2, 0));
    expect(signal()).toBe(1);
    m.mmio.write(0, m.layout.its, 4, 0);
    m.mmio.write(0, m.layout.its, 4, 1);
    expect(signal()).toBe(1);
    rdWrite(m, 0, 0, 0);
    rdWrite(m, 0, 0, 1);
    expect(signal()).toBe(1);
    expect(signal()).toBe(0);
  });

  it('S-ARM-67 ITS register guards', () => {
    const { m } = itsFixture();
    const its = m.its!;
    const base = m.layout.its;
    // Enabled: CBASER and BASER writes are ignored; CWRITER beyond the queue is ignored.
    const cb = m.mmio.read64(0, base + 0x80);
    m.mmio.write64(0, base + 0x80, 0n);
    expect(m.mmio.read64(0, base + 0x80)).toBe(cb);
    const b0 = m.mmio.read64(0, base + 0x100);
    m.mmio.write64(0, base + 0x100, 0n);
    expect(m.mmio.read64(0, base + 0x100)).toBe(b0);
    const w = its.cwriter;
    m.mmio.write64(0, base + 0x88, BigInt(its.queueSize));
    expect(its.cwriter).toBe(w);
    expect(m.mmio.read(0, base, 4) >>> 31).toBe(1);
    // Disabled with BASER0 invalid: enabling is ignored.
    m.mmio.write(0, base, 4, 0);
    m.mmio.write64(0, base + 0x100, b0 & ~(1n << 63n));
    m.mmio.write(0, base, 4, 1);
    expect(m.mmio.read(0, base, 4) & 1).toBe(0);
  });
});
