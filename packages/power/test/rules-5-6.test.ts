import { describe, expect, it } from 'vitest';
import {
  createPowerMachine,
  H_CPPR,
  H_EOI,
  H_IPI,
  H_IPOLL,
  H_PARAMETER,
  H_SUCCESS,
  H_XIRR,
  H_XIRR_X,
  QEMU_RTAS_TOKENS,
} from '../src/index.js';
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
} from './fixture.js';

describe('PWR §5.1 hcall dispatch', () => {
  it('PWR-5.1: in-kernel only with an ICP and the hcall enabled; otherwise to userspace', () => {
    const m = std({ vcpus: 4 });
    expect(events(m, () => m.hcall(3, H_XIRR))).toEqual(['exit(3,user,hcall)']);
    expect(m.hcall(3, H_XIRR).handledIn).toBe('user');
    m.enableHcall(H_CPPR, false);
    const before = m.getIcp(1);
    expect(events(m, () => expect(m.hCppr(1, 5)).toBe(-1))).toEqual(['exit(1,user,hcall)']);
    expect(m.getIcp(1)).toBe(before);
    m.enableHcall(H_CPPR, true);
    expect(m.hcall(1, H_CPPR, 5n)).toEqual({ r3: H_SUCCESS, handledIn: 'kernel' });
    expect(m.hcall(1, 0x58).handledIn).toBe('user'); // not an XICS hcall
  });

  it('PWR-5.2: r3 carries H_SUCCESS for every XICS hcall on the normal paths', () => {
    const m = std();
    for (const nr of [H_XIRR, H_XIRR_X, H_CPPR, H_IPI, H_IPOLL, H_EOI]) {
      const r = m.hcall(1, nr, nr === H_CPPR ? 0xffn : nr === H_EOI ? 0xff000002n : 1n, 0xffn);
      expect(r.r3).toBe(H_SUCCESS);
    }
  });
});

describe('PWR §5.2 individual hcalls', () => {
  it('PWR-5.3: down-CPPR makes a latent IPI pending and latches the resend flag', () => {
    const m = std();
    m.hCppr(1, 3);
    m.hIpi(0, 1, 4);
    setXive(m, A, 1, 5);
    trig(m, A);
    expect(m.icpState(1)!.needResend).toBe(true);
    m.hCppr(1, 0xff);
    expect(icp(m, 1)).toEqual(st(0xff, 4, 4, 2));
    expect(m.icpState(1)!.needResend).toBe(true); // A failed again behind the IPI
  });

  it('PWR-5.3: after the guest error of PWR-5.6 an IPI overwrites a device irq, with a warning', () => {
    const m = std();
    setXive(m, A, 1, 5);
    trig(m, A);
    m.hEoi(1, 0x03000002); // guest error: CPPR 3 below the pending 5
    m.hIpi(0, 1, 4); // 4 < CPPR 3 is false: latent
    expect(icp(m, 1)).toEqual(st(3, 4, 5, A));
    const ev = events(m, () => m.hCppr(1, 0xff));
    expect(ev[0]).toBe('warn(ipiOverwrite,0x1000)');
    expect(icp(m, 1)).toEqual(st(0xff, 4, 4, 2));
    expect(m.sourceState(A)).toMatchObject({ resend: false, maskedPending: false, pq: 1 });
  });

  it('PWR-5.4: H_XIRR accepts whatever XISR holds; an accepted IPI leaves MFRR', () => {
    const m = std();
    setXive(m, A, 1, 5);
    trig(m, A);
    m.hEoi(1, 0x03000002); // CPPR 3, A (5) still in XISR
    expect(m.hXirr(1)).toBe(0x03001000);
    expect(icp(m, 1)).toEqual(st(5, 0xff, 0xff, 0));
    m.hIpi(0, 2, 7);
    expect(m.hXirr(2)).toBe(0xff000002);
    expect(icp(m, 2)).toEqual(st(7, 7, 0xff, 0));
  });

  it('PWR-5.5: H_CPPR uses r4 & 0xFF and runs the more-favoured pass once', () => {
    const m = std();
    setXive(m, A, 1, 5);
    trig(m, A);
    expect(events(m, () => m.hcall(1, H_CPPR, 0x1_0000_0005n))).toEqual([
      'warn(range,-1)',
      'eeLower(1)',
    ]);
    expect(icp(m, 1)).toEqual(st(5, 0xff, 0xff, 0));
    expect(m.sourceState(A)!.resend).toBe(true);
    // a less favoured value is a plain down-CPPR: no eeLower
    expect(events(m, () => m.hCppr(1, 0x80))).toEqual(['eeRaise(1)', 'kick(1,self)']);
  });

  it('PWR-5.5: a rejected IPI is just dropped from XISR (MFRR keeps it)', () => {
    const m = std();
    m.hIpi(0, 1, 5);
    m.hCppr(1, 5);
    expect(icp(m, 1)).toEqual(st(5, 5, 0xff, 0));
    m.hCppr(1, 0xff);
    expect(icp(m, 1)).toEqual(st(0xff, 5, 5, 2));
  });

  it('PWR-5.6: quirk "H_EOI ordering": down-CPPR, P/Q, re-delivery, then the ack', () => {
    const m = std();
    setXive(m, L, 0, 5);
    m.trigger(L, SET_LEVEL);
    m.hXirr(0);
    const rec = m.trace.record();
    m.hEoi(0, 0xff001200);
    rec.stop();
    const types = rec.events.map((e) => e.type).filter((t) => t !== 'power.exit');
    expect(types).toEqual(['eoi', 'deliver', 'power.eeRaise', 'power.kick', 'ack']);
  });

  it('PWR-5.6: an IPI EOI has no ack; an unknown ICS keeps the CPPR change; exists is not checked', () => {
    const m = std();
    m.hCppr(0, 3);
    expect(events(m, () => expect(m.hEoi(0, 0xff000002)).toBe(H_SUCCESS))).toEqual([]);
    m.hCppr(0, 3);
    expect(m.hEoi(0, 0xff005000)).toBe(H_PARAMETER);
    expect(icp(m, 0).cppr).toBe(0xff);
    m.setSource(0x1003, 0x0000000500000000n | (1n << 43n)); // P set
    m.setSource(0x1003, MSI_RESET); // resets P
    expect(events(m, () => m.hEoi(0, 0xff001005))).toEqual(['ack(0x1005)']); // never existed
  });

  it('PWR-5.6: an MSI EOI shifts Q into P; an LSI EOI keeps P/Q', () => {
    const m = std();
    m.setSource(A, 0x000002ff00000001n | (3n << 43n));
    m.hEoi(1, 0xff001000);
    expect(m.sourceState(A)!.pq).toBe(1);
    m.setSource(L, 0x000003ff00000000n | (1n << 43n));
    m.hEoi(0, 0xff001200);
    expect(m.sourceState(L)!.pq).toBe(1);
    expect(m.sourceState(L)!.maskedPending).toBe(true); // re-delivery attempt while masked
  });

  it('PWR-5.7: H_IPI: displaces an equal-priority irq (<=), latches resend on an MFRR raise', () => {
    const m = std();
    setXive(m, A, 1, 5);
    trig(m, A);
    m.hIpi(0, 1, 5);
    expect(icp(m, 1)).toEqual(st(0xff, 5, 5, 2));
    expect(m.icpState(1)!.needResend).toBe(true);
    m.hIpi(0, 1, 6); // raise: latch and scan; A (5) beats nothing? MFRR 6, PPRI 5: fails
    expect(m.sourceState(A)!.resend).toBe(true);
    expect(icp(m, 1)).toEqual(st(0xff, 6, 5, 2));
    expect(m.hIpi(0, 77, 5)).toBe(H_PARAMETER);
  });

  it('PWR-5.8: H_IPOLL: own server or lookup, r4 = XIRR, r5 = MFRR, no commit', () => {
    const m = std();
    m.hIpi(0, 2, 9);
    expect(m.hcall(1, H_IPOLL, 2n)).toMatchObject({ r3: 0, r4: 0xff000002n, r5: 9n });
    expect(m.hcall(2, H_IPOLL, 2n)).toMatchObject({ r3: 0, r4: 0xff000002n, r5: 9n });
    expect(m.hcall(1, H_IPOLL, 3n)).toEqual({ r3: H_PARAMETER, handledIn: 'kernel' });
    expect(icp(m, 2)).toEqual(st(0xff, 9, 9, 2));
  });
});

describe('PWR §6 RTAS', () => {
  it('PWR-6.1: tokens: several per name, EEXIST for a used value, ENOENT for unknown names, 0 undefines', () => {
    const m = createPowerMachine({ vcpus: 1, rtasTokens: false });
    m.defineRtasToken('ibm,int-off', 0x10);
    m.defineRtasToken('ibm,int-off', 0x11);
    expect(() => m.defineRtasToken('ibm,int-on', 0x11)).toThrow(/EEXIST/);
    expect(() => m.defineRtasToken('ibm,set-xive-and-more', 0x12)).toThrow(/ENOENT/);
    m.defineRtasToken('ibm,int-off', 0);
    expect(m.rtasToken('ibm,int-off')).toBe(0x11);
    m.defineRtasToken('ibm,int-on', 0); // unknown definition: fine
    expect(QEMU_RTAS_TOKENS['ibm,set-xive']).toBe(0x200a);
  });

  it('PWR-6.2: H_RTAS goes to userspace with no tokens or an unknown token, else exits to the kernel', () => {
    for (const profile of ['virtual', 'hv-realmode'] as const) {
      const m = createPowerMachine({ vcpus: 1, profile, rtasTokens: false });
      m.setSource(A, MSI_RESET);
      const call = { token: 0x200b, nargs: 1, nret: 3, args: [A] };
      expect(events(m, () => expect(m.rtas(0, call)).toBeNull())).toEqual(['exit(0,user,rtas)']);
      m.defineRtasToken('ibm,get-xive', 0x200b);
      expect(events(m, () => expect(m.rtas(0, call)).toEqual([0, 0, 0xff]))).toEqual([
        'exit(0,vm,rtas)',
      ]);
      expect(m.rtas(0, { ...call, token: 0x300 })).toBeNull();
      const big = { token: 0x200b, nargs: 16, nret: 0, args: [A] };
      expect(events(m, () => expect(m.rtas(0, big)).toBeNull())).toEqual(['exit(0,user,rtas)']);
      expect(m.vcpuCounters(0).get('exits.rtas')).toBe(1);
    }
  });

  it('PWR-6.3: set-xive needs nargs 3 / nret 1, an ICS and an ICP; priority is cut to 8 bits', () => {
    const m = std();
    expect(m.rtasByName(0, 'ibm,set-xive', [A, 1, 5], 2)).toEqual([-3, 0]);
    expect(setXive(m, 0x5000, 1, 5)).toBe(-3);
    expect(setXive(m, A, 3, 5)).toBe(-3);
    expect(events(m, () => expect(setXive(m, A, 1, 0x1ff)).toBe(0))).toContain(
      'warn(range,0x1000)',
    );
    expect(m.sourceState(A)).toMatchObject({ server: 1, priority: 0xff, savedPriority: 0xff });
  });

  it('PWR-6.4: get-xive needs nargs 1 / nret 3; no ICS leaves rets[1..2] untouched', () => {
    const m = std();
    expect(m.rtasByName(0, 'ibm,get-xive', [A], 1)).toEqual([-3]);
    expect(m.rtas(0, { token: 0x200b, nargs: 1, nret: 3, args: [0x5000, 7, 8] })).toEqual([
      -3, 8, 0,
    ]);
    setXive(m, A, 2, 6);
    expect(rtas(m, 'ibm,get-xive', [A])).toEqual([0, 2, 6]);
  });

  it('PWR-6.5: int-off saves the current priority and keeps resend', () => {
    const m = std();
    setXive(m, A, 1, 5);
    m.hCppr(1, 5);
    trig(m, A);
    expect(m.rtasByName(0, 'ibm,int-off', [A, 1], 1)).toEqual([-3]);
    expect(rtas(m, 'ibm,int-off', [0x5000])).toEqual([-3]);
    expect(rtas(m, 'ibm,int-off', [A])).toEqual([0]);
    expect(m.sourceState(A)).toMatchObject({ priority: 0xff, savedPriority: 5, resend: true });
  });

  it('PWR-6.6: int-on restores the saved priority; it needs an ICP for the current server', () => {
    const m = std();
    setXive(m, A, 2, 7);
    rtas(m, 'ibm,int-off', [A]);
    expect(m.rtasByName(0, 'ibm,int-on', [A], 2)).toEqual([-3, 0]);
    expect(rtas(m, 'ibm,int-on', [0x5000])).toEqual([-3]);
    expect(rtas(m, 'ibm,int-on', [A])).toEqual([0]);
    expect(m.sourceState(A)).toMatchObject({ priority: 7, savedPriority: 7, server: 2 });
    m.setSource(B, 0x000002ff00000022n);
    expect(rtas(m, 'ibm,int-on', [B])).toEqual([-3]);
  });

  it('PWR-6.7: none of the four calls checks exists', () => {
    const m = std();
    const X = 0x1010; // in ICS 4, never set
    expect(setXive(m, X, 1, 5)).toBe(0);
    expect(rtas(m, 'ibm,get-xive', [X])).toEqual([0, 1, 5]);
    expect(rtas(m, 'ibm,int-off', [X])).toEqual([0]);
    expect(rtas(m, 'ibm,int-on', [X])).toEqual([0]);
    expect(m.sourceState(X)).toMatchObject({ exists: false, priority: 5 });
  });
});
