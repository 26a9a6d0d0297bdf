import { EventFd, IrqError, type RoutingEntry } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import type { ArmMachineOptions } from '../src/index.js';
import {
  bit,
  dir,
  distRead,
  distWrite,
  eoi,
  fixture,
  ICPENDR,
  ISACTIVER,
  ISPENDR,
  line,
  rdWrite,
  setPriority,
  take,
  track,
} from './helpers.js';

// arm.md §8.1: 01–12 must also pass with nrLr = 1 and on a GICv2 model.
const MATRIX: Array<[string, Partial<ArmMachineOptions>]> = [
  ['v3, 4 LRs', { gic: 'v3', listRegisters: 4 }],
  ['v3, 1 LR', { gic: 'v3', listRegisters: 1 }],
  ['v2, 4 LRs', { gic: 'v2', listRegisters: 4 }],
  ['v2, 1 LR', { gic: 'v2', listRegisters: 1 }],
];

describe('arm.md §8.1 injection matrix', () => {
  for (const [name, cfg] of MATRIX) {
    describe(name, () => {
      it('S-ARM-01 edge SPI via line: take 32, active then inactive, 1 kick, no maintenance', () => {
        const m = fixture(cfg);
        const d = track(m);
        line(m, 32, 1);
        line(m, 32, 0);
        expect(take(m)).toBe(32);
        expect(bit(m, ISACTIVER, 32)).toBe(1);
        expect(bit(m, ISPENDR, 32)).toBe(0);
        eoi(m, 32);
        expect(bit(m, ISACTIVER, 32)).toBe(0);
        expect(bit(m, ISPENDR, 32)).toBe(0);
        expect(take(m)).toBe(1023);
        expect(d('exits.maintenance')).toBe(0);
        expect(d('exits.kick')).toBe(1);
      });

      it('S-ARM-02 edge SPI via irqfd: one delivery, 1 schedTask, no maintenance', () => {
        const m = fixture(cfg);
        const fd = new EventFd();
        m.vm.irqfds.assign({ eventfd: fd, gsi: 0 });
        const d = track(m);
        fd.signal();
        expect(take(m)).toBe(32);
        eoi(m, 32);
        expect(take(m)).toBe(1023);
        expect(d('schedTasks')).toBe(1);
        expect(d('exits.maintenance')).toBe(0);
      });

      it('S-ARM-03 edge SPI via ISPENDR: 1 mmio exit, taken, then inactive and not pending', () => {
        const m = fixture(cfg);
        const d = track(m);
        distWrite(m, ISPENDR + 4, 1);
        expect(d('exits.mmio')).toBe(1);
        expect(take(m)).toBe(32);
        eoi(m, 32);
        expect(bit(m, ISACTIVER, 32)).toBe(0);
        expect(bit(m, ISPENDR, 32)).toBe(0);
      });

      it('S-ARM-04 level SPI, line lowered before EOI: 1 maintenance, 1 ack for pin 0', () => {
        const m = fixture(cfg, [32]);
        const d = track(m);
        line(m, 32, 1);
        expect(take(m)).toBe(32);
        expect(bit(m, ISPENDR, 32)).toBe(1);
        line(m, 32, 0);
        eoi(m, 32);
        expect(d('exits.maintenance')).toBe(1);
        expect(d('ackNotifications')).toBe(1);
        expect(bit(m, ISACTIVER, 32)).toBe(0);
        expect(bit(m, ISPENDR, 32)).toBe(0);
        expect(take(m)).toBe(1023);
      });

      it('S-ARM-05 level SPI still high at EOI is presented again', () => {
        const m = fixture(cfg, [32]);
        line(m, 32, 1);
        expect(take(m)).toBe(32);
        const d = track(m);
        eoi(m, 32);
        expect(d('exits.maintenance')).toBe(1);
        expect(take(m)).toBe(32);
      });

      it('S-ARM-06 level SPI via ISPENDR with the line low: the soft latch is consumed', () => {
        const m = fixture(cfg, [32]);
        distWrite(m, ISPENDR + 4, 1);
        expect(take(m)).toBe(32);
        const d = track(m);
        eoi(m, 32);
        expect(d('exits.maintenance')).toBe(1);
        expect(bit(m, ISPENDR, 32)).toBe(0);
        expect(take(m)).toBe(1023);
      });

      it('S-ARM-07 ICPENDR on a level SPI whose line is high leaves it pending', () => {
        const m = fixture(cfg, [32]);
        line(m, 32, 1);
        distWrite(m, ICPENDR + 4, 1);
        expect(bit(m, ISPENDR, 32)).toBe(1);
        expect(take(m)).toBe(32);
      });

      it('S-ARM-08 EOImode 1, edge: EOIR drops priority only, DIR deactivates, no exits', () => {
        const m = fixture(cfg);
        m.cpu(0).eoiMode = 1;
        line(m, 32, 1);
        expect(take(m)).toBe(32);
        const d = track(m);
        eoi(m, 32);
        expect(m.cpu(0).apr(0) | m.cpu(0).apr(1)).toBe(0);
        expect(d('exits.mmio') + d('exits.sysreg') + d('exits.maintenance')).toBe(0);
        expect(bit(m, ISACTIVER, 32)).toBe(1);
        const d2 = track(m);
        dir(m, 32);
        expect(d2('exits.sysreg') + d2('exits.maintenance') + d2('exits.kick')).toBe(0);
        expect(bit(m, ISACTIVER, 32)).toBe(0);
      });

      it('S-ARM-09 EOImode 1, level: maintenance only at DIR', () => {
        const m = fixture(cfg, [32]);
        m.cpu(0).eoiMode = 1;
        line(m, 32, 1);
        expect(take(m)).toBe(32);
        line(m, 32, 0);
        const d = track(m);
        eoi(m, 32);
        expect(d('exits.maintenance')).toBe(0);
        expect(m.irq(32)!.active || m.vcpuState(0).lr.isActive(0)).toBe(true);
        dir(m, 32);
        expect(d('exits.maintenance')).toBe(1);
        expect(d('ackNotifications')).toBe(1);
        expect(bit(m, ISACTIVER, 32)).toBe(0);
      });

      it('S-ARM-10 bad INTIDs are refused with EINVAL and nothing becomes pending', () => {
        const m = fixture(cfg);
        for (const intid of [64, 1020, 1024, 1120, 5120, 0xffffffff]) {
          expect(() => line(m, intid, 1)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
        }
        expect(distRead(m, ISPENDR + 4)).toBe(0);
        expect(take(m)).toBe(1023);
      });

      it('S-ARM-11 routing pin limits: 988 rejected, 100 accepted but delivers nothing', () => {
        const m = fixture(cfg);
        const bad: RoutingEntry[] = [{ gsi: 0, kind: 'irqchip', chip: 0, pin: 988 }];
        expect(() => m.vm.setGsiRouting(bad)).toThrow(IrqError);
        expect(m.vm.entriesFor(0)).toEqual([{ gsi: 0, kind: 'irqchip', chip: 0, pin: 0 }]);
        const far: RoutingEntry[] = [{ gsi: 0, kind: 'irqchip', chip: 0, pin: 100 }];
        m.vm.setGsiRouting(far);
        const fd = new EventFd();
        m.vm.irqfds.assign({ eventfd: fd, gsi: 0 });
        const d = track(m);
        fd.signal();
        expect(d('deliveryErrors')).toBe(1);
        expect(distRead(m, ISPENDR + 4)).toBe(0);
        expect(take(m)).toBe(1023);
      });

      it('S-ARM-12 PPIs and owners', () => {
        const m = fixture(cfg);
        m.injectLine({ kind: 'ppi', vcpu: 0, intid: 23, level: 1 });
        expect(take(m)).toBe(23);
        expect(() => m.injectLine({ kind: 'ppi', intid: 23, level: 1 })).toThrow(
          expect.objectContaining({ code: 'EINVAL' }),
        );
        const timer = {};
        m.setOwner(0, 27, timer);
        const r = m.injectLine({ kind: 'ppi', vcpu: 0, intid: 27, level: 1 });
        expect(r.status).toBeLessThan(1);
        expect(m.irq(27)!.lineLevel).toBe(false);
        expect(m.injectLine({ kind: 'ppi', vcpu: 0, intid: 27, level: 1 }, timer).status).toBe(1);
      });
    });
  }

  it('S-ARM-13 v3 SGI: TargetList, IRM, missing vCPUs', () => {
    const m = fixture({ vcpus: 3 });
    const d = track(m);
    m.cpu(0).sgi(BigInt((5 << 24) | 0b10));
    expect(d('exits.sysreg', 0)).toBe(1);
    expect(take(m, 1)).toBe(5);
    expect(take(m, 2)).toBe(1023);
    eoi(m, 5, 1);
    m.cpu(0).sgi(BigInt(5 << 24) | (1n << 40n));
    expect(take(m, 0)).toBe(1023);
    expect(take(m, 1)).toBe(5);
    expect(take(m, 2)).toBe(5);
    eoi(m, 5, 1);
    eoi(m, 5, 2);
    m.cpu(0).sgi(BigInt((5 << 24) | (1 << 9)));
    for (let v = 0; v < 3; v++) expect(take(m, v)).toBe(1023);
  });

  it('S-ARM-14 v2 SGI with two sources is presented once per source', () => {
    const m = fixture({ gic: 'v2', vcpus: 3 });
    distWrite(m, 0xf00, (1 << 16) | 3, 1);
    distWrite(m, 0xf00, (1 << 16) | 3, 2);
    const d = track(m);
    expect(take(m, 0)).toBe(3 | (1 << 10));
    eoi(m, 3 | (1 << 10), 0);
    expect(take(m, 0)).toBe(3 | (2 << 10));
    eoi(m, 3 | (2 << 10), 0);
    expect(take(m, 0)).toBe(1023);
    expect(d('exits.maintenance')).toBeGreaterThanOrEqual(1);
    distWrite(m, ISPENDR, 1 << 4, 0);
    expect(bit(m, ISPENDR, 4)).toBe(0);
    distWrite(m, 0xf24, 0x01, 0);
    expect(take(m, 0)).toBe(4);
  });

  it('S-ARM-15 group gating: a disabled group-0 SGI is never signalled until IGRPEN0', () => {
    const m = fixture();
    rdWrite(m, 0, 0x10080, 0xfffffffe);
    for (let n = 0; n < 16; n++) setPriority(m, n, (n + 1) * 8);
    rdWrite(m, 0, 0x10200, 0xffff);
    const got: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t = take(m);
      got.push(t);
      eoi(m, t);
    }
    expect(got).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(bit(m, ISPENDR, 0)).toBe(1);
    expect(bit(m, ISACTIVER, 0)).toBe(0);
    expect(m.cpu(0).iar(1)).toBe(1023);
    expect(m.cpu(0).iar(0)).toBe(1023);
    m.cpu(0).setGroupEnabled(0, true);
    expect(m.cpu(0).iar(0)).toBe(0);
  });
});
