import { EventFd, IRQFD_FLAG_DEASSIGN, USERSPACE_SOURCE_ID } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { createReferenceMachine } from '../src/index.js';
import {
  defaultTable,
  drain,
  errorCode,
  msiRoute,
  pinRoute,
  program,
  refFixture,
} from './fixture.js';

describe('CORE §10 irqfd scenarios (reference plugin)', () => {
  it('CORE-S15: bad irqfd flags are refused before anything registers; no irqchip → EINVAL', () => {
    const { vm } = refFixture();
    const fd = new EventFd();
    expect(errorCode(() => vm.irqfds.irqfd({ eventfd: fd, gsi: 4, flags: 1 << 2 }))).toBe('EINVAL');
    expect(vm.irqfds.active).toHaveLength(0);
    expect(fd.hasPriorityWaiter).toBe(false);
    const none = refFixture({ irqchip: false });
    expect(errorCode(() => none.vm.irqfds.assign({ eventfd: fd, gsi: 4 }))).toBe('EINVAL');
    expect(
      errorCode(() => none.vm.irqfds.assign({ eventfd: fd, gsi: 4, resamplefd: new EventFd() })),
    ).toBe('EINVAL');
    // (The x86 split-irqchip RESAMPLE refusal is tested in @irqkit/x86.)
  });

  it('CORE-S16: one irqfd per eventfd, across VMs; freed by deassign', () => {
    const { vm, host } = refFixture();
    const e = new EventFd();
    vm.irqfds.assign({ eventfd: e, gsi: 20 });
    expect(errorCode(() => vm.irqfds.assign({ eventfd: e, gsi: 21 }))).toBe('EBUSY');
    const other = createReferenceMachine({ host, vcpus: 1 });
    expect(errorCode(() => other.vm.irqfds.assign({ eventfd: e, gsi: 20 }))).toBe('EBUSY');
    vm.irqfds.irqfd({ eventfd: e, gsi: 20, flags: IRQFD_FLAG_DEASSIGN });
    vm.irqfds.assign({ eventfd: e, gsi: 21 });
    expect(vm.irqfds.active.map((i) => i.gsi)).toEqual([21]);
  });

  it('CORE-S17: several irqfds on one GSI each inject', () => {
    const { m, vm, scheduler } = refFixture();
    program(m, 20, { vector: 0x60, trigger: 'edge' });
    const [e1, e2] = [new EventFd(), new EventFd()];
    vm.irqfds.assign({ eventfd: e1, gsi: 20 });
    vm.irqfds.assign({ eventfd: e2, gsi: 20 });
    e1.signal();
    scheduler.run();
    expect(drain(m)).toEqual([0x60]);
    e2.signal();
    scheduler.run();
    expect(drain(m)).toEqual([0x60]);
  });

  it('CORE-S18: an MSI route takes the fast path synchronously', () => {
    const { m, vm, scheduler } = refFixture();
    vm.setGsiRouting([msiRoute(40, 0, 0x41)]);
    const e = new EventFd();
    vm.irqfds.assign({ eventfd: e, gsi: 40 });
    e.signal();
    expect(m.cpu(0).irr.test(0x41)).toBe(true);
    expect(scheduler.size).toBe(0);
  });

  it('CORE-S19: a pin route is deferred to the inject task, which pulses the line', () => {
    const { m, vm, scheduler } = refFixture();
    program(m, 4, { vector: 0x44, trigger: 'edge' });
    const e = new EventFd();
    vm.irqfds.assign({ eventfd: e, gsi: 4 });
    e.signal();
    expect(m.cpu(0).irr.test(0x44)).toBe(false);
    expect(scheduler.pending().map((t) => t.kind)).toEqual(['inject']);
    scheduler.run();
    expect(drain(m)).toEqual([0x44]);
    expect(vm.lineSources(0, 4)).toEqual([]);
  });

  it('CORE-S20: the irqfd drains the counter: one injection per wake-up (semaphore: one unit)', () => {
    const { m, vm, scheduler } = refFixture();
    program(m, 4, { vector: 0x44, trigger: 'edge' });
    const e = new EventFd();
    vm.irqfds.assign({ eventfd: e, gsi: 4 });
    e.signal(5);
    expect(e.count).toBe(0);
    scheduler.run();
    expect(m.counters.get('deferredInjections')).toBe(1);
    const s = new EventFd({ semaphore: true });
    vm.irqfds.assign({ eventfd: s, gsi: 4 });
    s.signal(5);
    scheduler.run();
    expect(s.count).toBe(4);
    expect(m.counters.get('deferredInjections')).toBe(2);
  });

  it('CORE-S21: an event pending at assign is injected without consuming the counter', () => {
    const { m, vm, scheduler } = refFixture();
    program(m, 4, { vector: 0x44, trigger: 'edge' });
    const e = new EventFd();
    e.signal(1);
    vm.irqfds.assign({ eventfd: e, gsi: 4 });
    expect(scheduler.pending().map((t) => t.kind)).toEqual(['inject']);
    expect(e.count).toBe(1);
    scheduler.run();
    expect(drain(m)).toEqual([0x44]);
  });

  it('CORE-S22: three signals before the task runs are one queued task and one injection', () => {
    const { m, vm, scheduler } = refFixture();
    program(m, 4, { vector: 0x44, trigger: 'edge' });
    const e = new EventFd();
    vm.irqfds.assign({ eventfd: e, gsi: 4 });
    e.signal();
    e.signal();
    e.signal();
    expect(scheduler.size).toBe(1);
    scheduler.run();
    expect(m.counters.get('deferredInjections')).toBe(1);
    expect(drain(m)).toEqual([0x44]);
  });

  it('CORE-S23: deassign with the wrong GSI returns normally and leaves the irqfd working', () => {
    const { m, vm, scheduler } = refFixture();
    program(m, 20, { vector: 0x60, trigger: 'edge' });
    const e = new EventFd();
    vm.irqfds.assign({ eventfd: e, gsi: 20 });
    vm.irqfds.deassign({ eventfd: e, gsi: 21 });
    expect(vm.irqfds.active).toHaveLength(1);
    e.signal();
    scheduler.run();
    expect(drain(m)).toEqual([0x60]);
  });

  it('CORE-S24: deassign flushes a queued injection before it returns; later signals do nothing', () => {
    const { m, vm } = refFixture();
    program(m, 20, { vector: 0x60, trigger: 'edge' });
    const e = new EventFd();
    vm.irqfds.assign({ eventfd: e, gsi: 20 });
    e.signal();
    vm.irqfds.deassign({ eventfd: e, gsi: 20 });
    expect(vm.irqfds.active).toHaveLength(0);
    expect(drain(m)).toEqual([0x60]);
    e.signal();
    expect(drain(m)).toEqual([]);
  });

  it('CORE-S25: closing the eventfd deactivates and queues the shutdown without running it', () => {
    const { m, vm, scheduler } = refFixture();
    const e = new EventFd();
    const irqfd = vm.irqfds.assign({ eventfd: e, gsi: 20 });
    const cached = irqfd.route;
    e.close();
    expect(vm.irqfds.active).toHaveLength(0);
    expect(scheduler.pending().map((t) => t.kind)).toEqual(['shutdown']);
    // As in KVM, hang-up keeps the cached route (only deassign clears it); routing updates no
    // longer touch it: GSI 20 now goes to an MSI, the irqfd still holds the old pin route.
    vm.setGsiRouting([...defaultTable().filter((x) => x.gsi !== 20), msiRoute(20, 0, 0x41)]);
    expect(irqfd.route).toBe(cached);
    expect(irqfd.shutDown).toBe(false);
    scheduler.run();
    expect(irqfd.shutDown).toBe(true);
    expect(e.hasPriorityWaiter).toBe(false);
    expect(m.counters.get('deferredInjections')).toBe(0);
  });

  it('CORE-S26: a routing change re-evaluates the cached route (fast ↔ deferred)', () => {
    const { m, vm, scheduler } = refFixture();
    program(m, 5, { vector: 0x45, trigger: 'edge' });
    vm.setGsiRouting([...defaultTable(), msiRoute(40, 0, 0x41)]);
    const e = new EventFd();
    vm.irqfds.assign({ eventfd: e, gsi: 40 });
    vm.setGsiRouting([...defaultTable(), pinRoute(40, 5)]);
    e.signal();
    expect(scheduler.size).toBe(1);
    scheduler.run();
    expect(drain(m)).toEqual([0x45]);
    vm.setGsiRouting([...defaultTable(), msiRoute(40, 0, 0x44)]);
    e.signal();
    expect(scheduler.size).toBe(0);
    expect(m.cpu(0).irr.test(0x44)).toBe(true);
  });

  it('CORE-S27: an irqfd on an unrouted GSI injects nothing until a route appears', () => {
    const { m, vm, scheduler } = refFixture();
    const e = new EventFd();
    vm.irqfds.assign({ eventfd: e, gsi: 60 });
    e.signal();
    scheduler.run();
    expect(m.counters.get('ignored')).toBe(1);
    expect(drain(m)).toEqual([]);
    vm.setGsiRouting([...defaultTable(), msiRoute(60, 0, 0x46)]);
    e.signal();
    expect(drain(m)).toEqual([0x46]);
    expect(vm.setIrq(USERSPACE_SOURCE_ID, 60, true)).toBe(1);
  });
});
