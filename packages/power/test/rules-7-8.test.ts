import { EventFd, Host, TestScheduler, VfioMsiDevice } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { createPowerMachine, H_CPPR, H_IPOLL, H_SUCCESS, H_XIRR, H_XIRR_X } from '../src/index.js';
import { A, B, events, icp, L, SET, SET_LEVEL, setXive, st, std, trig, UNSET } from './fixture.js';

describe('PWR §7 injection paths', () => {
  it('PWR-7.1: kvm_set_irq is the trigger itself: source ids are ignored, nothing is OR-ed', () => {
    const m = std();
    setXive(m, L, 0, 5);
    m.vm.setIrq(5, L, true);
    expect(m.sourceState(L)!.pq).toBe(1);
    m.vm.setIrq(7, L, false); // another source id de-asserts the one input
    expect(m.sourceState(L)!.pq).toBe(0);
    expect(m.vm.lineSources(0, L)).toEqual([]);
  });

  it('PWR-7.2: no routing table and no KVM_SIGNAL_MSI; an identity map stands in', () => {
    const m = std();
    expect(() => m.vm.setGsiRouting([])).toThrow(/ENOTTY/);
    expect(() => m.vm.signalMsi({ addressLo: 0, addressHi: 0, data: A })).toThrow(/ENOTTY/);
    expect(m.vm.entriesFor(A)).toEqual([{ gsi: A, kind: 'irqchip', chip: 0, pin: A }]);
    expect(m.vm.gsiFor(0, 0x1234)).toBe(0x1234);
    expect(m.vm.gsiFor(1, 0x1234)).toBe(-1);
    expect(m.save().vm.routing).toBeNull();
  });

  it('PWR-7.3: KVM_IRQ_LINE needs the device (ENXIO) and returns normally even if the trigger fails', () => {
    expect(() => createPowerMachine({ vcpus: 1, xics: 'none' }).irqLine(A, 1)).toThrow(/ENXIO/);
    const m = std();
    setXive(m, L, 0, 5);
    expect(() => m.irqLine(0x5000, SET)).not.toThrow();
    m.irqLine(L, SET_LEVEL);
    expect(icp(m, 0).xisr).toBe(L);
    m.irqLine(L, UNSET);
    expect(m.sourceState(L)!.pq).toBe(0);
    m.irqLine(L, true);
    expect(m.sourceState(L)!.pq).toBe(1);
  });

  it('PWR-7.4: irqfd assign needs no routing and does not validate the gsi', () => {
    const m = std();
    for (const gsi of [A, 0x2000, 0xfffff, 0xffffffff]) {
      expect(() => m.vm.irqfds.assign({ eventfd: new EventFd(), gsi })).not.toThrow();
    }
    expect(m.vm.irqfds.active).toHaveLength(4);
  });

  it('PWR-7.5: a signal triggers level 1 synchronously, no level 0 follows, errors are swallowed', () => {
    const host = new Host({ scheduler: new TestScheduler() });
    const m = std({ host });
    setXive(m, L, 0, 5);
    const efd = new EventFd();
    m.vm.irqfds.assign({ eventfd: efd, gsi: L });
    efd.signal();
    expect(host.scheduler.size).toBe(0);
    expect(m.sourceState(L)!.pq).toBe(1); // asserted for good
    const bad = new EventFd();
    m.vm.irqfds.assign({ eventfd: bad, gsi: 0x5000 });
    expect(() => bad.signal()).not.toThrow();
  });

  it('PWR-7.5: an eventfd that already had a count is injected by the deferred pulse (1 then 0)', () => {
    const host = new Host({ scheduler: new TestScheduler() });
    const m = std({ host });
    setXive(m, L, 0, 5);
    const efd = new EventFd({ initial: 1 });
    m.vm.irqfds.assign({ eventfd: efd, gsi: L });
    expect(host.scheduler.size).toBe(1);
    host.scheduler.run();
    expect(icp(m, 0).xisr).toBe(L); // presented by the 1 ...
    expect(m.sourceState(L)!.pq).toBe(0); // ... and de-asserted by the 0
  });

  it('PWR-7.6: resampling irqfds on one gsi share a resampler: one de-assert, every resamplefd signalled', () => {
    const m = std();
    setXive(m, L, 0, 5);
    const r1 = new EventFd();
    const r2 = new EventFd();
    const e1 = new EventFd();
    m.vm.irqfds.assign({ eventfd: e1, gsi: L, resamplefd: r1 });
    m.vm.irqfds.assign({ eventfd: new EventFd(), gsi: L, resamplefd: r2 });
    expect(m.vm.irqfds.resampler(L)!.list).toHaveLength(2);
    e1.signal();
    m.hXirr(0);
    const ev = events(m, () => m.hEoi(0, 0xff001200));
    expect(ev).toEqual([
      'eeRaise(0)',
      'kick(0,self)',
      'ack(0x1200)',
      'resample(0x1200)',
      'resample(0x1200)',
    ]);
    expect([r1.count, r2.count]).toEqual([1, 1]);
    expect(m.sourceState(L)!.pq).toBe(0);
  });

  it('PWR-7.7: every H_EOI of a non-IPI number with an ICS acks, MSI or LSI, listened to or not', () => {
    const m = std();
    expect(events(m, () => m.hEoi(0, 0xff001000))).toEqual(['ack(0x1000)']);
    expect(events(m, () => m.hEoi(0, 0xff001200))).toEqual(['ack(0x1200)']);
    expect(events(m, () => m.hEoi(0, 0xff001333))).toEqual(['ack(0x1333)']);
    expect(events(m, () => m.hEoi(0, 0xff005000))).toEqual([]);
    expect(events(m, () => m.hEoi(0, 0xff000002))).toEqual([]);
    let acked = 0;
    m.vm.registerAckNotifier({ gsi: B, onAck: () => acked++ });
    m.hEoi(0, 0xff001001);
    expect(acked).toBe(1);
  });

  it('PWR-7.8: QEMU binds an MSI irqfd to the number its data word carries (data & 0xFFFF)', () => {
    const m = std();
    setXive(m, B, 2, 5);
    const msiData = 0x1001;
    const efd = new EventFd();
    m.vm.irqfds.assign({ eventfd: efd, gsi: msiData & 0xffff });
    efd.signal();
    expect(icp(m, 2).xisr).toBe(B);
  });

  it('PWR-7.9: a paired host MSI is delivered in real mode: no host handler, eventfd or irqfd', () => {
    const m = std({ profile: 'hv-realmode' });
    expect(m.capabilities.msiBypass).toBe('post');
    setXive(m, A, 1, 5);
    const dev = new VfioMsiDevice(m.host, { type: 'msix', vectors: 1 });
    const efd = new EventFd();
    m.vm.irqfds.assign({ eventfd: efd, gsi: A });
    dev.setTrigger(0, efd);
    expect(m.host.counters.get('bypassConnects')).toBe(1);
    // it arrives on vCPU 1's own hardware thread (the target runs): a self kick (MER)
    const ev = events(m, () => dev.fire(0));
    expect(ev).toEqual(['eeRaise(1)', 'kick(1,self)']);
    expect(icp(m, 1)).toEqual(st(0xff, 0xff, 5, A));
    expect(m.counters.get('passthru.realmode')).toBe(1);
    expect(m.counters.get('fastPathInjections')).toBe(0);
    expect(m.host.counters.get('hostIrqs')).toBe(0);
    expect(efd.count).toBe(0);
  });

  it('PWR-7.9: the passthrough trigger is an MSI trigger without the exists check', () => {
    const m = std({ profile: 'hv-realmode' });
    const X = 0x1010; // ICS 4 exists; the slot was never set
    setXive(m, X, 2, 5);
    const dev = new VfioMsiDevice(m.host, { type: 'msi', vectors: 1 });
    const efd = new EventFd();
    m.vm.irqfds.assign({ eventfd: efd, gsi: X });
    dev.setTrigger(0, efd);
    dev.fire(0);
    expect(icp(m, 2).xisr).toBe(X);
    dev.fire(0);
    expect(m.sourceState(X)!.pq).toBe(3);
    expect(m.trigger(X, 1)).toBe(-22); // the ordinary path does check
  });

  it('PWR-7.9: with no vCPU in the guest, or no ICS, the host handles it through the eventfd', () => {
    const m = std({ profile: 'hv-realmode' });
    setXive(m, A, 1, 5);
    const dev = new VfioMsiDevice(m.host, { type: 'msix', vectors: 2 });
    const efd = new EventFd();
    m.vm.irqfds.assign({ eventfd: efd, gsi: A });
    dev.setTrigger(0, efd);
    for (let v = 0; v < 3; v++) m.setRunState(v, 'host');
    dev.fire(0);
    expect(icp(m, 1).xisr).toBe(A);
    expect(m.counters.get('passthru.host')).toBe(1);
    expect(m.counters.get('fastPathInjections')).toBe(1);
    m.setRunState(0, 'guest');
    const efd2 = new EventFd();
    m.vm.irqfds.assign({ eventfd: efd2, gsi: 0x5000 });
    dev.setTrigger(1, efd2);
    dev.fire(1);
    expect(m.counters.get('passthru.host')).toBe(2);
  });

  it('PWR-7.9: a kick real mode cannot do costs the interrupted vCPU one exit', () => {
    const m = std({ profile: 'hv-realmode' });
    m.hostRedirect = false;
    m.setRunState(1, 'blocked');
    setXive(m, A, 1, 5);
    const dev = new VfioMsiDevice(m.host, { type: 'msix', vectors: 1 });
    const efd = new EventFd();
    m.vm.irqfds.assign({ eventfd: efd, gsi: A });
    dev.setTrigger(0, efd);
    expect(events(m, () => dev.fire(0))).toEqual(['eeRaise(1)', 'exit(0,vm,kick)', 'kick(1)']);
  });

  it('PWR-7.9: unpairing reverts to the host path; the virtual profile never pairs', () => {
    const m = std({ profile: 'hv-realmode' });
    setXive(m, A, 1, 5);
    const dev = new VfioMsiDevice(m.host, { type: 'msix', vectors: 1 });
    const efd = new EventFd();
    m.vm.irqfds.assign({ eventfd: efd, gsi: A });
    dev.setTrigger(0, efd);
    m.vm.irqfds.deassign({ eventfd: efd, gsi: A });
    expect(dev.vector(0).hostIrq.posted).toBeNull();
    dev.fire(0);
    expect(icp(m, 1).xisr).toBe(0);
    expect(efd.count).toBe(1);

    const v = std();
    expect(v.capabilities.msiBypass).toBe('none');
    setXive(v, A, 1, 5);
    const dev2 = new VfioMsiDevice(v.host, { type: 'msix', vectors: 1 });
    const efd2 = new EventFd();
    v.vm.irqfds.assign({ eventfd: efd2, gsi: A });
    dev2.setTrigger(0, efd2);
    dev2.fire(0);
    expect(v.counters.get('fastPathInjections')).toBe(1);
    expect(icp(v, 1).xisr).toBe(A);
  });
});

describe('PWR §8 real mode vs virtual mode', () => {
  it('PWR-8.1: hv-realmode completes H_XIRR(_X), H_CPPR, H_EOI, H_IPI in real mode; H_IPOLL and RTAS exit', () => {
    const m = std({ profile: 'hv-realmode' });
    const c = m.vcpuCounters(1);
    c.reset();
    m.hcall(1, H_XIRR);
    m.hcall(1, H_XIRR_X);
    m.hCppr(1, 4);
    m.hIpi(1, 1, 3);
    m.hEoi(1, 0xff000002);
    expect(c.get('hcalls.realmode')).toBe(5);
    expect(c.get('exits.hcall')).toBe(0);
    expect(m.hcall(1, H_IPOLL, 1n).handledIn).toBe('kernel');
    expect(c.get('exits.hcall')).toBe(1);
    m.rtasByName(1, 'ibm,get-xive', [A], 3);
    expect(c.get('exits.rtas')).toBe(1);
    expect(c.get('rtas')).toBe(1);
    const v = std();
    v.vcpuCounters(1).reset();
    v.hXirr(1);
    v.hCppr(1, 4);
    expect(v.vcpuCounters(1).get('exits.hcall')).toBe(2);
    expect(v.vcpuCounters(1).get('hcalls.realmode')).toBe(0);
  });

  it('PWR-8.1: hcalls started from inside another (10 deep) leave the outer one in real mode', () => {
    const m = std({ profile: 'hv-realmode' });
    const inner: string[] = [];
    let depth = 0;
    m.trace.subscribe((e) => {
      // Each H_IPOLL exits to the host kernel; its exit event starts the next one.
      const start = e.type === 'power.eeLower' || (e.type === 'power.exit' && e.vcpu === 0);
      if (!start || depth === 10) return;
      depth++;
      inner.push(m.hcall(0, H_IPOLL, 0n).handledIn);
    });
    const outer = m.hcall(1, H_CPPR, 4n); // more favoured: lowers EE first
    expect(inner).toEqual(Array(10).fill('kernel'));
    expect(outer.handledIn).toBe('realmode');
    expect(m.vcpuCounters(1).get('exits.hcall')).toBe(0);
    expect(icp(m, 1).cppr).toBe(4);
  });

  it('PWR-8.1: rejects and resends are done in real mode too', () => {
    const m = std({ profile: 'hv-realmode' });
    setXive(m, A, 1, 5);
    setXive(m, B, 1, 3);
    trig(m, A);
    trig(m, B);
    const ev = events(m, () => {
      m.hXirr(1);
      m.hEoi(1, 0xff001001); // resend scan delivers A
      m.hCppr(1, 2); // up-CPPR rejects A
    });
    expect(ev.filter((e) => e.startsWith('exit'))).toEqual([]);
    expect(m.sourceState(A)!.resend).toBe(true);
  });

  it('PWR-8.2: a punt exits once (kick before notify-eoi), then virtual mode kicks and acks; r3 stays H_SUCCESS', () => {
    const m = std({ profile: 'hv-realmode' });
    m.hostRedirect = false;
    m.setRunState(2, 'blocked');
    setXive(m, L, 0, 5);
    m.vm.irqfds.assign({ eventfd: new EventFd(), gsi: L, resamplefd: new EventFd() });
    m.trigger(L, SET_LEVEL);
    m.hXirr(0);
    setXive(m, L, 2, 5); // in service on ICP 0; the EOI re-presents it at server 2
    let r: ReturnType<typeof m.hcall> | undefined;
    const ev = events(m, () => (r = m.hcall(0, 0x64, 0xff001200n)));
    expect(ev).toEqual([
      'eeRaise(2)',
      'exit(0,vm,kick)',
      'kick(2)',
      'ack(0x1200)',
      'resample(0x1200)',
    ]);
    expect(r).toEqual({ r3: H_SUCCESS, handledIn: 'kernel' });
    expect(m.vcpuCounters(0).get('exits.kick')).toBe(1);
    expect(m.vcpuCounters(0).get('exits.notify-eoi')).toBe(0);
  });

  it('PWR-8.3: kick costs in real mode: self and running targets and redirected wake-ups exit nothing', () => {
    const m = std({ profile: 'hv-realmode' });
    m.setRunState(2, 'preempted');
    const ev = events(m, () => {
      m.hIpi(0, 0, 4); // self commit
      m.hIpi(0, 1, 4); // running: direct IPI from real mode
      m.hIpi(0, 2, 4); // not running, host core borrowed
    });
    expect(ev).toEqual(['eeRaise(0)', 'eeRaise(1)', 'kick(1)', 'eeRaise(2)', 'kick(2)']);
    expect(m.vcpuCounters(1).get('kicks.direct')).toBe(1);
    expect(m.vcpuCounters(2).get('kicks.redirected')).toBe(1);
    expect(m.counters.get('exits.kick')).toBe(0);
  });

  it('PWR-8.4: H_EOI of an unknown ICS: H_SUCCESS in real mode; all other state is the same', () => {
    const run = (profile: 'hv-realmode' | 'virtual') => {
      const m = std({ profile });
      setXive(m, A, 1, 5);
      setXive(m, B, 1, 3);
      setXive(m, L, 2, 4);
      trig(m, A);
      trig(m, B);
      m.trigger(L, SET_LEVEL);
      m.hIpi(0, 1, 4);
      m.hXirr(1);
      m.hXirr(2);
      const r3 = m.hEoi(1, 0xff005000);
      m.hEoi(2, 0xff001200);
      m.hCppr(1, 0xff);
      return {
        r3,
        icps: [0, 1, 2].map((v) => m.getIcp(v)),
        srcs: [A, B, L].map((i) => m.getSource(i)),
      };
    };
    const rm = run('hv-realmode');
    const vm = run('virtual');
    expect(rm.r3).toBe(H_SUCCESS);
    expect(vm.r3).toBe(-4);
    expect(rm.icps).toEqual(vm.icps);
    expect(rm.srcs).toEqual(vm.srcs);
  });

  it('PWR-8.5: host-side injection exits nothing; it only kicks', () => {
    for (const profile of ['hv-realmode', 'virtual'] as const) {
      const m = std({ profile });
      m.setRunState(1, 'blocked');
      m.hostRedirect = false;
      setXive(m, A, 1, 5);
      setXive(m, B, 2, 4);
      const efd = new EventFd();
      m.vm.irqfds.assign({ eventfd: efd, gsi: B });
      const ev = events(
        m,
        () => {
          trig(m, A);
          efd.signal();
          m.irqLine(L, SET_LEVEL); // L is masked: no kick
        },
        true,
      );
      expect(ev).toEqual(['eeRaise(1)', 'kick(1)', 'eeRaise(2)', 'kick(2)']);
    }
  });

  it('PWR-8.6: only the XICS-host profiles exist (no POWER9 XIVE profile)', () => {
    expect(() => createPowerMachine({ vcpus: 1, profile: 'xive' as unknown as 'virtual' })).toThrow(
      /EINVAL/,
    );
    expect(createPowerMachine({ vcpus: 1 }).profile).toBe('hv-realmode');
  });
});
