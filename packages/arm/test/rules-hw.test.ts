import type { RoutingEntry } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { createArmMachine } from '../src/index.js';
import {
  distWrite,
  eoi,
  fixture,
  ICACTIVER,
  ICPENDR,
  ISACTIVER,
  ISENABLER,
  ISPENDR,
  line,
  setBit,
  take,
  track,
} from './helpers.js';
import { platformDevice } from './platform.js';

describe('arm.md §3.5 HW-mapped IRQs', () => {
  it('ARM-3.14 map/unmap/getMap/mapIsActive/resetMappedIrq', () => {
    const m = fixture();
    const l = m.host.irqs.createLine(60);
    expect(() => m.mapPhysIrq(0, 999, 40)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    line(m, 40, 1);
    expect(take(m)).toBe(40);
    m.mapPhysIrq(0, 60, 40);
    expect(m.getMap(40)).toBe(l.irq);
    expect(m.irq(40)!.pending || m.vcpuState(0).lr.isActive(0)).toBe(true);
    m.setRunState(0, 'host');
    expect(m.mapIsActive(40)).toBe(true);
    m.resetMappedIrq(40);
    expect(m.irq(40)!.active).toBe(false);
    m.unmapPhysIrq(0, 40);
    expect(m.getMap(40)).toBe(-1);
    const u = createArmMachine({ vcpus: 1, init: false });
    expect(() => u.unmapPhysIrq(0, 40)).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
    m.mapPhysIrq(0, 60, 20); // a PPI
    expect(m.getMap(20)).toBe(60);
  });

  it('ARM-3.15 the host handler only drops priority; the guest deactivation deactivates the line', () => {
    const m = fixture();
    const p = platformDevice(m);
    m.forward({ hostIrq: 77, gsi: 0 });
    p.assert();
    expect(p.line.active).toBe(true);
    expect(p.vfio.masked).toBe(false);
    expect(take(m)).toBe(32);
    p.deassert();
    expect(p.line.active).toBe(true);
    eoi(m, 32);
    expect(p.line.active).toBe(false);
  });

  it('ARM-3.16 a forwarded level IRQ observes rising edges only', () => {
    const m = fixture({}, [32]);
    m.host.irqs.createLine(61);
    m.mapPhysIrq(0, 61, 32);
    expect(line(m, 32, 1)).toBe(1);
    expect(line(m, 32, 0)).toBe(-1);
    expect(m.irq(32)!.lineLevel).toBe(false); // lowered by populating the LR, not by the de-assert
    expect(take(m)).toBe(32);
  });

  it('ARM-3.17 resample at fold; swResample presents a software level IRQ and releases at fold', () => {
    const m = fixture({}, [33]);
    const p = platformDevice(m, { irq: 62, gsi: 1 });
    m.setRunState(0, 'host');
    m.mapPhysIrq(0, 62, 33, { swResample: true });
    p.line.setActiveState(true);
    m.setRunState(0, 'guest');
    line(m, 33, 1);
    const lr = m.vcpuState(0).lr;
    expect([lr.hw[0], lr.eoi[0]]).toEqual([0, 1]);
    expect(take(m)).toBe(33);
    line(m, 33, 0);
    eoi(m, 33);
    expect(p.line.active).toBe(false); // neither active nor latched at fold: released
    const g = fixture({}, [34]);
    const q = platformDevice(g, { irq: 63, gsi: 2 });
    let level = true;
    g.mapPhysIrq(0, 63, 34, { getInputLevel: () => level });
    q.line.setActiveState(true);
    line(g, 34, 1);
    level = false;
    g.setRunState(0, 'host');
    expect(g.irq(34)!.lineLevel).toBe(false);
    expect(q.line.active).toBe(false);
  });

  it('ARM-3.18 guest ISPENDR/ICPENDR/IS-ICACTIVER/ISENABLER reach the physical side', () => {
    const m = fixture();
    const p = platformDevice(m);
    m.forward({ hostIrq: 77, gsi: 0 });
    setBit(m, ISPENDR, 32);
    expect(p.line.active).toBe(true);
    setBit(m, ICPENDR, 32);
    expect(p.line.active).toBe(false);
    setBit(m, ISACTIVER, 32);
    expect(p.line.active).toBe(true);
    setBit(m, ICACTIVER, 32);
    expect(p.line.active).toBe(false);
    // ISENABLER re-reads the line: high → low while inactive releases the physical active state.
    p.assert();
    m.setRunState(0, 'host');
    distWrite(m, 0x184, 1);
    m.irq(32)!.lineLevel = true;
    p.deassert();
    setBit(m, ISENABLER, 32);
    expect(m.irq(32)!.lineLevel).toBe(false);
    expect(p.line.active).toBe(false);
  });
});

describe('arm.md §3.6 forwarding a physical SPI', () => {
  it('ARM-3.19 forward checks VGIC, GSI, SPI, host IRQ, then the VFIO state, in that order', () => {
    const u = createArmMachine({ vcpus: 1, init: false });
    expect(() => u.forward({ hostIrq: 1, gsi: 0 })).toThrow(
      expect.objectContaining({ code: 'EAGAIN' }),
    );
    const m = fixture();
    const p = platformDevice(m);
    const t: RoutingEntry[] = [
      ...(m.vm.router.entries() as RoutingEntry[]).filter((e) => e.gsi !== 1 && e.gsi !== 2),
      { gsi: 2, kind: 'irqchip', chip: 0, pin: 500 },
    ];
    m.vm.setGsiRouting(t);
    const code = (f: () => void) => {
      try {
        f();
        return 'ok';
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(code(() => m.forward({ hostIrq: 999, gsi: 1 }))).toBe('EINVAL'); // gsi 1 unrouted
    expect(code(() => m.forward({ hostIrq: 77, gsi: 2 }))).toBe('EINVAL'); // SPI 532 missing
    expect(code(() => m.forward({ hostIrq: 999, gsi: 0 }))).toBe('EINVAL'); // no such host IRQ
    p.assert(); // VFIO masks it while in flight
    expect(code(() => m.forward({ hostIrq: 77, gsi: 0 }))).toBe('EAGAIN');
    expect(m.getMap(32)).toBe(-1);
  });

  it('ARM-3.20 unforward without a resampler only deactivates the physical IRQ', () => {
    const m = fixture();
    const p = platformDevice(m, { resample: false });
    m.forward({ hostIrq: 77, gsi: 0 });
    p.assert();
    expect(take(m)).toBe(32);
    m.unforward({ hostIrq: 77, gsi: 0 });
    expect(p.vfio.masked).toBe(true); // the still-asserted line fired again, non-forwarded
    expect(m.irq(32)!.hw).toBe(false);
    expect(m.vcpuState(0).lr.eoi[0]).toBe(1);
  });

  it('ARM-3.21 while forwarded, no ack notification and no resamplefd signal', () => {
    const m = fixture();
    const p = platformDevice(m);
    m.forward({ hostIrq: 77, gsi: 0 });
    const d = track(m);
    for (let k = 0; k < 3; k++) {
      p.assert();
      expect(take(m)).toBe(32);
      p.deassert();
      eoi(m, 32);
    }
    expect(d('ackNotifications') + d('resamplefdSignals')).toBe(0);
    expect(d('schedTasks')).toBe(3);
    expect(p.rfd.count).toBe(0);
  });
});
