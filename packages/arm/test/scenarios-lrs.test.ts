import { EventFd, type RoutingEntry } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { HCR } from '../src/index.js';
import {
  bit,
  distWrite,
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

describe('arm.md §8.4 list registers, maintenance, affinity', () => {
  it('S-ARM-33 LR overflow, edge: every SPI once, in priority order, NPIE and UIE at first entry', () => {
    const m = fixture();
    m.setRunState(0, 'host');
    for (let i = 0; i < 10; i++) {
      setPriority(m, 32 + i, ((i * 7) % 10) * 0x10);
    }
    m.setRunState(0, 'host');
    for (let i = 0; i < 10; i++) line(m, 32 + i, 1);
    const d = track(m);
    m.setRunState(0, 'guest');
    const hcr = m.vcpuState(0).hcr;
    expect(hcr & HCR.NPIE).not.toBe(0);
    expect(hcr & HCR.UIE).not.toBe(0);
    const got: number[] = [];
    for (;;) {
      const t = take(m);
      if (t === 1023) break;
      got.push(t);
      eoi(m, t);
    }
    const expected = Array.from({ length: 10 }, (_, i) => 32 + i).sort(
      (a, b) => m.irq(a)!.priority - m.irq(b)!.priority,
    );
    expect(got).toEqual(expected);
    expect(d('exits.maintenance')).toBeGreaterThanOrEqual(2);
  });

  it('S-ARM-34 the first flush loads exactly the four highest-priority SPIs', () => {
    const m = fixture();
    for (let i = 0; i < 6; i++) setPriority(m, 32 + i, (i + 1) * 0x10);
    m.setRunState(0, 'host');
    for (let i = 5; i >= 0; i--) line(m, 32 + i, 1);
    m.setRunState(0, 'guest');
    const lr = m.vcpuState(0).lr;
    const loaded = [0, 1, 2, 3].map((n) => lr.vintid[n]).sort();
    expect(loaded).toEqual([32, 33, 34, 35]);
    expect([0, 1, 2, 3].map((n) => lr.priority[n]).sort()).toEqual([0x10, 0x20, 0x30, 0x40]);
  });

  it('S-ARM-35 EOI maintenance for software level IRQs; ack notification only for SPIs', () => {
    const m = fixture({}, [32]);
    const d = track(m);
    m.injectLine({ kind: 'ppi', vcpu: 0, intid: 20, level: 1 });
    expect(take(m)).toBe(20);
    m.injectLine({ kind: 'ppi', vcpu: 0, intid: 20, level: 0 });
    eoi(m, 20);
    line(m, 32, 1);
    expect(take(m)).toBe(32);
    line(m, 32, 0);
    eoi(m, 32);
    expect(d('exits.maintenance')).toBe(2);
    expect(d('ackNotifications')).toBe(1);
    line(m, 33, 1);
    eoi(m, take(m));
    expect(d('exits.maintenance')).toBe(2);
  });

  it('S-ARM-36 no overflow, no refill traps: 3 edge SPIs cost 0 exits', () => {
    const m = fixture();
    m.setRunState(0, 'host');
    for (const i of [32, 33, 34]) line(m, i, 1);
    m.setRunState(0, 'guest');
    const hcr = m.vcpuState(0).hcr;
    expect(hcr & (HCR.NPIE | HCR.UIE | HCR.LRENPIE)).toBe(0);
    const d = track(m);
    for (let k = 0; k < 3; k++) eoi(m, take(m));
    expect(d('exits.kick') + d('exits.maintenance') + d('exits.mmio') + d('exits.sysreg')).toBe(0);
  });

  it("S-ARM-37 a pending IRQ follows its new target at the old vCPU's prune", () => {
    const m = fixture({ vcpus: 2 });
    m.setRunState(0, 'host');
    line(m, 40, 1);
    expect(m.irq(40)!.vcpu?.id).toBe(0);
    m.mmio.write64(1, m.layout.dist + 0x6000 + 40 * 8, BigInt(m.vcpuState(1).affinity));
    const d = track(m);
    m.setRunState(0, 'guest');
    expect(m.vcpuState(0).usedLrs).toBe(0);
    m.setRunState(0, 'host');
    expect(d('exits.kick', 1)).toBe(1);
    expect(take(m, 1)).toBe(40);
  });

  it('S-ARM-38 an active IRQ does not migrate; the re-injection follows the new target', () => {
    const m = fixture({ vcpus: 2 });
    line(m, 40, 1);
    expect(take(m, 0)).toBe(40);
    m.mmio.write64(0, m.layout.dist + 0x6000 + 40 * 8, BigInt(m.vcpuState(1).affinity));
    line(m, 40, 1);
    expect(m.irq(40)!.vcpu?.id).toBe(0);
    expect(m.vcpuState(0).lr.state[0]).toBe(3);
    expect(take(m, 1)).toBe(1023);
    eoi(m, 40, 0);
    m.setRunState(0, 'host');
    expect(take(m, 1)).toBe(40);
  });

  it('S-ARM-39 cross-vCPU DIR traps on the deactivating vCPU and deactivates', () => {
    const m = fixture({ vcpus: 2 });
    m.cpu(0).eoiMode = 1;
    m.cpu(1).eoiMode = 1;
    line(m, 32, 1);
    expect(take(m, 0)).toBe(32);
    eoi(m, 32, 0);
    const d = track(m);
    m.cpu(1).dir(32);
    expect(d('exits.sysreg', 1)).toBe(1);
    expect(m.irq(32)!.active).toBe(false);
    expect(bit(m, ISACTIVER, 32, 0)).toBe(0);
  });

  it('S-ARM-40 ISACTIVER halts the other running vCPU (one forced exit)', () => {
    const m = fixture({ vcpus: 2 });
    const d = track(m);
    distWrite(m, ISACTIVER + 4, 1 << 8, 0);
    expect(d('exits.kick', 1)).toBe(1);
    expect(bit(m, ISACTIVER, 40, 0)).toBe(1);
  });
});

describe('arm.md §8.5 irqfd, routing, resampling', () => {
  it('S-ARM-41 default routing: an irqfd on GSI 5 delivers SPI 37', () => {
    const m = fixture();
    const fd = new EventFd();
    m.vm.irqfds.assign({ eventfd: fd, gsi: 5 });
    fd.signal();
    expect(take(m)).toBe(37);
  });

  it('S-ARM-42 resample flow: maintenance → ack → RESAMPLER de-asserts → resamplefd once', () => {
    const m = fixture({}, [32]);
    const fd = new EventFd();
    const rfd = new EventFd();
    m.vm.irqfds.assign({ eventfd: fd, gsi: 0, resamplefd: rfd });
    const d = track(m);
    fd.signal();
    expect(m.vm.lineSources(0, 0)).toEqual([1]);
    expect(take(m)).toBe(32);
    eoi(m, 32);
    expect(d('exits.maintenance')).toBe(1);
    expect(d('ackNotifications')).toBe(1);
    expect(m.vm.lineSources(0, 0)).toEqual([]);
    expect(d('resamplefdSignals')).toBe(1);
    expect(rfd.count).toBe(1);
    expect(bit(m, ISPENDR, 32)).toBe(0);
  });

  it('S-ARM-43 resample on an SPI left edge: delivered once, never resampled', () => {
    const m = fixture();
    const fd = new EventFd();
    const rfd = new EventFd();
    m.vm.irqfds.assign({ eventfd: fd, gsi: 0, resamplefd: rfd });
    const d = track(m);
    fd.signal();
    expect(take(m)).toBe(32);
    eoi(m, 32);
    expect(take(m)).toBe(1023);
    expect(d('exits.maintenance')).toBe(0);
    expect(d('ackNotifications')).toBe(0);
    expect(rfd.count).toBe(0);
  });

  it('S-ARM-44 MSI route without devid: accepted, delivery counts EINVAL, nothing pending', () => {
    const m = fixture({ its: true });
    const t: RoutingEntry[] = [
      { gsi: 9, kind: 'msi', addressLo: 0x08090040, addressHi: 0, data: 2 },
    ];
    m.vm.setGsiRouting(t);
    const d = track(m);
    const fd = new EventFd();
    m.vm.irqfds.assign({ eventfd: fd, gsi: 9 });
    fd.signal();
    expect(d('deliveryErrors')).toBe(1);
    expect(take(m)).toBe(1023);
  });

  it('S-ARM-45 signalMsi without an ITS throws ENODEV', () => {
    const m = fixture();
    expect(() =>
      m.vm.signalMsi({ addressLo: 0x08090040, addressHi: 0, data: 2, flags: 1, devid: 1 }),
    ).toThrow(expect.objectContaining({ code: 'ENODEV' }));
  });
});

void setTrigger;
