import { describe, expect, it } from 'vitest';
import { HCR } from '../src/index.js';
import { eoi, fixture, line, setPriority, take, track } from './helpers.js';
import { platformDevice } from './platform.js';

describe('arm.md §2.5 CPU interface', () => {
  it('ARM-2.9 five priority bits; running priority is the highest active one, 0xFF when idle', () => {
    const m = fixture();
    setPriority(m, 32, 0x4f);
    expect(m.irq(32)!.priority).toBe(0x48);
    expect(m.cpu(0).rpr).toBe(0xff);
    line(m, 32, 1);
    expect(take(m)).toBe(32);
    expect(m.cpu(0).rpr).toBe(0x48);
    expect(m.sysreg.read(0, 'ICC_RPR_EL1')).toBe(0x48);
    expect(m.cpu(0).apr(1)).toBe(1 << (0x48 >>> 3));
    eoi(m, 32);
    expect(m.cpu(0).rpr).toBe(0xff);
  });

  it('ARM-2.10 only Pending LRs are candidates; lowest priority wins, ties lowest LR; PMR and running priority gate', () => {
    const m = fixture();
    m.setRunState(0, 'host');
    for (const i of [32, 33, 34]) setPriority(m, i, 0x80);
    m.setRunState(0, 'host');
    for (const i of [33, 32, 34]) line(m, i, 1);
    m.setRunState(0, 'guest');
    expect(take(m)).toBe(m.vcpuState(0).lr.vintid[0]);
    m.cpu(0).pmr = 0x80;
    expect(take(m)).toBe(1023);
    m.cpu(0).pmr = 0x88;
    expect(take(m)).toBe(1023); // equal to the running priority: no pre-emption
  });

  it('ARM-2.11 acknowledge: Pending → Active, priority becomes active, no exit; 1023 changes nothing', () => {
    const m = fixture();
    line(m, 32, 1);
    const d = track(m);
    const lr = m.vcpuState(0).lr;
    expect(lr.state[0]).toBe(1);
    expect(take(m)).toBe(32);
    expect(lr.state[0]).toBe(2);
    expect(m.cpu(0).apr(1)).not.toBe(0);
    expect(take(m)).toBe(1023);
    expect(lr.state[0]).toBe(2);
    expect(d('exits.kick') + d('exits.mmio') + d('exits.maintenance') + d('exits.sysreg')).toBe(0);
  });

  it('ARM-2.12 EOImode 0: drop and deactivate; HW deactivates the host line; misses count EOIcount', () => {
    const m = fixture();
    const p = platformDevice(m);
    m.forward({ hostIrq: 77, gsi: 0 });
    p.assert();
    expect(take(m)).toBe(32);
    p.deassert();
    eoi(m, 32);
    expect(p.line.active).toBe(false);
    expect(m.vcpuState(0).lr.state[0]).toBe(0);
    const v = m.vcpuState(0);
    line(m, 33, 1);
    expect(take(m)).toBe(33);
    m.cpu(0).eoir(40); // in no LR: priority drop and EOIcount
    expect(v.eoiCount).toBe(1);
    expect(m.cpu(0).rpr).toBe(0xff);
  });

  it('ARM-2.13 EOImode 1: EOIR only drops, DIR deactivates; DIR in EOImode 0 does nothing', () => {
    const m = fixture();
    line(m, 32, 1);
    expect(take(m)).toBe(32);
    m.cpu(0).dir(32);
    expect(m.vcpuState(0).lr.state[0]).toBe(2);
    m.cpu(0).eoiMode = 1;
    m.cpu(0).eoir(32);
    expect(m.cpu(0).rpr).toBe(0xff);
    expect(m.vcpuState(0).lr.state[0]).toBe(2);
    m.cpu(0).dir(32);
    expect(m.vcpuState(0).lr.state[0]).toBe(0);
    // A DIR for an IRQ in no LR traps when TDIR is set (an SPI is in flight).
    expect(m.vcpuState(0).hcr & HCR.TDIR).not.toBe(0);
    const d = track(m);
    m.cpu(0).dir(45);
    expect(d('exits.sysreg')).toBe(1);
  });

  it('ARM-2.14 EOI of something not active changes no IRQ, still drops; special INTIDs are ignored', () => {
    const m = fixture();
    line(m, 32, 1);
    expect(take(m)).toBe(32);
    const before = m.irq(33)!.pending;
    m.cpu(0).eoir(33);
    expect(m.cpu(0).rpr).toBe(0xff);
    expect(m.irq(33)!.pending).toBe(before);
    expect(m.vcpuState(0).lr.state[0]).toBe(2);
    line(m, 34, 1);
    expect(take(m)).toBe(34);
    m.cpu(0).eoir(1023);
    expect(m.cpu(0).rpr).not.toBe(0xff);
  });

  it('ARM-2.15 PMR/IGRPEN/CTLR do not exit; PMR acts on LRs at once, on the ap_list at entry; group enable exits', () => {
    const m = fixture();
    line(m, 32, 1);
    const d = track(m);
    m.cpu(0).pmr = 0;
    m.cpu(0).eoiMode = 1;
    m.cpu(0).eoiMode = 0;
    expect(d('exits.mmio') + d('exits.sysreg') + d('exits.maintenance')).toBe(0);
    expect(take(m)).toBe(1023);
    m.cpu(0).pmr = 0xf8;
    expect(take(m)).toBe(32);
    eoi(m, 32);
    // The WFI check uses the saved PMR: a masked pending IRQ does not keep the vCPU awake.
    m.cpu(0).pmr = 0x10;
    line(m, 33, 1);
    m.setRunState(0, 'blocked');
    expect(m.runState(0)).toBe('blocked');
    // Enabling a disabled group raises a maintenance exit so the LRs can be refilled.
    m.setRunState(0, 'guest');
    m.cpu(0).pmr = 0xf8;
    m.cpu(0).setGroupEnabled(1, false);
    const d2 = track(m);
    m.cpu(0).setGroupEnabled(1, true);
    expect(d2('exits.maintenance')).toBe(1);
  });
});
