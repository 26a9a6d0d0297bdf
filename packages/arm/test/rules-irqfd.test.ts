import { EventFd, Host, type RoutingEntry, TestScheduler } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { createArmMachine } from '../src/index.js';
import { eoi, fixture, itsFixture, msi, take, track } from './helpers.js';
import { platformDevice } from './platform.js';

function withRoute(m: ReturnType<typeof fixture>, e: RoutingEntry): void {
  const t = [...(m.vm.router.entries() as RoutingEntry[]).filter((x) => x.gsi !== e.gsi), e];
  m.vm.setGsiRouting(t);
}

describe('arm.md §4 irqfd and routing', () => {
  it('ARM-4.1 only irqchip chip 0 pins < 988 and msi entries; a bad entry rejects the table', () => {
    const m = fixture();
    const before = m.vm.router.entries();
    const bad: RoutingEntry[][] = [
      [{ gsi: 0, kind: 'irqchip', chip: 1, pin: 0 }],
      [
        { gsi: 0, kind: 'irqchip', chip: 0, pin: 1 },
        { gsi: 1, kind: 'irqchip', chip: 0, pin: 988 },
      ],
      [{ gsi: 0, kind: 'hv_sint' } as unknown as RoutingEntry],
    ];
    for (const t of bad)
      expect(() => m.vm.setGsiRouting(t)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(m.vm.router.entries()).toEqual(before);
    const ok: RoutingEntry[] = [{ gsi: 0, kind: 'irqchip', chip: 0, pin: 987 }];
    expect(() => m.vm.setGsiRouting(ok)).not.toThrow();
  });

  it('ARM-4.2 irqchip delivery: 1 newly pending, 0 already pending, −1 filtered', () => {
    const m = fixture({}, [33]);
    m.setRunState(0, 'host');
    expect(m.vm.setIrq(0, 0, true)).toBe(1);
    expect(m.vm.setIrq(0, 0, true)).toBe(0);
    expect(m.vm.setIrq(0, 1, true)).toBe(1);
    expect(m.vm.setIrq(0, 1, true)).toBe(0); // level already high
    m.vm.setIrq(0, 2, false);
    expect(m.irq(34)!.pending).toBe(false); // falling edge on an edge IRQ is filtered
    const far: RoutingEntry = { gsi: 9, kind: 'irqchip', chip: 0, pin: 500 };
    withRoute(m, far);
    const d = track(m);
    expect(m.vm.setIrq(0, 9, true)).toBe(-1);
    expect(d('deliveryErrors')).toBe(1);
  });

  it('ARM-4.3 MSI delivery needs the ITS and a devid; level 0 is ignored', () => {
    const { m } = itsFixture();
    withRoute(m, { gsi: 7, kind: 'msi', ...msi(1, 2) });
    expect(m.vm.setIrq(0, 7, false)).toBe(-1);
    expect(m.irq(8192)!.pending).toBe(false);
    expect(m.vm.setIrq(0, 7, true)).toBe(1);
    expect(() => m.vm.signalMsi({ addressLo: 0x08090040, addressHi: 0, data: 2 })).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    const badFlag: RoutingEntry = { gsi: 8, kind: 'msi', ...msi(1, 2), flags: 2 };
    expect(() => withRoute(m, badFlag)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    const noIts = fixture();
    withRoute(noIts, { gsi: 7, kind: 'msi', ...msi(1, 2) });
    const d = track(noIts);
    expect(noIts.vm.setIrq(0, 7, true)).toBe(-1);
    expect(d('deliveryErrors')).toBe(1);
  });

  it('ARM-4.4 default routing is the identity GSI i → SPI 32 + i for i < nr_spis', () => {
    const m = createArmMachine({ vcpus: 1, nrSpis: 64 });
    expect(m.vm.router.entries()).toHaveLength(64);
    expect(m.vm.entriesFor(63)).toEqual([{ gsi: 63, kind: 'irqchip', chip: 0, pin: 63 }]);
    expect(m.vm.entriesFor(64)).toEqual([]);
    expect(m.vm.gsiFor(0, 17)).toBe(17);
    // Before KVM_DEV_ARM_VGIC_CTRL_INIT there is no table yet and irqfds are refused.
    const u = createArmMachine({ vcpus: 1, init: false });
    expect(u.vm.router.entries()).toHaveLength(0);
    expect(() => u.vm.irqfds.assign({ eventfd: new EventFd(), gsi: 0 })).toThrow(
      expect.objectContaining({ code: 'EAGAIN' }),
    );
    u.init();
    expect(u.vm.router.entries()).toHaveLength(224);
    expect(() => u.vm.irqfds.assign({ eventfd: new EventFd(), gsi: 0 })).not.toThrow();
  });

  it('ARM-4.5 an MSI irqfd injects from the signalling context on a cache hit; irqchip irqfds defer', () => {
    const host = new Host({ scheduler: new TestScheduler() });
    const { m } = itsFixture({ host });
    withRoute(m, { gsi: 7, kind: 'msi', ...msi(1, 2) });
    const fd = new EventFd();
    m.vm.irqfds.assign({ eventfd: fd, gsi: 7 });
    fd.signal(); // miss: deferred
    expect(host.scheduler.size).toBe(1);
    host.scheduler.run();
    eoi(m, take(m));
    fd.signal(); // hit: injected now
    expect(host.scheduler.size).toBe(0);
    expect(m.irq(8192)!.pending || m.vcpuState(0).lr.isPending(0)).toBe(true);
    const lfd = new EventFd();
    m.vm.irqfds.assign({ eventfd: lfd, gsi: 3 });
    lfd.signal();
    expect(host.scheduler.size).toBe(1);
  });

  it('ARM-4.6 resampling irqfd: SW level → EOI maintenance → ack → resamplefd; forwarded: silent', () => {
    const m = fixture({}, [32]);
    const fd = new EventFd();
    const rfd = new EventFd();
    m.vm.irqfds.assign({ eventfd: fd, gsi: 0, resamplefd: rfd });
    fd.signal();
    expect(m.vcpuState(0).lr.eoi[0]).toBe(1);
    eoi(m, take(m));
    expect(rfd.count).toBe(1);
    const f = fixture();
    const p = platformDevice(f, { irq: 70, gsi: 4 });
    f.forward({ hostIrq: 70, gsi: 4 });
    p.assert();
    eoi(f, take(f));
    expect(p.rfd.count).toBe(0);
  });

  it('ARM-4.7 signalMsi returns 1 / 0 and throws ENODEV, EINVAL, EBUSY; routes count errors', () => {
    const { m } = itsFixture();
    expect(m.vm.signalMsi(msi(1, 2))).toBe(1);
    expect(m.vm.signalMsi(msi(1, 7))).toBe(0);
    expect(() => m.vm.signalMsi({ ...msi(1, 2), addressLo: 0x1000 })).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
    m.mmio.write(0, m.layout.its, 4, 0);
    expect(() => m.vm.signalMsi(msi(1, 2))).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    withRoute(m, { gsi: 7, kind: 'msi', ...msi(1, 2) });
    const d = track(m);
    expect(m.vm.setIrq(0, 7, true)).toBe(-1);
    expect(d('deliveryErrors')).toBe(1);
    expect(() => fixture().vm.signalMsi(msi(1, 2))).toThrow(
      expect.objectContaining({ code: 'ENODEV' }),
    );
  });
});
