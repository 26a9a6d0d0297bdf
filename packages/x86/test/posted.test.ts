import { EventFd, VfioMsiDevice } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import {
  POSTED_INTR_VECTOR,
  POSTED_INTR_WAKEUP_VECTOR,
  type X86Machine,
  type X86MachineOptions,
} from '../src/index.js';
import { chipRoute, flatLdrs, inIrr, mk, msi, msiRoute, rawMsiRoute, takeEoi } from './helpers.js';

/** X86-S59's fixture: producer P (token E), irqfd on E with GSI 40 → MSI physical dest 2, vector 0x61. */
function devicePosting(options: X86MachineOptions = {}, route = msiRoute(40, 2, 0x61)) {
  const m = mk({ apicv: true, devicePosting: true, ...options });
  m.vm.setGsiRouting([route]);
  const e = new EventFd();
  const dev = new VfioMsiDevice(m.host, { type: 'msix', vectors: 1 });
  dev.setTrigger(0, e);
  const irqfd = m.vm.irqfds.assign({ eventfd: e, gsi: 40 });
  return { m, e, dev, irqfd, irq: dev.vectors[0]!.irq };
}

const exits = (m: X86Machine) =>
  Object.entries(m.counters.snapshot())
    .filter(([k]) => k.startsWith('exits.'))
    .reduce((s, [, v]) => s + v, 0);

describe('X86 §6.2 processing', () => {
  it('X86-6.1: a notification to a vCPU in guest mode moves PIR into vIRR without an exit', () => {
    const m = mk({ apicv: true });
    m.vm.signalMsi(msi(0, 0x41));
    expect(m.pid(0).pirEmpty).toBe(true);
    expect(m.pid(0).on).toBe(false);
    expect(inIrr(m, 0, 0x41)).toBe(true);
    expect(m.counters.get('notifications')).toBe(1);
    expect(exits(m)).toBe(0);
  });

  it('X86-6.2: software posting: PIR set → coalesced; ON set → no second notification; blocked → wakeup', () => {
    const m = mk({ apicv: true });
    m.setRunState(0, 'host');
    expect(m.vm.signalMsi(msi(0, 0x41))).toBe(1);
    expect(m.vm.signalMsi(msi(0, 0x41))).toBe(1);
    expect(m.vm.signalMsi(msi(0, 0x42))).toBe(1);
    expect(m.pid(0).pir.toArray()).toEqual([0x41, 0x42]);
    expect(m.pid(0).on).toBe(true);
    expect(m.counters.get('notifications')).toBe(0);
    m.setRunState(1, 'blocked');
    m.vm.signalMsi(msi(1, 0x43));
    expect(m.counters.get('wakeups')).toBe(1);
    expect(m.runState(1)).toBe('host');
  });

  it('X86-6.3: without APICv: IRR is set and the vCPU kicked (guest), woken (blocked), or left alone (host)', () => {
    const m = mk();
    m.vm.signalMsi(msi(0, 0x41));
    expect(m.vcpuCounters(0).get('exits.kick')).toBe(1);
    m.setRunState(1, 'blocked');
    m.vm.signalMsi(msi(1, 0x41));
    expect(m.vcpuCounters(1).get('wakeups')).toBe(1);
    m.setRunState(2, 'host');
    m.vm.signalMsi(msi(2, 0x41));
    expect(m.vcpuCounters(2).snapshot()).toMatchObject({ 'exits.kick': 0, wakeups: 0 });
    expect(inIrr(m, 2, 0x41)).toBe(true);
  });

  it('X86-6.3a: NV/SN are left alone while no bypass IRQ is possible (and no IPIv)', () => {
    const m = mk({ apicv: true, devicePosting: true });
    m.setRunState(0, 'preempted');
    m.setRunState(1, 'blocked');
    expect([m.pid(0).sn, m.pid(1).nv]).toEqual([false, POSTED_INTR_VECTOR]);
    const i = mk({ apicv: true, ipiv: true });
    i.setRunState(0, 'preempted');
    i.setRunState(1, 'blocked');
    expect([i.pid(0).sn, i.pid(1).nv]).toEqual([true, POSTED_INTR_WAKEUP_VECTOR]);
  });

  it('X86-6.4: blocking arms the wakeup vector; ON already set raises an immediate wakeup; loading disarms', () => {
    const { m } = devicePosting();
    m.setRunState(2, 'blocked');
    expect(m.pid(2).nv).toBe(POSTED_INTR_WAKEUP_VECTOR);
    expect(m.vcpu(2).onWakeupList).toBe(true);
    m.setRunState(2, 'guest');
    expect([m.pid(2).nv, m.pid(2).sn, m.vcpu(2).onWakeupList]).toEqual([
      POSTED_INTR_VECTOR,
      false,
      false,
    ]);
    m.setRunState(2, 'host');
    m.vm.signalMsi(msi(2, 0x44)); // ON set, vCPU in the host
    m.setRunState(2, 'blocked');
    expect(m.runState(2)).toBe('host'); // self wakeup: the wakeup is not lost
    expect(m.vcpuCounters(2).get('wakeups')).toBe(1);
  });

  it('X86-6.5: the first bypass IRQ makes blocked vCPUs re-block with the wakeup vector armed', () => {
    const m = mk({ apicv: true, devicePosting: true });
    m.setRunState(1, 'blocked');
    expect(m.pid(1).nv).toBe(POSTED_INTR_VECTOR);
    m.vm.setGsiRouting([msiRoute(40, 2, 0x61)]);
    const e = new EventFd();
    new VfioMsiDevice(m.host, { type: 'msix', vectors: 1 }).setTrigger(0, e);
    m.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    expect(m.bypassCount).toBe(1);
    expect(m.runState(1)).toBe('blocked');
    expect(m.pid(1).nv).toBe(POSTED_INTR_WAKEUP_VECTOR);
    expect(m.vcpuCounters(0).get('exits.kick')).toBe(1); // running vCPUs are kicked
  });
});

describe('X86 §6.4 IOMMU side', () => {
  it('X86-6.6: a posted IRTE sets PIR and notifies unless ON or SN; no host handler, no eventfd signal', () => {
    const { m, e, dev } = devicePosting();
    m.setRunState(2, 'preempted');
    dev.fire(0);
    expect([m.pid(2).pir.test(0x61), m.pid(2).on]).toEqual([true, false]);
    expect(e.count).toBe(0);
    expect(m.host.counters.get('hostIrqs')).toBe(0);
  });

  it('X86-6.7: the model’s posting is Intel’s; an AVIC-like subset (guest / blocked) behaves the same', () => {
    const { m, dev } = devicePosting();
    dev.fire(0);
    expect(inIrr(m, 2, 0x61)).toBe(true);
    takeEoi(m, 2);
    m.setRunState(2, 'blocked');
    dev.fire(0);
    expect(m.runState(2)).toBe('host');
  });
});

describe('X86 §6.5 what can be posted, and the bypass hooks', () => {
  it('X86-6.8: postable = single msi entry, fixed/lowest, one destination vCPU (level MSIs too, with a diagnostic)', () => {
    const level = devicePosting({}, msiRoute(40, 2, 0x61, 0x8061));
    expect(level.m.irte(level.irq)).toEqual({ mode: 'posted', vcpu: 2, vector: 0x61 });
    const smi = devicePosting({}, msiRoute(40, 2, 0x61, 0x0261));
    expect(smi.m.irte(smi.irq)).toEqual({ mode: 'remapped' });
    const bcast = devicePosting({}, msiRoute(40, 0xff, 0x61));
    expect(bcast.m.irte(bcast.irq)).toEqual({ mode: 'remapped' });
    const one = devicePosting({ vcpus: 1 }, msiRoute(40, 0xff, 0x61)); // KVM counts matching APICs
    expect(one.m.irte(one.irq)).toEqual({ mode: 'posted', vcpu: 0, vector: 0x61 });
    const diag: string[] = [];
    const m = mk({ apicv: true, devicePosting: true });
    m.trace.subscribe((ev) => ev.type === 'diagnostic' && diag.push(ev.code));
    m.vm.setGsiRouting([msiRoute(40, 1, 0x61, 0x8061)]);
    const e = new EventFd();
    new VfioMsiDevice(m.host, { type: 'msi', vectors: 1 }).setTrigger(0, e);
    m.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    expect(diag).toContain('X86-6.8');
  });

  it('X86-6.9: addProducer counts the possible bypass and posts a postable cached route', () => {
    const { m, irq } = devicePosting();
    expect(m.bypassCount).toBe(1);
    expect(m.irte(irq)).toEqual({ mode: 'posted', vcpu: 2, vector: 0x61 });
    expect(m.counters.get('irteUpdates')).toBe(1);
    // A GSI with several entries (or an irqchip entry) caches none: nothing to program.
    const d = mk({ apicv: true, devicePosting: true });
    const e = new EventFd();
    const dev = new VfioMsiDevice(d.host, { type: 'msix', vectors: 1 });
    dev.setTrigger(0, e);
    d.vm.irqfds.assign({ eventfd: e, gsi: 5 });
    expect(d.bypassCount).toBe(1);
    expect(d.irte(dev.vectors[0]!.irq)).toEqual({ mode: 'remapped' });
  });

  it('X86-6.10: delProducer reverts to remapped and drops the count', () => {
    const { m, dev, irq } = devicePosting();
    dev.setTrigger(0, null);
    expect(m.irte(irq)).toEqual({ mode: 'remapped' });
    expect(m.bypassCount).toBe(0);
  });

  it('X86-6.11: route updates reprogram only when an msi side changed', () => {
    const { m, irq } = devicePosting();
    m.vm.setGsiRouting([msiRoute(40, 3, 0x62)]);
    expect(m.irte(irq)).toEqual({ mode: 'posted', vcpu: 3, vector: 0x62 });
    m.vm.setGsiRouting([chipRoute(40, 2, 5)]);
    expect(m.irte(irq)).toEqual({ mode: 'remapped' });
    const n = m.counters.get('irteUpdates');
    m.vm.setGsiRouting([chipRoute(40, 2, 6)]); // neither side msi
    expect(m.counters.get('irteUpdates')).toBe(n);
  });

  it('X86-6.12: changing the guest’s APIC IDs does not reprogram the IRTE', () => {
    const { m, irq } = devicePosting();
    m.mmioWrite(2, 0xfee00020, 0x09000000, 4);
    expect(m.irte(irq)).toEqual({ mode: 'posted', vcpu: 2, vector: 0x61 });
  });

  it('X86-6.13: stop/start are no-ops: connecting changes no run state and no vCPU state', () => {
    const m = mk({ apicv: true, devicePosting: true });
    expect(m.vm.arch.bypass?.stop).toBeUndefined();
    expect(m.vm.arch.bypass?.start).toBeUndefined();
  });
});

describe('X86 §9 scenarios — posted interrupts and bypass', () => {
  it('X86-S55: software post to a running vCPU', () => {
    const m = mk({ apicv: true });
    m.vm.setGsiRouting([msiRoute(40, 0, 0x41)]);
    const e = new EventFd();
    m.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    const posts: unknown[] = [];
    m.trace.subscribe((ev) => ev.type === 'x86.post' && posts.push(ev.notification));
    e.signal();
    expect(posts).toEqual(['guest']);
    expect([m.pid(0).pirEmpty, m.pid(0).on, inIrr(m, 0, 0x41)]).toEqual([true, false, true]);
    expect(m.counters.get('notifications')).toBe(1);
    expect(exits(m)).toBe(0);
  });

  it('X86-S56: coalesced post', () => {
    const m = mk({ apicv: true });
    m.setRunState(0, 'host');
    expect([m.vm.signalMsi(msi(0, 0x41)), m.vm.signalMsi(msi(0, 0x41))]).toEqual([1, 1]);
    expect(m.pid(0).pir.toArray()).toEqual([0x41]);
    m.vm.signalMsi(msi(0, 0x42));
    expect(m.pid(0).pir.toArray()).toEqual([0x41, 0x42]);
    expect(m.counters.get('notifications')).toBe(0);
    m.setRunState(0, 'guest');
    expect(m.lapic(0).irr.toArray()).toEqual([0x41, 0x42]);
    expect(m.pid(0).pirEmpty).toBe(true);
  });

  it('X86-S57: software post to a blocked vCPU', () => {
    const m = mk({ apicv: true });
    m.setRunState(0, 'blocked');
    m.vm.signalMsi(msi(0, 0x41));
    expect(m.counters.get('wakeups')).toBe(1);
    expect(m.counters.get('notifications')).toBe(0);
    expect(m.runState(0)).toBe('host');
    expect(m.guest.take(0)).toBe(0x41);
  });

  it('X86-S58: no APICv kick', () => {
    const m = mk();
    m.vm.setGsiRouting([msiRoute(40, 0, 0x41)]);
    const e = new EventFd();
    m.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    m.setInterruptible(0, false);
    e.signal();
    expect(inIrr(m, 0, 0x41)).toBe(true);
    expect(m.counters.get('exits.kick')).toBe(1);
    expect(m.guest.take(0)).toBeNull();
    m.setInterruptible(0, true);
    expect(m.counters.get('exits.irqWindow')).toBe(1);
    expect(m.guest.take(0)).toBe(0x41);
  });

  it('X86-S59: device posting, running', () => {
    const { m, e, dev, irq } = devicePosting();
    expect(m.irte(irq)).toEqual({ mode: 'posted', vcpu: 2, vector: 0x61 });
    const fast = m.counters.get('fastPathInjections');
    const x0 = exits(m); // connecting kicked the running vCPUs once (X86-6.5)
    dev.fire(0);
    expect(inIrr(m, 2, 0x61)).toBe(true);
    expect(exits(m)).toBe(x0);
    expect(m.host.counters.get('hostIrqs')).toBe(0);
    expect(e.count).toBe(0);
    expect(m.counters.get('fastPathInjections')).toBe(fast);
  });

  it('X86-S60: device posting, blocked', () => {
    const { m, dev } = devicePosting();
    m.setRunState(2, 'blocked');
    expect(m.pid(2).nv).toBe(POSTED_INTR_WAKEUP_VECTOR);
    const x0 = exits(m);
    dev.fire(0);
    expect(m.host.counters.get('hostIrqs')).toBe(1);
    expect(m.counters.get('hostIrqs')).toBe(1);
    expect(m.counters.get('wakeups')).toBe(1);
    expect(exits(m)).toBe(x0);
    m.setRunState(2, 'guest');
    expect(inIrr(m, 2, 0x61)).toBe(true);
  });

  it('X86-S61: device posting, preempted', () => {
    const { m, dev } = devicePosting();
    m.setRunState(2, 'preempted');
    expect(m.pid(2).sn).toBe(true);
    dev.fire(0);
    expect([m.pid(2).pir.test(0x61), m.pid(2).on]).toEqual([true, false]);
    expect(m.counters.get('notifications') + m.counters.get('hostIrqs')).toBe(0);
    m.setRunState(2, 'host'); // load: SN cleared, ON set
    expect([m.pid(2).sn, m.pid(2).on]).toEqual([false, true]);
    m.setRunState(2, 'guest');
    expect(inIrr(m, 2, 0x61)).toBe(true);
  });

  it('X86-S62: route becomes multicast → remapped', () => {
    const { m, e, dev, irq } = devicePosting();
    flatLdrs(m);
    m.vm.setGsiRouting([rawMsiRoute(40, { addressLo: 0xfee03004, addressHi: 0, data: 0x61 })]);
    expect(m.irte(irq)).toEqual({ mode: 'remapped' });
    const fast = m.counters.get('fastPathInjections');
    dev.fire(0);
    expect(m.host.counters.get('hostIrqs')).toBe(1);
    expect(m.counters.get('fastPathInjections')).toBe(fast + 1);
    expect([inIrr(m, 0, 0x61), inIrr(m, 1, 0x61)]).toEqual([true, true]);
    expect(e.count).toBe(0); // consumed by the irqfd
  });

  it('X86-S63: non-postable delivery modes', () => {
    const { m, dev, irq } = devicePosting({}, msiRoute(40, 2, 0, 0x0400));
    expect(m.irte(irq)).toEqual({ mode: 'remapped' });
    dev.fire(0);
    expect(m.vcpu(2).nmiPending).toBe(1);
  });

  it('X86-S64: lowest priority narrows to one', () => {
    const m = mk({ apicv: true, devicePosting: true });
    flatLdrs(m);
    m.vm.setGsiRouting([rawMsiRoute(40, { addressLo: 0xfee0f004, addressHi: 0, data: 0x0133 })]);
    const e = new EventFd();
    const dev = new VfioMsiDevice(m.host, { type: 'msix', vectors: 1 });
    dev.setTrigger(0, e);
    m.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    expect(m.irte(dev.vectors[0]!.irq)).toEqual({ mode: 'posted', vcpu: 3, vector: 0x33 });
  });

  it('X86-S65: unchanged route is not reprogrammed', () => {
    const { m } = devicePosting();
    const n = m.counters.get('irteUpdates');
    const h = m.host.counters.get('irteUpdates');
    m.vm.setGsiRouting([msiRoute(40, 2, 0x61)]);
    expect(m.counters.get('irteUpdates')).toBe(n);
    expect(m.host.counters.get('irteUpdates')).toBe(h);
  });

  it('X86-S66: teardown reverts posting', () => {
    const a = devicePosting();
    a.m.vm.irqfds.deassign({ eventfd: a.e, gsi: 40 });
    expect(a.m.irte(a.irq)).toEqual({ mode: 'remapped' });
    a.dev.fire(0);
    expect(a.m.host.counters.get('hostIrqs')).toBe(1);
    expect(inIrr(a.m, 2, 0x61)).toBe(false);
    const b = devicePosting();
    b.dev.setTrigger(0, null); // unregister the producer instead
    expect(b.m.irte(b.irq)).toEqual({ mode: 'remapped' });
    b.e.signal();
    expect(inIrr(b.m, 2, 0x61)).toBe(true);
  });

  it('X86-S67: first bypass kicks blockers', () => {
    const m = mk({ apicv: true, devicePosting: true });
    for (let i = 0; i < 4; i++) m.setRunState(i, 'blocked');
    expect([0, 1, 2, 3].map((i) => m.pid(i).nv)).toEqual(Array(4).fill(POSTED_INTR_VECTOR));
    m.vm.setGsiRouting([msiRoute(40, 2, 0x61)]);
    const e = new EventFd();
    new VfioMsiDevice(m.host, { type: 'msix', vectors: 1 }).setTrigger(0, e);
    const unblocks: number[] = [];
    m.trace.subscribe((ev) => ev.type === 'x86.unblock' && unblocks.push(ev.vcpu));
    m.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    expect(unblocks).toEqual([0, 1, 2, 3]);
    expect([0, 1, 2, 3].map((i) => m.pid(i).nv)).toEqual(Array(4).fill(POSTED_INTR_WAKEUP_VECTOR));
    expect([0, 1, 2, 3].map((i) => m.runState(i))).toEqual(Array(4).fill('blocked'));
  });
});
