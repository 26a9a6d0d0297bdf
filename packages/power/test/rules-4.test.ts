import { describe, expect, it } from 'vitest';
import { createPowerMachine } from '../src/index.js';
import {
  A,
  B,
  events,
  icp,
  L,
  MSI_RESET,
  rtas,
  SET,
  SET_LEVEL,
  setXive,
  st,
  std,
  trig,
  UNSET,
} from './fixture.js';

const C = 0x1002;
const D = 0x1402; // in ICS 5

describe('PWR §4.1 trigger', () => {
  it('PWR-4.1: -ENODEV without a device, -EINVAL without a created slot (nothing changes), else 0', () => {
    expect(createPowerMachine({ vcpus: 1, xics: 'none' }).trigger(A, 1)).toBe(-19);
    const m = std();
    const before = m.save();
    expect(m.trigger(0x1005, 1)).toBe(-22); // ICS exists, slot does not
    expect(m.trigger(0x5000, 1)).toBe(-22); // no ICS
    expect(m.save()).toEqual(before);
    expect(m.trigger(A, 1)).toBe(0);
  });

  it('PWR-4.2: SET_LEVEL and SET mean 1, UNSET and 0 mean 0, anything else means 1', () => {
    const m = std();
    setXive(m, L, 0, 5);
    const level = (v: number) => {
      m.trigger(L, v);
      return m.sourceState(L)!.pq & 1;
    };
    expect(level(SET_LEVEL)).toBe(1);
    expect(level(UNSET)).toBe(0);
    expect(level(SET)).toBe(1);
    expect(level(0)).toBe(0);
    expect(level(7)).toBe(1);
    expect(level(0xfffffffc)).toBe(1);
  });

  it('PWR-4.3: MSI P/Q transitions 00→01, 01→11, 11→11, 10→01; delivery only on 01', () => {
    const m = std();
    // masked, so a delivery attempt shows up as masked-pending
    const cases: Array<[bigint, number, boolean]> = [
      [0n, 1, true],
      [1n << 43n, 3, false],
      [3n << 43n, 3, false],
      [1n << 44n, 1, true],
    ];
    for (const [bits, pq, attempted] of cases) {
      m.setSource(A, 0x000002ff00000001n | bits);
      trig(m, A);
      expect(m.sourceState(A)).toMatchObject({ pq, maskedPending: attempted });
    }
    m.setSource(A, 0x0000000500000001n | (1n << 43n));
    expect(m.trigger(A, 0)).toBe(0);
    expect(m.sourceState(A)!.pq).toBe(1);
  });

  it('PWR-4.4: LSI: assert with P set is a no-op; assert delivers; de-assert only clears P/Q', () => {
    const m = std();
    setXive(m, L, 0, 5);
    m.setSource(L, 0x0000010500000000n | (1n << 44n)); // LEVEL, Q restored as 1
    m.trigger(L, SET_LEVEL);
    expect(m.sourceState(L)!.pq).toBe(1); // 01: Q cleared by the assert
    expect(icp(m, 0).xisr).toBe(L);
    const before = m.counters.snapshot();
    m.trigger(L, SET_LEVEL);
    expect(m.counters.delta(before)['xics.presented'] ?? 0).toBe(0);
    m.trigger(L, UNSET);
    expect(m.sourceState(L)!.pq).toBe(0);
    expect(icp(m, 0).xisr).toBe(L); // not withdrawn
  });
});

describe('PWR §4.2 delivery', () => {
  it('PWR-4.5: step 2: no ICP for the server: warn, no flag changes, P stays', () => {
    const m = std();
    m.setSource(A, 0x000000ff00000009n); // server 9 does not exist (allowed with field 0xFF)
    const ev = events(m, () => m.setSource(A, 0x000004ff00000009n)); // PENDING: offered
    expect(ev).toEqual(['warn(noServer,0x1000)']);
    expect(m.sourceState(A)).toMatchObject({ resend: false, maskedPending: false, pq: 1 });
  });

  it('PWR-4.5: step 3: a resend scan skips a slot whose resend was cleared meanwhile', () => {
    const m = std();
    setXive(m, A, 1, 5);
    setXive(m, B, 1, 5);
    m.hCppr(1, 5);
    trig(m, A);
    trig(m, B);
    // A is re-targeted while in resend: writeXive clears resend and delivers to server 2
    setXive(m, A, 2, 5);
    expect(icp(m, 2).xisr).toBe(A);
    const before = m.counters.snapshot();
    m.hCppr(1, 0xff);
    const d = m.counters.delta(before);
    expect(d['xics.presented']).toBe(1); // only B
    expect(icp(m, 1).xisr).toBe(B);
  });

  it('PWR-4.5: step 5: a masked source records masked-pending, for resends too', () => {
    const m = std();
    setXive(m, A, 1, 5);
    m.hCppr(1, 5);
    trig(m, A);
    rtas(m, 'ibm,int-off', [A]);
    m.hCppr(1, 0xff);
    expect(m.sourceState(A)).toMatchObject({ resend: false, maskedPending: true });
  });

  it('PWR-4.5: step 7: a displaced device irq is offered again with this ICP as hint; a displaced IPI is dropped', () => {
    const m = std();
    setXive(m, A, 1, 5);
    setXive(m, B, 1, 3);
    m.hIpi(0, 1, 6);
    trig(m, A); // displaces the IPI (6), no re-offer for 2
    expect(icp(m, 1)).toMatchObject({ xisr: A, mfrr: 6 });
    const before = m.counters.snapshot();
    trig(m, B); // displaces A, which is offered again and fails
    const d = m.counters.delta(before);
    expect(d['xics.rejects']).toBe(1);
    expect(d['xics.failed']).toBe(1);
    expect(m.sourceState(A)!.resend).toBe(true);
  });

  it('PWR-4.5: step 8: a failed offer sets resend and the target ICP resend map', () => {
    const m = std();
    m.setSource(D, MSI_RESET);
    setXive(m, D, 2, 5);
    m.hCppr(2, 1);
    trig(m, D);
    expect(m.sourceState(D)!.resend).toBe(true);
    expect(m.icpState(2)).toMatchObject({ needResend: true, resendMap: [5] });
    expect(m.icpState(1)!.resendMap).toEqual([]);
  });

  it('PWR-4.6: success needs priority strictly below CPPR, MFRR and PPRI', () => {
    for (const [cppr, mfrr, ok] of [
      [5, 0xff, false],
      [6, 0xff, true],
      [0xff, 5, false],
      [0xff, 6, true],
    ] as const) {
      const m = std();
      setXive(m, A, 1, 5);
      m.hCppr(1, cppr);
      if (mfrr !== 0xff) m.hIpi(1, 1, mfrr);
      m.hXirr(1);
      if (cppr !== 0xff) m.hCppr(1, cppr);
      trig(m, A);
      expect(icp(m, 1).xisr === A).toBe(ok);
    }
  });

  it('PWR-4.7: ties: an equal pending priority is not displaced; an equal MFRR blocks', () => {
    const m = std();
    setXive(m, A, 1, 5);
    setXive(m, B, 1, 5);
    trig(m, A);
    trig(m, B);
    expect(icp(m, 1).xisr).toBe(A);
    m.hIpi(0, 2, 5);
    setXive(m, C, 2, 5);
    m.setSource(C, 0x0000000500000002n);
    trig(m, C);
    expect(icp(m, 2).xisr).toBe(2);
    expect(m.sourceState(C)!.resend).toBe(true);
  });
});

describe('PWR §4.3 resend', () => {
  it('PWR-4.8: only down-CPPR, an MFRR raise by H_IPI, or an MFRR raise by setIcp scan', () => {
    const make = () => {
      const m = std();
      setXive(m, A, 1, 5);
      m.hCppr(1, 5);
      trig(m, A);
      return m;
    };
    const scans = (fn: (m: ReturnType<typeof std>) => void) => {
      const m = make();
      const before = m.counters.snapshot();
      fn(m);
      return m.counters.delta(before)['xics.resendScans'] ?? 0;
    };
    expect(scans((m) => m.hXirr(1))).toBe(0);
    expect(scans((m) => m.hCppr(1, 3))).toBe(0); // up-CPPR
    expect(scans((m) => m.hIpi(0, 1, 7))).toBe(0); // MFRR lowered (0xFF → 7)
    expect(scans((m) => m.setIcp(1, 0x05000000ffff0000n))).toBe(0); // same MFRR
    expect(scans((m) => m.trigger(B, 1))).toBe(0);
    expect(scans((m) => m.hCppr(1, 6))).toBe(1);
    expect(scans((m) => m.hEoi(1, 0x05000000))).toBe(1); // every H_EOI is a down-CPPR
    expect(
      scans((m) => {
        m.hIpi(0, 1, 7);
        m.hIpi(0, 1, 9);
      }),
    ).toBe(1);
    expect(
      scans((m) => {
        m.setIcp(1, 0x0500000000ff0000n);
        m.setIcp(1, 0x05000000ffff0000n);
      }),
    ).toBe(1);
  });

  it('PWR-4.9: scans walk ICS ids ascending and slots ascending, other servers included', () => {
    const m = std();
    m.setSource(D, MSI_RESET);
    setXive(m, D, 1, 4); // ICS 5
    setXive(m, B, 1, 6); // ICS 4
    setXive(m, A, 1, 6); // ICS 4
    setXive(m, C, 2, 6); // ICS 4, other server
    m.hCppr(1, 1);
    m.hCppr(2, 1);
    trig(m, D);
    trig(m, B);
    trig(m, A);
    trig(m, C);
    expect(m.icpState(1)!.resendMap).toEqual([4, 5]);
    m.hCppr(2, 0xff); // ICP 2's scan of ICS 4 delivers C and re-fails A and B on ICP 1
    const order: number[] = [];
    m.trace.subscribe((e) => {
      if (e.type === 'deliver') order.push(e.token);
    });
    m.hCppr(1, 0xff);
    // ICS 4 first, slots ascending: A lands (B ties with it); then ICS 5: D (4) displaces A
    expect(order.slice(0, 2)).toEqual([A, D]);
    expect(icp(m, 1)).toMatchObject({ xisr: D, ppri: 4 });
    expect(m.sourceState(A)!.resend).toBe(true); // displaced by D, failed again
    expect(m.sourceState(B)!.resend).toBe(true); // A held the ICP at equal priority
  });

  it('PWR-4.9: a scan reaches a resend source of another server and delivers it there', () => {
    const m = std();
    setXive(m, A, 1, 5);
    setXive(m, B, 2, 5);
    m.hCppr(1, 5);
    m.hCppr(2, 5);
    trig(m, A);
    trig(m, B);
    m.setIcp(2, 0xff000000ffff0000n); // ICP 2 opens without a scan of its own
    m.hCppr(1, 0xff);
    expect(icp(m, 2)).toEqual(st(0xff, 0xff, 5, B));
  });

  it('PWR-4.10: a source dropped for lack of a server is never re-offered', () => {
    const m = std();
    m.setSource(A, 0x000000ff00000009n); // server 9 does not exist (allowed with field 0xFF)
    trig(m, A);
    setXive(m, A, 1, 5); // a valid target now, but no flag records the lost occurrence
    setXive(m, B, 1, 5);
    m.hCppr(1, 4);
    trig(m, B);
    expect(m.icpState(1)!.resendMap).toEqual([4]);
    const before = m.counters.snapshot();
    m.hCppr(1, 0xff); // scans ICS 4: only B has resend set
    expect(m.counters.delta(before)['xics.presented']).toBe(1);
    expect(icp(m, 1).xisr).toBe(B);
    expect(m.sourceState(A)).toMatchObject({ resend: false, maskedPending: false, pq: 1 });
  });
});

describe('PWR §4.4 writing the XIVE', () => {
  it('PWR-4.11: an unmasking write delivers a masked-pending or resend source, clearing both flags', () => {
    const m = std();
    setXive(m, A, 1, 5);
    m.hCppr(1, 5);
    trig(m, A);
    expect(m.sourceState(A)!.resend).toBe(true);
    setXive(m, A, 2, 5);
    expect(m.sourceState(A)).toMatchObject({ resend: false, maskedPending: false });
    expect(icp(m, 2).xisr).toBe(A);
  });

  it('PWR-4.11: a masking write delivers nothing and keeps the flags; XISR is never moved', () => {
    const m = std();
    setXive(m, A, 1, 5);
    m.hCppr(1, 5);
    trig(m, A);
    setXive(m, A, 2, 0xff);
    expect(m.sourceState(A)).toMatchObject({ resend: true, server: 2, priority: 0xff });
    setXive(m, B, 0, 5);
    trig(m, B);
    setXive(m, B, 2, 5);
    expect(icp(m, 0).xisr).toBe(B);
    expect(icp(m, 2).xisr).toBe(0);
  });
});
