import { EventFd, Host, IrqError, TestScheduler } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { createPowerMachine, H_SUCCESS } from '../src/index.js';
import {
  A,
  B,
  events,
  icp,
  L,
  LSI_RESET,
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

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof IrqError) return e.code;
    throw e;
  }
  return 'ok';
};

describe('PWR §13 conformance scenarios S41–S57', () => {
  it('PWR-S41: getIcp packs CPPR, XISR, MFRR and PPRI', () => {
    const m = std();
    setXive(m, B, 1, 5);
    trig(m, B);
    expect(m.getIcp(1)).toBe(0xff001001ff050000n);
  });

  it('PWR-S42: setIcp validation, ENOENT without ICP, and a valid restore', () => {
    const m = std({ vcpus: 4 });
    for (const x of [
      0xff000000ff050000n,
      0xff00000204050000n,
      0x0400000204040000n,
      0xff00100005050000n,
      0xff005000ff050000n,
    ]) {
      const before = m.getIcp(1);
      expect(code(() => m.setIcp(1, x))).toBe('EINVAL');
      expect(m.getIcp(1)).toBe(before);
    }
    expect(code(() => m.setIcp(3, 0xff000000ffff0000n))).toBe('ENOENT');
    const ev = events(m, () => m.setIcp(1, 0xff001000ff050000n));
    expect(icp(m, 1)).toEqual(st(0xff, 0xff, 0x05, 0x1000));
    expect(ev).toEqual(['eeLower(1)', 'eeRaise(1)', 'kick(1)']);
  });

  it('PWR-S43: source words of an MSI in an XISR and of an asserted LSI', () => {
    const m = std();
    setXive(m, A, 1, 5);
    trig(m, A);
    setXive(m, L, 0, 5);
    m.trigger(L, SET_LEVEL);
    expect(m.getSource(A)).toBe(0x0000080500000001n);
    expect(m.getSource(L)).toBe(0x00000d0500000000n);
  });

  it('PWR-S44: migration ICPs first, then sources, round-trips every word', () => {
    const m = std();
    setXive(m, A, 1, 5);
    trig(m, A);
    setXive(m, B, 1, 6);
    rtas(m, 'ibm,int-off', [B]);
    trig(m, B);
    setXive(m, L, 0, 5);
    m.trigger(L, SET_LEVEL);
    m.hXirr(0);
    const icps = [0, 1, 2].map((v) => m.getIcp(v));
    const srcs = [A, B, L].map((irq) => m.getSource(irq));
    expect(icps).toEqual([0x05000000ffff0000n, 0xff001000ff050000n, 0xff000000ffff0000n]);
    expect(srcs).toEqual([0x0000080500000001n, 0x00000e0600000001n, 0x00000d0500000000n]);

    // the destination, prepared QEMU-style
    const n = createPowerMachine({ vcpus: 3, profile: 'virtual', xics: 'device' });
    for (let v = 0; v < 3; v++) n.connectVcpu(v, v);
    n.setSource(A, MSI_RESET);
    n.setSource(B, MSI_RESET);
    n.setSource(L, LSI_RESET);
    const ev = events(n, () => {
      for (let v = 0; v < 3; v++) n.setIcp(v, icps[v]!);
      [A, B, L].forEach((irq, i) => {
        n.setSource(irq, srcs[i]!);
      });
    });
    expect(ev).toContain('eeRaise(1)');
    expect(ev).toContain('kick(1)');
    expect([0, 1, 2].map((v) => n.getIcp(v))).toEqual(icps);
    expect([A, B, L].map((irq) => n.getSource(irq))).toEqual(srcs);
    expect(n.sourceState(L)!.resend).toBe(true); // the offer hit CPPR 5
    n.hEoi(0, 0xff001200);
    expect(icp(n, 0)).toEqual(st(0xff, 0xff, 0x05, 0x1200));
  });

  it('PWR-S45: sources before ICPs: the pending source waits for the next down-CPPR', () => {
    const m = createPowerMachine({ vcpus: 2, profile: 'virtual', xics: 'device' });
    m.connectVcpu(1, 1);
    m.setSource(B, MSI_RESET); // ICS 4 exists
    m.setSource(A, 0x0000040500000001n);
    expect(m.sourceState(A)!.resend).toBe(true);
    m.setIcp(1, 0xff000000ffff0000n);
    expect(icp(m, 1).xisr).toBe(0);
    expect(events(m, () => m.hCppr(1, 0xff))).toEqual([]);
    expect(icp(m, 1).xisr).toBe(0);
    m.hEoi(1, 0xff000002);
    expect(icp(m, 1)).toEqual(st(0xff, 0xff, 0x05, A));
  });

  it('PWR-S46: irqfd binds straight to a global number; no routing table exists', () => {
    const m = std();
    setXive(m, A, 1, 5);
    const efd = new EventFd();
    expect(() => m.vm.irqfds.assign({ eventfd: efd, gsi: A })).not.toThrow();
    efd.signal();
    expect(icp(m, 1).xisr).toBe(A);
    expect(code(() => m.vm.setGsiRouting([]))).toBe('ENOTTY');
    const efd2 = new EventFd();
    m.vm.irqfds.assign({ eventfd: efd2, gsi: 0x2000 });
    const before = [0, 1, 2].map((v) => m.getIcp(v));
    expect(() => efd2.signal()).not.toThrow();
    expect([0, 1, 2].map((v) => m.getIcp(v))).toEqual(before);
  });

  it('PWR-S47: an irqfd without resampler asserts an LSI for good', () => {
    const m = std();
    setXive(m, L, 0, 5);
    const efd = new EventFd();
    m.vm.irqfds.assign({ eventfd: efd, gsi: L });
    efd.signal();
    expect(m.sourceState(L)!.pq).toBe(1);
    expect(icp(m, 0).xisr).toBe(L);
    expect(m.hXirr(0)).toBe(0xff001200);
    m.hEoi(0, 0xff001200);
    expect(icp(m, 0)).toEqual(st(0xff, 0xff, 0x05, L));
  });

  it('PWR-S48: a resampling irqfd: re-presented before the ack de-asserts; one stale take', () => {
    const m = std();
    setXive(m, L, 0, 5);
    const efd = new EventFd();
    const rfd = new EventFd();
    m.vm.irqfds.assign({ eventfd: efd, gsi: L, resamplefd: rfd });
    efd.signal();
    expect(icp(m, 0).xisr).toBe(L);
    expect(m.hXirr(0)).toBe(0xff001200);
    const rec = m.trace.record();
    m.hEoi(0, 0xff001200);
    rec.stop();
    const kinds = rec.events
      .filter((e) => ['deliver', 'ack', 'inject', 'resample'].includes(e.type))
      .map((e) => (e.type === 'inject' ? `inject(${e.level})` : e.type));
    expect(kinds).toEqual(['deliver', 'ack', 'inject(false)', 'resample']);
    expect(m.sourceState(L)!.pq).toBe(0);
    expect(icp(m, 0).xisr).toBe(L); // the stale presentation
    expect(rfd.count).toBe(1);
    expect(m.hXirr(0)).toBe(0xff001200);
    expect(events(m, () => m.hEoi(0, 0xff001200))).toEqual(['ack(0x1200)', 'resample(0x1200)']);
    expect(icp(m, 0)).toEqual(st(0xff, 0xff, 0xff, 0));
  });

  it('PWR-S49: KVM_IRQ_LINE with KVM level codes; it succeeds even when the trigger fails', () => {
    const m = std();
    setXive(m, A, 1, 5);
    setXive(m, L, 0, 5);
    m.irqLine(A, SET);
    expect(icp(m, 1).xisr).toBe(A);
    m.irqLine(L, SET_LEVEL);
    expect(icp(m, 0).xisr).toBe(L);
    m.irqLine(L, UNSET);
    expect(m.sourceState(L)!.pq).toBe(0);
    expect(() => m.irqLine(0x2000, 1)).not.toThrow();
  });

  it('PWR-S50: retargeting never moves an interrupt already presented', () => {
    const m = std();
    setXive(m, A, 1, 5);
    trig(m, A);
    expect(events(m, () => expect(setXive(m, A, 2, 5)).toBe(0))).toEqual(['exit(0,vm,rtas)']);
    expect(icp(m, 1).xisr).toBe(A);
    expect(icp(m, 2)).toEqual(st(0xff, 0xff, 0xff, 0));
    expect(m.hXirr(1)).toBe(0xff001000);
    m.hEoi(1, 0xff001000);
    trig(m, A);
    expect(icp(m, 2).xisr).toBe(A);
  });

  it('PWR-S51: H_EOI with a more favoured CPPR (guest error) rejects nothing', () => {
    const m = std();
    setXive(m, A, 1, 5);
    trig(m, A);
    expect(events(m, () => m.hEoi(1, 0x03001001))).toEqual(['ack(0x1001)']);
    expect(icp(m, 1)).toEqual(st(0x03, 0xff, 0x05, 0x1000));
    expect(m.icpState(1)!.outEe).toBe(false);
    expect(events(m, () => m.hCppr(1, 0xff))).toEqual(['eeRaise(1)']);
    expect(m.hXirr(1)).toBe(0xff001000);
  });

  it('PWR-S52: RTAS token definition rules and unknown tokens', () => {
    const m = std();
    expect(code(() => m.defineRtasToken('ibm,set-xive', 0x2001))).toBe('ok');
    expect(code(() => m.defineRtasToken('ibm,get-xive', 0x2001))).toBe('EEXIST');
    expect(code(() => m.defineRtasToken('ibm,foo', 0x3001))).toBe('ENOENT');
    expect(code(() => m.defineRtasToken('ibm,int-on', 0))).toBe('ok');
    expect(m.rtasToken('ibm,int-on')).toBeUndefined();
    expect(m.rtas(0, { token: 0x2001, nargs: 3, nret: 1, args: [A, 1, 5] })).toEqual([0]);
    let r: number[] | null = [];
    expect(
      events(m, () => (r = m.rtas(0, { token: 0x7777, nargs: 1, nret: 1, args: [A] }))),
    ).toEqual(['exit(0,user,rtas)']);
    expect(r).toBeNull();
  });

  it('PWR-S53: get-xive does not check exists', () => {
    const m = std();
    expect(rtas(m, 'ibm,get-xive', [0x1002])).toEqual([0, 0, 0xff]);
  });

  it('PWR-S54: one device per VM, one connection per vCPU, unique servers', () => {
    const m = std({ vcpus: 4 });
    expect(code(() => m.createDevice())).toBe('EEXIST');
    expect(code(() => m.connectVcpu(1, 7))).toBe('EBUSY');
    expect(code(() => m.connectVcpu(3, 2))).toBe('EEXIST');
    expect(m.server(3)).toBeNull();
  });

  it('PWR-S55: H_IPI to oneself is a self commit; to another server it kicks', () => {
    const m = std();
    expect(events(m, () => m.hIpi(1, 1, 4))).toEqual(['eeRaise(1)']);
    expect(icp(m, 1)).toEqual(st(0xff, 0x04, 0x04, 2));
    expect(events(m, () => m.hIpi(0, 2, 4))).toEqual(['eeRaise(2)', 'kick(2)']);
    expect(icp(m, 2)).toEqual(st(0xff, 0x04, 0x04, 2));
  });

  it('PWR-S56: hv-realmode: which hcalls leave real mode, and why', () => {
    const m = std({ profile: 'hv-realmode' });
    m.setRunState(2, 'blocked');
    m.hostRedirect = false;
    setXive(m, A, 1, 5);
    setXive(m, L, 0, 5);
    const exits = (ev: string[]) => ev.filter((e) => e.startsWith('exit'));
    // (a)
    expect(exits(events(m, () => m.hXirr(0)))).toEqual([]);
    // (b)
    expect(exits(events(m, () => m.hcall(0, 0x70, 1n)))).toEqual(['exit(0,vm,hcall)']);
    // (c)
    expect(m.vm.hasAnyAckNotifier).toBe(false);
    const c = events(m, () => {
      trig(m, A);
      m.hXirr(1);
      m.hEoi(1, 0xff001000);
    });
    expect(exits(c)).toEqual([]);
    // (d)
    m.vm.irqfds.assign({ eventfd: new EventFd(), gsi: L, resamplefd: new EventFd() });
    trig(m, A);
    expect(exits(events(m, () => m.hXirr(1)))).toEqual([]);
    expect(exits(events(m, () => m.hEoi(1, 0xff001000)))).toEqual(['exit(1,vm,notify-eoi)']);
    // (e)
    const e = events(m, () => expect(m.hIpi(0, 2, 4)).toBe(H_SUCCESS));
    expect(e.slice(e.indexOf('exit(0,vm,kick)'))).toEqual(['exit(0,vm,kick)', 'kick(2)']);
  });

  it('PWR-S57: int-off keeps resend; the scan makes it masked-pending; int-on delivers', () => {
    const m = std();
    setXive(m, A, 1, 5);
    m.hCppr(1, 5);
    trig(m, A);
    expect(m.sourceState(A)!.resend).toBe(true);
    rtas(m, 'ibm,int-off', [A]);
    expect(m.sourceState(A)!.resend).toBe(true);
    m.hCppr(1, 0xff);
    expect(icp(m, 1).xisr).toBe(0);
    expect(m.sourceState(A)).toMatchObject({ resend: false, maskedPending: true });
    const w = m.getSource(A);
    expect((w >> 41n) & 7n).toBe(7n); // MASKED, PENDING, PRESENTED
    rtas(m, 'ibm,int-on', [A]);
    expect(icp(m, 1)).toEqual(st(0xff, 0xff, 0x05, A));
  });
});

// Host with a test scheduler works the same (the irqfd fast path never defers on XICS).
describe('PWR §13 scenarios under a test scheduler', () => {
  it('PWR-S46: the irqfd signal triggers synchronously even with a TestScheduler', () => {
    const host = new Host({ scheduler: new TestScheduler() });
    const m = std({ host });
    setXive(m, A, 1, 5);
    const efd = new EventFd();
    m.vm.irqfds.assign({ eventfd: efd, gsi: A });
    efd.signal();
    expect(host.scheduler.size).toBe(0);
    expect(icp(m, 1).xisr).toBe(A);
  });
});
