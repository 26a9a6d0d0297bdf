import { IrqError } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { H_PARAMETER, H_SUCCESS, H_XIRR_X } from '../src/index.js';
import { A, B, events, icp, rtas, setXive, st, std, trig } from './fixture.js';

const PENDING = 1n << 42n;
const PRESENTED = 1n << 43n;
const QUEUED = 1n << 44n;

describe('PWR §13 conformance scenarios S21–S40', () => {
  it('PWR-S21: P/Q: triggers while in service queue once; EOI re-presents once', () => {
    const m = std();
    setXive(m, A, 1, 5);
    trig(m, A);
    expect(icp(m, 1).xisr).toBe(A);
    expect(m.hXirr(1)).toBe(0xff001000);
    const inService = m.getIcp(1);
    trig(m, A);
    expect(m.sourceState(A)!.pq).toBe(3);
    expect(m.getSource(A) & (PRESENTED | QUEUED)).toBe(PRESENTED | QUEUED);
    expect(m.getIcp(1)).toBe(inService);
    trig(m, A);
    expect(m.sourceState(A)!.pq).toBe(3);
    m.hEoi(1, 0xff001000);
    expect(m.sourceState(A)!.pq).toBe(1);
    expect(icp(m, 1)).toEqual(st(0xff, 0xff, 0x05, 0x1000));
    expect(m.hXirr(1)).toBe(0xff001000);
    expect(events(m, () => m.hEoi(1, 0xff001000))).toEqual(['ack(0x1000)']);
    expect(m.sourceState(A)!.pq).toBe(0);
    expect(icp(m, 1)).toEqual(st(0xff, 0xff, 0xff, 0));
  });

  it('PWR-S22: an IPI: pending, accepted, MFRR cleared, EOI without ack', () => {
    const m = std();
    expect(events(m, () => expect(m.hIpi(0, 1, 4)).toBe(H_SUCCESS))).toEqual([
      'eeRaise(1)',
      'kick(1)',
    ]);
    expect(icp(m, 1)).toEqual(st(0xff, 0x04, 0x04, 2));
    expect(m.hXirr(1)).toBe(0xff000002);
    expect(icp(m, 1)).toEqual(st(0x04, 0x04, 0xff, 0));
    expect(events(m, () => m.hIpi(1, 1, 0xff))).toEqual([]);
    expect(icp(m, 1).mfrr).toBe(0xff);
    expect(events(m, () => m.hEoi(1, 0xff000002))).toEqual([]);
    expect(icp(m, 1)).toEqual(st(0xff, 0xff, 0xff, 0));
  });

  it('PWR-S23: EOI of an IPI whose MFRR is still set re-presents it', () => {
    const m = std();
    m.hIpi(0, 1, 4);
    m.hXirr(1);
    expect(events(m, () => m.hEoi(1, 0xff000002))).toEqual(['eeRaise(1)']);
    expect(icp(m, 1)).toEqual(st(0xff, 0x04, 0x04, 2));
  });

  it('PWR-S24: an IPI above CPPR stays latent until CPPR drops', () => {
    const m = std();
    m.hCppr(1, 3);
    expect(events(m, () => m.hIpi(0, 1, 4))).toEqual([]);
    expect(icp(m, 1)).toEqual(st(0x03, 0x04, 0xff, 0));
    expect(events(m, () => m.hCppr(1, 0xff))).toEqual(['eeRaise(1)']);
    expect(icp(m, 1)).toEqual(st(0xff, 0x04, 0x04, 2));
  });

  it('PWR-S25: an IPI displaces an equal-priority irq; MFRR raise and EOI bring it back', () => {
    const m = std();
    setXive(m, A, 1, 5);
    trig(m, A);
    m.hIpi(0, 1, 5);
    expect(icp(m, 1)).toEqual(st(0xff, 0x05, 0x05, 2));
    expect(m.sourceState(A)!.resend).toBe(true);
    expect(m.hXirr(1)).toBe(0xff000002);
    expect(icp(m, 1).cppr).toBe(5);
    m.hIpi(1, 1, 0xff);
    expect(icp(m, 1)).toEqual(st(0x05, 0xff, 0xff, 0));
    expect(m.sourceState(A)!.resend).toBe(true); // the MFRR-raise scan failed again (CPPR 5)
    m.hEoi(1, 0xff000002);
    expect(icp(m, 1)).toEqual(st(0xff, 0xff, 0x05, 0x1000));
  });

  it('PWR-S26: a more favoured irq displaces the IPI, which comes back from MFRR', () => {
    const m = std();
    setXive(m, B, 1, 3);
    m.hIpi(0, 1, 5);
    trig(m, B);
    expect(icp(m, 1)).toEqual(st(0xff, 0x05, 0x03, 0x1001));
    expect(m.hXirr(1)).toBe(0xff001001);
    m.hEoi(1, 0xff001001);
    expect(icp(m, 1)).toEqual(st(0xff, 0x05, 0x05, 2));
  });

  it('PWR-S27: an MFRR equal to the device priority blocks the device irq', () => {
    const m = std();
    m.hIpi(0, 1, 5);
    setXive(m, A, 1, 5);
    trig(m, A);
    expect(icp(m, 1).xisr).toBe(2);
    expect(m.sourceState(A)!.resend).toBe(true);
  });

  it('PWR-S28: raising MFRR leaves the IPI in XISR, and that state cannot be restored', () => {
    const m = std();
    m.hIpi(0, 1, 3);
    expect(icp(m, 1)).toEqual(st(0xff, 0x03, 0x03, 2));
    m.hIpi(0, 1, 0xff);
    expect(icp(m, 1)).toEqual(st(0xff, 0xff, 0x03, 2));
    const w = m.getIcp(1);
    expect(w).toBe(0xff000002ff030000n);
    expect(() => m.setIcp(1, w)).toThrow(IrqError);
    expect(m.getIcp(1)).toBe(w);
    expect(m.hXirr(1)).toBe(0xff000002);
  });

  it('PWR-S29: H_IPI to an unknown server returns H_PARAMETER and changes nothing', () => {
    const m = std();
    const before = [0, 1, 2].map((v) => m.getIcp(v));
    expect(events(m, () => expect(m.hIpi(0, 9, 5)).toBe(H_PARAMETER))).toEqual([]);
    expect([0, 1, 2].map((v) => m.getIcp(v))).toEqual(before);
  });

  it('PWR-S30: H_IPOLL reads XIRR and MFRR without any change or event', () => {
    const m = std();
    setXive(m, A, 1, 5);
    trig(m, A);
    const before = m.getIcp(1);
    let r: ReturnType<typeof m.hcall> | undefined;
    expect(events(m, () => (r = m.hcall(0, 0x70, 1n)))).toEqual([]);
    expect(r).toMatchObject({ r3: 0, r4: 0xff001000n, r5: 0xffn });
    expect(m.getIcp(1)).toBe(before);
    expect(m.hcall(0, 0x70, 9n).r3).toBe(H_PARAMETER);
  });

  it('PWR-S31: H_XIRR on an idle ICP lowers EE and commits nothing', () => {
    const m = std();
    const before = m.getIcp(1);
    let x = 0;
    expect(events(m, () => (x = m.hXirr(1)))).toEqual(['eeLower(1)']);
    expect(x).toBe(0xff000000);
    expect(m.getIcp(1)).toBe(before);
  });

  it('PWR-S32: H_XIRR_X returns the XIRR and the timebase at the call', () => {
    const m = std();
    setXive(m, A, 1, 5);
    m.timebase = 0x1234_5678_9abcn;
    trig(m, A);
    const r = m.hcall(1, H_XIRR_X);
    expect(r.r4).toBe(0xff001000n);
    expect(r.r5).toBe(0x1234_5678_9abcn);
  });

  it('PWR-S33: int-off masks with the priority saved; int-on delivers the masked-pending irq', () => {
    const m = std();
    setXive(m, A, 1, 5);
    expect(rtas(m, 'ibm,int-off', [A])).toEqual([0]);
    expect(rtas(m, 'ibm,get-xive', [A])).toEqual([0, 1, 0xff]);
    expect(events(m, () => trig(m, A))).toEqual([]);
    expect(icp(m, 1).xisr).toBe(0);
    expect(m.sourceState(A)).toMatchObject({ maskedPending: true, pq: 1 });
    expect(m.getSource(A)).toBe(0x00000e0500000001n);
    expect(events(m, () => expect(rtas(m, 'ibm,int-on', [A])).toEqual([0]))).toEqual([
      'exit(0,vm,rtas)',
      'eeRaise(1)',
      'kick(1)',
    ]);
    expect(m.sourceState(A)!.priority).toBe(5);
    expect(icp(m, 1)).toEqual(st(0xff, 0xff, 0x05, 0x1000));
  });

  it('PWR-S34: set-xive on a masked-pending source delivers it to the new server', () => {
    const m = std();
    setXive(m, A, 1, 5);
    rtas(m, 'ibm,int-off', [A]);
    trig(m, A);
    setXive(m, A, 2, 6);
    expect(icp(m, 2)).toEqual(st(0xff, 0xff, 0x06, 0x1000));
    expect(m.sourceState(A)!.maskedPending).toBe(false);
  });

  it('PWR-S35: set-xive to 0xFF also saves 0xFF, so int-on keeps the source masked', () => {
    const m = std();
    setXive(m, A, 1, 5);
    setXive(m, A, 1, 0xff);
    expect(m.sourceState(A)).toMatchObject({ priority: 0xff, savedPriority: 0xff });
    expect(rtas(m, 'ibm,int-on', [A])).toEqual([0]);
    expect(m.sourceState(A)!.priority).toBe(0xff);
    trig(m, A);
    expect(m.sourceState(A)!.maskedPending).toBe(true);
    expect(icp(m, 1).xisr).toBe(0);
  });

  it('PWR-S36: a second int-off loses the saved priority', () => {
    const m = std();
    setXive(m, A, 1, 5);
    rtas(m, 'ibm,int-off', [A]);
    expect(m.sourceState(A)!.savedPriority).toBe(5);
    rtas(m, 'ibm,int-off', [A]);
    expect(m.sourceState(A)!.savedPriority).toBe(0xff);
    rtas(m, 'ibm,int-on', [A]);
    expect(m.sourceState(A)!.priority).toBe(0xff);
  });

  it('PWR-S37: int-on needs an ICP for the current server; set-xive can fix the server', () => {
    const m = std();
    m.setSource(A, 0x000002ff00000009n);
    expect(rtas(m, 'ibm,int-on', [A])).toEqual([-3]);
    expect(setXive(m, A, 1, 5)).toBe(0);
  });

  it('PWR-S38: setSource checks the server unless the priority field is 0xFF', () => {
    const m = std();
    const code = (w: bigint) => {
      try {
        m.setSource(A, w);
        return 'ok';
      } catch (e) {
        return (e as IrqError).code;
      }
    };
    expect(code(0x0000000500000009n)).toBe('EINVAL');
    expect(code(0x0000020500000009n)).toBe('EINVAL');
    expect(code(0x000000ff00000009n)).toBe('ok');
  });

  it('PWR-S39: a source whose server has no ICP is dropped with a warning and wedges', () => {
    const m = std();
    m.setSource(A, 0x000002ff00000009n);
    let r = -1;
    expect(events(m, () => (r = trig(m, A)))).toEqual(['warn(noServer,0x1000)']);
    expect(r).toBe(0);
    expect(m.sourceState(A)).toMatchObject({ pq: 1, resend: false, maskedPending: false });
    expect(m.getSource(A)).toBe(0x00000aff00000009n);
    expect(m.getSource(A) & PENDING).toBe(0n);
    setXive(m, A, 1, 5);
    expect(icp(m, 1).xisr).toBe(0);
    trig(m, A);
    expect(m.sourceState(A)!.pq).toBe(3);
    expect(icp(m, 1).xisr).toBe(0);
  });

  it('PWR-S40: one ICP scan of an ICS re-offers sources of other servers too', () => {
    const m = std();
    setXive(m, A, 1, 5);
    setXive(m, B, 2, 5);
    m.hCppr(1, 5);
    m.setIcp(2, 0x00000000ffff0000n);
    trig(m, A);
    trig(m, B);
    expect(m.icpState(1)!.resendMap).toEqual([4]);
    expect(m.icpState(2)!.resendMap).toEqual([4]);
    m.setIcp(2, 0xff000000ffff0000n);
    expect(icp(m, 2).xisr).toBe(0);
    expect(m.sourceState(B)!.resend).toBe(true);
    const ev = events(m, () => m.hCppr(1, 0xff));
    expect(icp(m, 1)).toEqual(st(0xff, 0xff, 0x05, A));
    expect(icp(m, 2)).toEqual(st(0xff, 0xff, 0x05, B));
    expect(ev).toContain('kick(2)');
  });
});
