import { IrqError } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import {
  createPowerMachine,
  KVM_CAP_IRQ_XICS,
  KVM_DEV_TYPE_XICS,
  KVM_DEV_XICS_GRP_CTRL,
  KVM_DEV_XICS_GRP_SOURCES,
} from '../src/index.js';
import {
  A,
  B,
  events,
  icp,
  L,
  LSI_RESET,
  MSI_RESET,
  rtas,
  SET_LEVEL,
  setXive,
  st,
  std,
  trig,
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

describe('PWR §9.1 device and connection', () => {
  it('PWR-9.1: one XICS device per VM; after release another can be created', () => {
    const m = createPowerMachine({ vcpus: 1, xics: 'none' });
    expect(KVM_DEV_TYPE_XICS).toBe(3);
    expect(m.hasDevice).toBe(false);
    m.createDevice();
    expect(code(() => m.createDevice())).toBe('EEXIST');
    m.release();
    expect(code(() => m.release())).toBe('ENODEV');
    m.createDevice();
    expect(m.hasDevice).toBe(true);
  });

  it('PWR-9.2: connect: EBADF without device, EBUSY twice, EEXIST for a used server, any u32 server', () => {
    expect(KVM_CAP_IRQ_XICS).toBe(92);
    const none = createPowerMachine({ vcpus: 1, xics: 'none' });
    expect(code(() => none.connectVcpu(0, 0))).toBe('EBADF');
    const m = createPowerMachine({ vcpus: 3, xics: 'device' });
    m.connectVcpu(0, 0xffffffff);
    expect(code(() => m.connectVcpu(0, 5))).toBe('EBUSY');
    expect(code(() => m.connectVcpu(1, 0xffffffff))).toBe('EEXIST');
    m.connectVcpu(1, 70000);
    expect(m.server(0)).toBe(0xffffffff);
    expect(m.getIcp(1)).toBe(0x00000000ffff0000n);
    m.hCppr(0, 0xff);
    expect(m.hIpi(1, 0xffffffff, 3)).toBe(0);
    expect(icp(m, 0)).toEqual(st(0xff, 3, 3, 2));
  });

  it('PWR-9.3: only group 1 exists on legacy XICS; has-attr answers for 16..0xFFFFF', () => {
    const m = std();
    expect(code(() => m.hasAttr(KVM_DEV_XICS_GRP_SOURCES, 16))).toBe('ok');
    expect(code(() => m.hasAttr(KVM_DEV_XICS_GRP_SOURCES, 15))).toBe('ENXIO');
    expect(code(() => m.hasAttr(KVM_DEV_XICS_GRP_CTRL, 1))).toBe('ENXIO');
    expect(code(() => m.getAttr(KVM_DEV_XICS_GRP_CTRL, 1))).toBe('ENXIO');
    expect(code(() => m.setAttr(KVM_DEV_XICS_GRP_CTRL, 1, 0n))).toBe('ENXIO');
    m.setAttr(KVM_DEV_XICS_GRP_SOURCES, B, 0x0000000700000002n);
    expect(m.getAttr(KVM_DEV_XICS_GRP_SOURCES, B)).toBe(0x0000000700000002n);
  });
});

describe('PWR §9.2 source attribute', () => {
  it('PWR-9.4: get: ENOENT for a missing slot; masked words show the saved priority', () => {
    const m = std();
    expect(code(() => m.getSource(0x1100))).toBe('ENOENT');
    expect(code(() => m.getSource(0x9000))).toBe('ENOENT');
    setXive(m, A, 2, 9);
    rtas(m, 'ibm,int-off', [A]);
    expect(m.getSource(A)).toBe(0x0000020900000002n);
    expect(m.getSource(L)).toBe(LSI_RESET);
  });

  it('PWR-9.5: set: every field, LSI, P/Q from PRESENTED/PENDING/QUEUED, high bits ignored', () => {
    const m = std();
    m.setSource(A, (0x7ffffn << 45n) | (1n << 44n) | 0x0000000600000002n);
    expect(m.sourceState(A)).toMatchObject({
      server: 2,
      priority: 6,
      savedPriority: 6,
      lsi: false,
      exists: true,
      pq: 2,
    });
    m.setSource(A, 0x000002ff00000001n | (1n << 40n) | (1n << 43n));
    expect(m.sourceState(A)).toMatchObject({
      lsi: true,
      pq: 1,
      priority: 0xff,
      savedPriority: 0xff,
    });
    expect(icp(m, 1).xisr).toBe(0); // PRESENTED alone is not offered
  });

  it('PWR-9.5: PENDING offers the source: masked ones become masked-pending, others go to their server', () => {
    const m = std();
    m.setSource(A, 0x0000060500000001n); // MASKED | PENDING, field 5
    expect(m.sourceState(A)).toMatchObject({ maskedPending: true, pq: 1 });
    m.setSource(B, 0x0000040500000001n); // PENDING, unmasked
    expect(icp(m, 1)).toEqual(st(0xff, 0xff, 5, B));
    m.hCppr(2, 3);
    m.setSource(L, 0x0000050500000002n); // LEVEL | PENDING to server 2 (CPPR 3)
    expect(m.sourceState(L)).toMatchObject({ resend: true, pq: 1 });
  });

  it('PWR-9.5: writing a source clears resend and masked-pending', () => {
    const m = std();
    setXive(m, A, 1, 5);
    m.hCppr(1, 5);
    trig(m, A);
    m.setSource(A, 0x0000000500000001n);
    expect(m.sourceState(A)).toMatchObject({ resend: false, maskedPending: false, pq: 0 });
  });

  it('PWR-9.6: the ICP word layout; a vCPU without ICP reads 0', () => {
    const m = std({ vcpus: 4 });
    m.hIpi(0, 1, 0x12);
    m.hCppr(1, 0x34);
    expect(m.getIcp(1)).toBe(0x34000002_12120000n); // CPPR 34, XISR 2, MFRR 12, PPRI 12
    expect(m.getIcp(3)).toBe(0n);
  });

  it('PWR-9.7: setIcp keeps needResend unless MFRR rises; a displaced XISR is not rejected', () => {
    const m = std();
    setXive(m, A, 1, 5);
    trig(m, A);
    m.setIcp(1, 0xff000000ffff0000n);
    expect(icp(m, 1).xisr).toBe(0);
    expect(m.sourceState(A)).toMatchObject({ resend: false, maskedPending: false, pq: 1 });
    setXive(m, B, 1, 5);
    m.hCppr(1, 5);
    trig(m, B);
    m.setIcp(1, 0x05000000ffff0000n); // same MFRR: needResend kept, no scan
    expect(m.icpState(1)!.needResend).toBe(true);
    m.setIcp(1, 0xff000000fdff0000n); // MFRR lowered: still kept
    expect(m.icpState(1)!.needResend).toBe(true);
    m.setIcp(1, 0xff000000ffff0000n); // MFRR raised: latched, scanned
    expect(icp(m, 1)).toEqual(st(0xff, 0xff, 5, B));
  });

  it('PWR-9.8: quirk "MFRR restore rule": a restored CPPR drop alone does not resend', () => {
    const m = createPowerMachine({ vcpus: 2, profile: 'virtual', xics: 'device' });
    m.connectVcpu(1, 1);
    m.setSource(A, 0x0000040500000001n); // offered to CPPR 0: resend
    m.setIcp(1, 0xff000000ffff0000n); // CPPR 0 → 0xFF, MFRR unchanged
    expect(icp(m, 1).xisr).toBe(0);
    m.setIcp(1, 0xff00000000ff0000n); // MFRR 0xFF → 0x00 (lower)
    m.setIcp(1, 0xff000000ffff0000n); // MFRR raised: resend
    expect(icp(m, 1).xisr).toBe(A);
  });

  it('PWR-9.8: machine save/restore (ICPs first, then sources) puts everything back where it was', () => {
    const m = std();
    setXive(m, A, 1, 5);
    trig(m, A);
    setXive(m, B, 2, 6);
    rtas(m, 'ibm,int-off', [B]);
    trig(m, B);
    setXive(m, L, 0, 4);
    m.trigger(L, SET_LEVEL);
    m.hXirr(0);
    m.hIpi(1, 2, 8);
    m.timebase = 77n;
    const snap = JSON.parse(JSON.stringify(m.save()));
    const n = createPowerMachine({ vcpus: 3, profile: 'virtual' });
    n.restore(snap);
    for (let v = 0; v < 3; v++) expect(n.getIcp(v)).toBe(m.getIcp(v));
    for (const irq of [A, B, L]) expect(n.getSource(irq)).toBe(m.getSource(irq));
    expect(n.icsIds()).toEqual(m.icsIds());
    expect(n.timebase).toBe(77n);
    n.hEoi(0, 0xff001200);
    m.hEoi(0, 0xff001200);
    expect(n.getIcp(0)).toBe(m.getIcp(0));
  });

  it('PWR-9.8: restore offers an asserted LSI that is already presented again (duplicate after a retarget)', () => {
    const m = std();
    m.trigger(L, SET_LEVEL); // masked: masked-pending
    setXive(m, L, 0, 2); // delivered to server 0
    setXive(m, L, 1, 2); // retargeted; the presentation stays at server 0 (PWR-4.11)
    const n = createPowerMachine({ vcpus: 3, profile: 'virtual' });
    n.restore(m.save());
    expect(icp(n, 0).xisr).toBe(L);
    expect(icp(n, 1).xisr).toBe(L); // PENDING (= P) made restore offer it to server 1 as well
    expect(icp(m, 1).xisr).toBe(0);
  });

  it('PWR-9.8: a de-asserted LSI loses its pending occurrence on restore (its PENDING bit is P)', () => {
    const m = std();
    m.trigger(L, SET_LEVEL);
    m.trigger(0x1200, 0xfffffffe); // de-asserted while masked: masked-pending, P = 0
    expect(m.sourceState(L)).toMatchObject({ maskedPending: true, pq: 0 });
    const n = createPowerMachine({ vcpus: 3, profile: 'virtual' });
    n.restore(m.save());
    expect(n.getSource(L)).toBe(m.getSource(L));
    expect(n.sourceState(L)!.maskedPending).toBe(false);
    setXive(m, L, 0, 5);
    setXive(n, L, 0, 5);
    expect(icp(m, 0).xisr).toBe(L); // the original still presents the stale occurrence
    expect(icp(n, 0).xisr).toBe(0);
  });

  it('PWR-9.9: QEMU reset form; releasing the device frees every ICP and ICS', () => {
    const m = std();
    expect(m.getSource(A)).toBe(MSI_RESET);
    expect(m.getSource(L)).toBe(LSI_RESET);
    m.release();
    expect(m.server(0)).toBeNull();
    expect(m.getIcp(0)).toBe(0n);
    expect(m.icsIds()).toEqual([]);
    expect(m.trigger(A, 1)).toBe(-19);
    expect(m.hcall(0, 0x74).handledIn).toBe('user');
    expect(m.rtasByName(0, 'ibm,get-xive', [A], 3)).toEqual([-3, 0, 0]);
  });
});

describe('PWR §10 "link" / ring delivery', () => {
  it('PWR-10.1: a source names exactly one server; the ICP word has no link fields (bits 15..0 are 0)', () => {
    const m = std();
    setXive(m, A, 2, 5);
    trig(m, A);
    expect(icp(m, 2).xisr).toBe(A);
    expect(m.getIcp(2) & 0xffffn).toBe(0n);
    m.setIcp(0, 0xff000000ffffabcdn); // ignored low bits
    expect(m.getIcp(0)).toBe(0xff000000ffff0000n);
  });

  it('PWR-10.2: a failed delivery is retried only at the same server', () => {
    const m = std();
    setXive(m, A, 1, 5);
    m.hCppr(1, 2);
    trig(m, A);
    m.hCppr(0, 0xfe);
    m.hCppr(2, 0xfe); // idle servers scan, but A is not theirs
    expect(icp(m, 0).xisr).toBe(0);
    expect(icp(m, 2).xisr).toBe(0);
    m.hCppr(1, 0xff);
    expect(icp(m, 1).xisr).toBe(A);
  });

  it('PWR-10.3: the model never forwards between servers, even when the target is busy', () => {
    const m = std();
    setXive(m, A, 1, 5);
    setXive(m, B, 1, 5);
    trig(m, A);
    trig(m, B);
    expect([0, 2].map((v) => icp(m, v).xisr)).toEqual([0, 0]);
    expect(m.sourceState(B)!.resend).toBe(true);
  });
});

describe('PWR §11 XICS-on-XIVE (not modelled)', () => {
  it('PWR-11.1: the legacy ABI: same ICS split and source/ICP words with P/Q in bits 43/44', () => {
    const m = std();
    setXive(m, A, 1, 5);
    trig(m, A);
    trig(m, A);
    expect(m.getSource(A) >> 43n).toBe(3n);
  });

  it('PWR-11.2: legacy differences: no control group, priorities above 6 kept, PPRI/XISR read back, resample offered', () => {
    const m = std();
    expect(code(() => m.getAttr(KVM_DEV_XICS_GRP_CTRL, 1))).toBe('ENXIO');
    setXive(m, A, 1, 9);
    expect(rtas(m, 'ibm,get-xive', [A])).toEqual([0, 1, 9]);
    trig(m, A);
    expect(m.getIcp(1)).toBe(0xff001000ff090000n);
    expect(m.capabilities.resample).toBe(true);
  });

  it('PWR-11.3: the target is chosen by the guest, never at configuration time by the model', () => {
    const m = std();
    m.hCppr(1, 0); // server 1 accepts nothing
    setXive(m, A, 1, 5);
    expect(rtas(m, 'ibm,get-xive', [A])).toEqual([0, 1, 5]);
    expect(m.sourceState(A)!.server).toBe(1);
  });

  it('PWR-11.4: there is no xive profile', () => {
    expect(code(() => createPowerMachine({ vcpus: 1, profile: 'xive' as 'virtual' }))).toBe(
      'EINVAL',
    );
  });
});

describe('PWR §14 divergences, quirks and open points', () => {
  it('PWR-14.1: code over documentation: P/Q bits in the word, ENXIO for the control group', () => {
    const m = std();
    m.setSource(A, 0x000002ff00000000n | (1n << 44n));
    expect(m.getSource(A) & (1n << 44n)).toBe(1n << 44n);
    expect(code(() => m.hasAttr(KVM_DEV_XICS_GRP_CTRL, 0))).toBe('ENXIO');
  });

  it('PWR-14.2: out-of-range guest priorities are cut to 8 bits before comparing, with a warning', () => {
    const m = std();
    setXive(m, A, 1, 5);
    rtas(m, 'ibm,int-off', [A]);
    trig(m, A);
    const ev = events(m, () => setXive(m, A, 1, 0x1ff));
    expect(ev).toContain('warn(range,0x1000)');
    expect(m.sourceState(A)).toMatchObject({ priority: 0xff, maskedPending: true });
    expect(icp(m, 1).xisr).toBe(0);
    expect(events(m, () => m.hCppr(1, 0x100))).toEqual(['warn(range,-1)', 'eeLower(1)']);
    expect(icp(m, 1).cppr).toBe(0);
    expect(events(m, () => m.hIpi(0, 2, 0x104))).toEqual([
      'warn(range,-1)',
      'eeRaise(2)',
      'kick(2)',
    ]);
    expect(icp(m, 2).mfrr).toBe(4);
  });

  it('PWR-14.3: unlike QEMU, KVM scans for resends at a CPPR drop even when XISR is occupied', () => {
    const m = std();
    setXive(m, A, 1, 5);
    setXive(m, B, 1, 3);
    trig(m, A);
    m.hCppr(1, 4); // A rejected into resend
    trig(m, B); // B (3) pending
    const before = m.counters.snapshot();
    m.hCppr(1, 0xfe); // XISR holds B; still a scan (A fails again)
    expect(m.counters.delta(before)['xics.resendScans']).toBe(1);
    expect(m.sourceState(A)!.resend).toBe(true);
  });

  it('PWR-14.4: current behaviour only: a reject in real mode costs no exit', () => {
    const m = std({ profile: 'hv-realmode' });
    setXive(m, A, 1, 5);
    trig(m, A);
    const ev = events(m, () => m.hCppr(1, 2));
    expect(ev.some((e) => e.startsWith('exit'))).toBe(false);
    expect(m.sourceState(A)!.resend).toBe(true);
  });

  it('PWR-14.5: kicks of the calling vCPU are reported self=true and counted apart', () => {
    const m = std();
    setXive(m, L, 1, 5);
    m.trigger(L, SET_LEVEL);
    m.hXirr(1);
    const c = m.vcpuCounters(1);
    const before = c.snapshot();
    expect(events(m, () => m.hEoi(1, 0xff001200))).toContain('kick(1,self)');
    expect(c.delta(before)).toMatchObject({ 'kicks.self': 1 });
    expect(c.delta(before).kicks).toBeUndefined();
  });

  it('PWR-14.6: getIcp can return states setIcp and restore refuse (nothing changes)', () => {
    const m = std();
    m.hIpi(0, 1, 3);
    m.hIpi(0, 1, 0xff);
    setXive(m, A, 2, 5);
    trig(m, A);
    m.hEoi(2, 0x03000002); // guest error: PPRI 5 ≥ CPPR 3
    expect(code(() => m.setIcp(2, m.getIcp(2)))).toBe('EINVAL');
    const snap = m.save();
    const n = std();
    setXive(n, B, 0, 4);
    trig(n, B);
    const before = n.save();
    expect(code(() => n.restore(snap))).toBe('EINVAL');
    expect(n.save()).toEqual(before);
  });

  it('PWR-14.7: every deferred kick target is kicked after the one exit (KVM keeps only the last)', () => {
    const m = std({ profile: 'hv-realmode' });
    const C = 0x1002;
    m.setSource(C, MSI_RESET);
    setXive(m, A, 1, 5);
    setXive(m, B, 2, 5);
    setXive(m, C, 0, 5);
    for (const v of [0, 1, 2]) m.hCppr(v, 5);
    trig(m, A);
    trig(m, B);
    trig(m, C);
    // open ICPs 1 and 2 without a scan of their own (same MFRR)
    m.setIcp(1, 0xff000000ffff0000n);
    m.setIcp(2, 0xff000000ffff0000n);
    m.hostRedirect = false;
    m.setRunState(1, 'blocked');
    m.setRunState(2, 'blocked');
    const ev = events(m, () => m.hCppr(0, 0xff)); // ICP 0's scan of ICS 4 delivers A, B and C
    expect(ev.slice(ev.indexOf('exit(0,vm,kick)'))).toEqual([
      'exit(0,vm,kick)',
      'kick(1)',
      'kick(2)',
    ]);
    expect([0, 1, 2].map((v) => icp(m, v).xisr)).toEqual([C, A, B]);
    expect(m.vcpuCounters(0).get('exits.kick')).toBe(1);
  });
});
