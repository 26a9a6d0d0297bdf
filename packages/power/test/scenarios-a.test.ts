import { IrqError } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { createPowerMachine, decodeIrq, H_PARAMETER, H_SUCCESS } from '../src/index.js';
import {
  A,
  B,
  events,
  icp,
  L,
  MSI_RESET,
  rtas,
  SET_LEVEL,
  setXive,
  st,
  std,
  trig,
  UNSET,
} from './fixture.js';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof IrqError) return e.code;
    throw e;
  }
  return 'ok';
};

describe('PWR §13 conformance scenarios S01–S20', () => {
  it('PWR-S01: decode splits BUID and source; 0x100000 belongs to no ICS', () => {
    expect(decodeIrq(0x1234)).toEqual({ icsId: 4, src: 0x234 });
    expect(decodeIrq(0x3ff)).toEqual({ icsId: 0, src: 0x3ff });
    expect(decodeIrq(0x400)).toEqual({ icsId: 1, src: 0 });
    expect(decodeIrq(0xfffff)).toEqual({ icsId: 1023, src: 0x3ff });
    expect(decodeIrq(0x100000)).toBeNull();
  });

  it('PWR-S02: writing every source 0x1000..0x1FFF creates exactly ICS 4..7', () => {
    const m = createPowerMachine({ vcpus: 1, xics: 'device' });
    for (let irq = 0x1000; irq <= 0x1fff; irq++) m.setSource(irq, MSI_RESET);
    expect(m.icsIds()).toEqual([4, 5, 6, 7]);
    expect(m.maxIcsId).toBe(7);
  });

  it('PWR-S03: source creation range, has-attr, and ICS 1023', () => {
    const m = createPowerMachine({ vcpus: 1, xics: 'device' });
    expect(code(() => m.setSource(15, MSI_RESET))).toBe('ENOENT');
    expect(code(() => m.setSource(2, MSI_RESET))).toBe('ENOENT');
    expect(code(() => m.setSource(0x100000, MSI_RESET))).toBe('ENOENT');
    expect(code(() => m.hasAttr(1, 16))).toBe('ok');
    expect(code(() => m.hasAttr(1, 0x100000))).toBe('ENXIO');
    expect(m.icsIds()).toEqual([]);
    m.setSource(0xfffff, MSI_RESET);
    expect(m.icsIds()).toEqual([1023]);
  });

  it('PWR-S04: get/trigger need the slot to exist, not just its ICS', () => {
    const m = createPowerMachine({ vcpus: 3 });
    expect(code(() => m.getSource(0x1000))).toBe('ENOENT');
    m.setSource(0x1001, MSI_RESET);
    expect(code(() => m.getSource(0x1000))).toBe('ENOENT');
    expect(m.trigger(0x1000, 1)).toBe(-22);
    expect(m.trigger(0x1001, 1)).toBe(0);
    expect(m.sourceState(0x1001)).toMatchObject({ maskedPending: true, pq: 1 });
  });

  it('PWR-S05: no ICS: trigger -EINVAL, set-xive -3, H_EOI H_PARAMETER (real mode H_SUCCESS)', () => {
    for (const profile of ['virtual', 'hv-realmode'] as const) {
      const m = std({ profile });
      m.hCppr(0, 5);
      expect(events(m, () => expect(m.trigger(0x2000, 1)).toBe(-22))).toEqual([]);
      expect(setXive(m, 0x2000, 0, 5)).toBe(-3);
      const r = m.hcall(0, 0x64, 0xff002000n);
      expect(icp(m, 0).cppr).toBe(0xff);
      expect(r.r3).toBe(profile === 'virtual' ? H_PARAMETER : H_SUCCESS);
    }
  });

  it('PWR-S06: a VM without XICS: -ENODEV, KVM_IRQ_LINE ENXIO, hcalls go to userspace', () => {
    const m = createPowerMachine({ vcpus: 1, xics: 'none' });
    expect(m.trigger(0x1000, 1)).toBe(-19);
    expect(m.vm.setIrq(0, 0x1000, true)).toBeLessThan(0); // the core folds errors into IGNORED
    expect(code(() => m.irqLine(0x1000, 1))).toBe('ENXIO');
    let r: ReturnType<typeof m.hcall> | undefined;
    expect(events(m, () => (r = m.hcall(0, 0x74)))).toEqual(['exit(0,user,hcall)']);
    expect(r).toEqual({ r3: null, handledIn: 'user' });
  });

  it('PWR-S07: set-xive, trigger, accept and EOI of an MSI', () => {
    const m = std();
    expect(setXive(m, A, 1, 5)).toBe(0);
    expect(rtas(m, 'ibm,get-xive', [A])).toEqual([0, 1, 5]);
    expect(events(m, () => trig(m, A))).toEqual(['eeRaise(1)', 'kick(1)']);
    expect(icp(m, 1)).toEqual(st(0xff, 0xff, 0x05, 0x1000));
    expect(m.sourceState(A)!.pq).toBe(1);
    let r4 = 0n;
    expect(events(m, () => (r4 = m.hcall(1, 0x74).r4!))).toEqual(['eeLower(1)']);
    expect(r4).toBe(0xff001000n);
    expect(icp(m, 1)).toEqual(st(0x05, 0xff, 0xff, 0));
    expect(events(m, () => m.hEoi(1, 0xff001000))).toEqual(['ack(0x1000)']);
    expect(icp(m, 1)).toEqual(st(0xff, 0xff, 0xff, 0));
    expect(m.sourceState(A)!.pq).toBe(0);
  });

  it('PWR-S08: set-xive argument count and server checks (even when masking)', () => {
    const m = std();
    const before = m.getSource(A);
    expect(m.rtasByName(0, 'ibm,set-xive', [A, 1], 1)).toEqual([-3]);
    expect(setXive(m, A, 9, 5)).toBe(-3);
    expect(m.getSource(A)).toBe(before);
    expect(setXive(m, A, 9, 0xff)).toBe(-3);
    expect(m.getSource(A)).toBe(before);
  });

  it('PWR-S09: a blocked delivery lands in resend and is delivered by a CPPR drop', () => {
    const m = std();
    setXive(m, A, 1, 5);
    m.hCppr(1, 5);
    trig(m, A);
    expect(icp(m, 1)).toEqual(st(0x05, 0xff, 0xff, 0));
    expect(m.sourceState(A)!.resend).toBe(true);
    expect(m.icpState(1)).toMatchObject({ needResend: true, resendMap: [4] });
    const w = m.getSource(A);
    expect(w & (1n << 42n)).not.toBe(0n); // PENDING
    expect(w & (1n << 43n)).not.toBe(0n); // PRESENTED
    m.hCppr(1, 6);
    expect(icp(m, 1)).toEqual(st(0x06, 0xff, 0x05, 0x1000));
    expect(m.sourceState(A)!.resend).toBe(false);
  });

  it('PWR-S10: a freshly connected ICP (CPPR 0) blocks delivery until H_CPPR', () => {
    const m = std({ vcpus: 4 });
    m.connectVcpu(3, 3);
    expect(m.getIcp(3)).toBe(0x00000000ffff0000n);
    setXive(m, B, 3, 5);
    trig(m, B);
    expect(icp(m, 3).xisr).toBe(0);
    expect(m.sourceState(B)!.resend).toBe(true);
    m.hCppr(3, 0xff);
    expect(icp(m, 3)).toEqual(st(0xff, 0xff, 0x05, 0x1001));
  });

  it('PWR-S11: a more favoured source rejects the pending one, which returns after EOI', () => {
    const m = std();
    setXive(m, A, 1, 5);
    setXive(m, B, 1, 3);
    trig(m, A);
    expect(icp(m, 1).xisr).toBe(A);
    trig(m, B);
    expect(icp(m, 1)).toMatchObject({ xisr: B, ppri: 3 });
    expect(m.sourceState(A)!.resend).toBe(true);
    expect(m.hXirr(1)).toBe(0xff001001);
    expect(icp(m, 1).cppr).toBe(3);
    m.hEoi(1, 0xff001001);
    expect(icp(m, 1)).toEqual(st(0xff, 0xff, 0x05, 0x1000));
    expect(m.sourceState(B)!.pq).toBe(0);
  });

  it('PWR-S12: equal priority never displaces; the tie loser is resent after EOI', () => {
    const m = std();
    setXive(m, A, 1, 5);
    setXive(m, B, 1, 5);
    trig(m, A);
    trig(m, B);
    expect(icp(m, 1).xisr).toBe(A);
    expect(m.sourceState(B)!.resend).toBe(true);
    expect(m.hXirr(1)).toBe(0xff001000);
    m.hEoi(1, 0xff001000);
    expect(icp(m, 1)).toMatchObject({ xisr: B, ppri: 5 });
  });

  it('PWR-S13: H_CPPR up rejects into resend; H_CPPR down re-presents with a self kick', () => {
    const m = std();
    setXive(m, A, 1, 5);
    trig(m, A);
    expect(events(m, () => m.hCppr(1, 5))).toEqual(['eeLower(1)']);
    expect(icp(m, 1)).toEqual(st(0x05, 0xff, 0xff, 0));
    expect(m.sourceState(A)!.resend).toBe(true);
    expect(events(m, () => m.hCppr(1, 0xff))).toEqual(['eeRaise(1)', 'kick(1,self)']);
    expect(icp(m, 1)).toEqual(st(0xff, 0xff, 0x05, 0x1000));
  });

  it('PWR-S14: H_CPPR up to a value that still admits the pending irq rejects nothing', () => {
    const m = std();
    setXive(m, A, 1, 5);
    trig(m, A);
    expect(events(m, () => m.hCppr(1, 6))).toEqual(['eeLower(1)', 'eeRaise(1)']);
    expect(icp(m, 1)).toEqual(st(0x06, 0xff, 0x05, 0x1000));
  });

  it('PWR-S15: H_CPPR to the current value does nothing', () => {
    const m = std();
    const before = m.getIcp(1);
    expect(events(m, () => m.hCppr(1, 0xff))).toEqual([]);
    expect(m.getIcp(1)).toBe(before);
  });

  it('PWR-S16: an asserted LSI is re-presented by H_EOI before the ack', () => {
    const m = std();
    setXive(m, L, 0, 5);
    m.trigger(L, SET_LEVEL);
    expect(m.sourceState(L)!.pq & 1).toBe(1);
    expect(icp(m, 0)).toEqual(st(0xff, 0xff, 0x05, 0x1200));
    expect(m.hXirr(0)).toBe(0xff001200);
    const ev = events(m, () => m.hEoi(0, 0xff001200));
    expect(icp(m, 0)).toEqual(st(0xff, 0xff, 0x05, 0x1200));
    expect(ev).toEqual(['eeRaise(0)', 'kick(0,self)', 'ack(0x1200)']);
  });

  it('PWR-S17: de-asserting before EOI prevents the re-presentation', () => {
    const m = std();
    setXive(m, L, 0, 5);
    m.trigger(L, SET_LEVEL);
    m.hXirr(0);
    const before = icp(m, 0);
    m.trigger(L, UNSET);
    expect(m.sourceState(L)!.pq).toBe(0);
    expect(icp(m, 0)).toEqual(before);
    expect(events(m, () => m.hEoi(0, 0xff001200))).toEqual(['ack(0x1200)']);
    expect(icp(m, 0)).toEqual(st(0xff, 0xff, 0xff, 0));
  });

  it('PWR-S18: asserting an asserted LSI again is a no-op', () => {
    const m = std();
    setXive(m, L, 0, 5);
    m.trigger(L, SET_LEVEL);
    const before = m.getIcp(0);
    let r = -1;
    expect(events(m, () => (r = m.trigger(L, SET_LEVEL)))).toEqual([]);
    expect(r).toBe(0);
    expect(m.getIcp(0)).toBe(before);
    expect(m.sourceState(L)!.resend).toBe(false);
  });

  it('PWR-S19: de-assert does not withdraw a presented LSI', () => {
    const m = std();
    setXive(m, L, 0, 5);
    m.trigger(L, SET_LEVEL);
    m.trigger(L, UNSET);
    expect(icp(m, 0).xisr).toBe(L);
    expect(m.hXirr(0)).toBe(0xff001200);
    m.hEoi(0, 0xff001200);
    expect(icp(m, 0)).toEqual(st(0xff, 0xff, 0xff, 0));
  });

  it('PWR-S20: level 0 and UNSET are no-ops for an MSI', () => {
    const m = std();
    setXive(m, A, 1, 5);
    const ev = events(m, () => {
      expect(m.trigger(A, 0)).toBe(0);
      expect(m.trigger(A, UNSET)).toBe(0);
    });
    expect(ev).toEqual([]);
    expect(m.sourceState(A)!.pq).toBe(0);
  });
});
