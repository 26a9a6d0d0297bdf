import { EventFd, type RoutingEntry, VfioPlatformIrq } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { distWrite, eoi, fixture, ICPENDR, ISPENDR, take, track } from './helpers.js';
import { platformDevice } from './platform.js';

describe('arm.md §8.6 forwarded (HW-mapped) SPIs', () => {
  it('S-ARM-46 forward succeeds: getMap = 77, the LR carries HW = 1, pINTID 77, no EOI bit', () => {
    const m = fixture();
    const p = platformDevice(m);
    m.forward({ hostIrq: 77, gsi: 0 });
    expect(m.getMap(32)).toBe(77);
    p.assert();
    const lr = m.vcpuState(0).lr;
    expect(lr.vintid[0]).toBe(32);
    expect(lr.hw[0]).toBe(1);
    expect(lr.pintid[0]).toBe(77);
    expect(lr.eoi[0]).toBe(0);
    expect((lr.ich(0) >> 61n) & 1n).toBe(1n);
    expect(Number((lr.ich(0) >> 32n) & 0x1fffn)).toBe(77);
  });

  it('S-ARM-47 forward while the host IRQ is in flight → EAGAIN; succeeds after completion', () => {
    const m = fixture();
    const p = platformDevice(m);
    p.assert();
    expect(p.vfio.masked).toBe(true);
    expect(() => m.forward({ hostIrq: 77, gsi: 0 })).toThrow(
      expect.objectContaining({ code: 'EAGAIN' }),
    );
    expect(m.getMap(32)).toBe(-1);
    expect(take(m)).toBe(32);
    p.deassert();
    eoi(m, 32);
    expect(p.vfio.masked).toBe(false);
    m.forward({ hostIrq: 77, gsi: 0 });
    expect(m.getMap(32)).toBe(77);
  });

  it('S-ARM-48 a forwarded level IRQ completes without exit, ack, resample or VFIO mask', () => {
    const m = fixture();
    const p = platformDevice(m);
    m.forward({ hostIrq: 77, gsi: 0 });
    const d = track(m);
    p.assert();
    expect(take(m)).toBe(32);
    expect(p.line.active).toBe(true);
    p.deassert();
    eoi(m, 32);
    expect(p.line.active).toBe(false);
    expect(d('exits.maintenance')).toBe(0);
    expect(d('ackNotifications')).toBe(0);
    expect(d('resamplefdSignals')).toBe(0);
    expect(d('host.vfioMasks') + d('host.vfioUnmasks')).toBe(0);
  });

  it('S-ARM-49 still asserted at EOI: the physical IRQ fires again, one more kick, no maintenance', () => {
    const m = fixture();
    const p = platformDevice(m);
    m.forward({ hostIrq: 77, gsi: 0 });
    p.assert();
    expect(take(m)).toBe(32);
    const d = track(m);
    eoi(m, 32);
    expect(d('host.hostIrqs')).toBe(1);
    expect(d('exits.kick')).toBe(1);
    expect(take(m)).toBe(32);
    expect(d('exits.maintenance')).toBe(0);
  });

  it('S-ARM-50 a stale forwarded pend is resampled at fold', () => {
    const m = fixture();
    const p = platformDevice(m);
    m.forward({ hostIrq: 77, gsi: 0 });
    p.assert();
    expect(m.vcpuState(0).lr.state[0]).toBe(1);
    p.deassert();
    m.setRunState(0, 'host');
    const irq = m.irq(32)!;
    expect(irq.lineLevel).toBe(false);
    expect(p.line.active).toBe(false);
    expect(irq.pending).toBe(false);
  });

  it('S-ARM-51 unforward while active: halt, SW LR, then maintenance + ack + resample + unmask', () => {
    const m = fixture();
    const p = platformDevice(m);
    m.forward({ hostIrq: 77, gsi: 0 });
    p.assert();
    expect(take(m)).toBe(32);
    const d = track(m);
    m.unforward({ hostIrq: 77, gsi: 0 });
    // Halted and resumed (one forced exit); the still-asserted line then fires again through
    // the VFIO masking handler (HOST-4.3), which queues another kick.
    expect(d('exits.kick', 0)).toBeGreaterThanOrEqual(1);
    expect(p.vfio.masked).toBe(true);
    expect(m.getMap(32)).toBe(-1);
    const lr = m.vcpuState(0).lr;
    expect(lr.hw[0]).toBe(0);
    expect(lr.eoi[0]).toBe(1);
    p.deassert();
    eoi(m, 32);
    expect(d('exits.maintenance')).toBe(1);
    expect(d('ackNotifications')).toBe(1);
    expect(d('resamplefdSignals')).toBe(1);
    expect(d('host.vfioUnmasks')).toBe(1);
  });

  it('S-ARM-52 forward idempotence and conflicts', () => {
    const m = fixture({ its: true });
    platformDevice(m);
    m.forward({ hostIrq: 77, gsi: 0 });
    expect(() => m.forward({ hostIrq: 77, gsi: 0 })).not.toThrow();
    expect(() => m.forward({ hostIrq: 77, gsi: 1 })).toThrow(
      expect.objectContaining({ code: 'EBUSY' }),
    );
    const other = new VfioPlatformIrq(m.host, m.host.irqs.createLine(78), {
      trigger: new EventFd(),
    });
    expect(() => m.unforward({ hostIrq: 78, gsi: 1 })).not.toThrow();
    expect(other.forwarded).toBe(false);
    const t: RoutingEntry[] = [
      ...(m.vm.router.entries() as RoutingEntry[]).filter((e) => e.gsi !== 5),
      { gsi: 5, kind: 'msi', addressLo: 0x08090040, addressHi: 0, data: 0, flags: 1, devid: 1 },
    ];
    m.vm.setGsiRouting(t);
    expect(() => m.forward({ hostIrq: 78, gsi: 5 })).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
  });

  it('S-ARM-53 guest ISPENDR/ICPENDR of a forwarded IRQ drive the physical active state', () => {
    const m = fixture();
    const p = platformDevice(m);
    m.forward({ hostIrq: 77, gsi: 0 });
    distWrite(m, ISPENDR + 4, 1);
    expect(p.line.active).toBe(true);
    distWrite(m, ICPENDR + 4, 1);
    expect(p.line.active).toBe(false);
  });

  it('S-ARM-54 automatic pairing forwards only with forwardSpis', () => {
    const on = fixture({ forwardSpis: true });
    const p = platformDevice(on);
    expect(p.vfio.forwarded).toBe(true);
    expect(on.getMap(32)).toBe(77);
    let d = track(on);
    p.assert();
    expect(take(on)).toBe(32);
    p.deassert();
    eoi(on, 32);
    expect(d('exits.maintenance') + d('ackNotifications') + d('resamplefdSignals')).toBe(0);

    const off = fixture();
    const q = platformDevice(off);
    expect(q.irqfd.producer).toBe(q.vfio);
    expect(q.vfio.forwarded).toBe(false);
    d = track(off);
    q.assert();
    expect(take(off)).toBe(32);
    q.deassert();
    eoi(off, 32);
    expect(d('exits.maintenance')).toBe(1);
    expect(d('resamplefdSignals')).toBe(1);
  });
});
