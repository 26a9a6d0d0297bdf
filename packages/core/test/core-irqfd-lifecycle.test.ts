import { describe, expect, it } from 'vitest';
import { EventFd, IRQFD_FLAG_DEASSIGN, type Irqfd, RESAMPLER_SOURCE_ID } from '../src/index.js';
import {
  EDGE,
  expectIrqError,
  LEVEL,
  msiRoute,
  pinRoute,
  recordingProducer,
  setup,
} from './core-fixtures.js';

describe('CORE §5.4 deassign', () => {
  it('CORE-5.12: deassign matches eventfd and gsi; a GSI mismatch silently leaves the irqfd', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(20, EDGE, 20)]);
    const e = new EventFd();
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 20 });
    expect(f.vm.irqfds.deassign({ eventfd: e, gsi: 21 })).toBeUndefined();
    expect(f.vm.irqfds.deassign({ eventfd: new EventFd(), gsi: 20 })).toBeUndefined();
    expect(irqfd.active).toBe(true);
    e.signal();
    f.sched.run();
    expect(f.edge.edges[20]).toBe(1);
    expect(f.vm.irqfds.irqfd({ eventfd: e, gsi: 20, flags: IRQFD_FLAG_DEASSIGN })).toBeNull();
    expect(irqfd.active).toBe(false);
    expect(irqfd.shutDown).toBe(true);
    expect(e.hasPriorityWaiter).toBe(false);
    e.signal();
    f.sched.run();
    expect(f.edge.edges[20]).toBe(1);
    expectIrqError(
      () => f.vm.irqfds.deassign({ eventfd: 'fd' as unknown as EventFd, gsi: 20 }),
      'EINVAL',
    );
  });

  it('CORE-5.12: the cached route is cleared before teardown, so a routing update cannot re-arm the fast path', () => {
    const f = setup();
    f.vm.setGsiRouting([msiRoute(10, 0x41)]);
    const e = new EventFd();
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: new EventFd() });
    expect(irqfd.route).not.toBeNull();
    let seen: unknown = 'not reached';
    f.sched.checkpointHook = (point, subject) => {
      if (point !== 'resampler-left' || subject !== irqfd) return;
      f.vm.setGsiRouting([msiRoute(10, 0x42)]); // a concurrent routing update
      seen = { route: irqfd.route, active: f.vm.irqfds.active.includes(irqfd) };
    };
    f.vm.irqfds.deassign({ eventfd: e, gsi: 10 });
    expect(seen).toEqual({ route: null, active: false });
  });

  it("CORE-5.12: deassign flushes every queued shutdown of the VM's irqfds, not only its own", () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(20, EDGE, 20), pinRoute(21, EDGE, 21)]);
    const closing = new EventFd();
    const other = f.vm.irqfds.assign({ eventfd: closing, gsi: 21 });
    const e = new EventFd();
    f.vm.irqfds.assign({ eventfd: e, gsi: 20 });
    closing.close();
    expect(f.sched.pending()).toEqual([other.shutdownTask]);
    f.vm.irqfds.deassign({ eventfd: e, gsi: 20 });
    expect(other.shutDown).toBe(true);
    expect(closing.hasPriorityWaiter).toBe(false);
    expect(f.sched.size).toBe(0);
  });

  it('CORE-5.13: shutdown detaches and drains, runs the pending inject, leaves the resampler, then unregisters the bypass consumer', () => {
    const f = setup({ bypass: true });
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 10)]);
    const e = new EventFd({ semaphore: true });
    const p = recordingProducer(f.log);
    f.host.bypass.registerProducer(p, e, 100);
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: new EventFd() });
    e.signal(3); // reads 1 (semaphore); inject queued; 2 left in the counter
    expect(e.count).toBe(2);
    const during: string[] = [];
    f.level.onSetLevel = (_pin, level) => {
      if (!level) return;
      during.push(`waiter=${e.hasPriorityWaiter} count=${e.count}`);
      e.signal(); // no longer reaches the irqfd
    };
    f.log.length = 0;
    f.vm.irqfds.deassign({ eventfd: e, gsi: 10 });
    expect(during).toEqual(['waiter=false count=0']);
    expect(f.log).toEqual([
      'chip1.set(10,1)', // (3) the pending injection completes before teardown
      'arch.ackListUpdate', // (4) the last member leaves: notifier unregistered...
      'chip1.set(10,0)', // ... then the final de-assert
      'P.stop', // (5) bypass consumer unregistered: disconnect
      'arch.stop(gsi 10)',
      'arch.delProducer(gsi 10)',
      'P.delConsumer',
      'arch.start(gsi 10)',
      'P.start',
    ]);
    expect(irqfd.producer).toBeNull();
    expect(f.host.bypass.hasConsumer(irqfd)).toBe(false);
    expect(f.sched.size).toBe(0);
  });

  it('CORE-5.13: after deassign returns nothing attributable to the irqfd reaches the guest', () => {
    const f = setup({ bypass: true });
    f.vm.setGsiRouting([msiRoute(40, 0x41), pinRoute(4, EDGE, 4)]);
    const e40 = new EventFd({ semaphore: true });
    const e4 = new EventFd();
    f.vm.irqfds.assign({ eventfd: e40, gsi: 40 });
    f.vm.irqfds.assign({ eventfd: e4, gsi: 4 });
    e4.signal(); // a queued injection is delivered exactly once, by deassign
    f.vm.irqfds.deassign({ eventfd: e4, gsi: 4 });
    f.vm.irqfds.deassign({ eventfd: e40, gsi: 40 });
    expect(f.edge.edges[4]).toBe(1);
    e4.signal();
    e40.signal();
    f.sched.run();
    expect(f.edge.edges[4]).toBe(1);
    expect(f.msi.all).toEqual([]);
  });
});

describe('CORE §5.5 routing change, eventfd close, VM teardown', () => {
  it('CORE-5.14: the cache holds a copy of the single entry; none for zero or several; recomputed on publication', () => {
    const f = setup();
    const e = new EventFd();
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 5 });
    expect(irqfd.route).toBeNull();
    const input = msiRoute(5, 0x45);
    f.vm.setGsiRouting([input]);
    expect(irqfd.route?.entry).toEqual(input);
    expect(irqfd.route?.entry).not.toBe(input);
    f.vm.setGsiRouting([pinRoute(5, EDGE, 5), pinRoute(5, LEVEL, 5)]);
    expect(irqfd.route).toBeNull();
    f.vm.setGsiRouting([pinRoute(5, LEVEL, 5)]);
    expect(irqfd.route?.entry).toEqual(pinRoute(5, LEVEL, 5));
    f.vm.setGsiRouting([]);
    expect(irqfd.route).toBeNull();
  });

  it('CORE-5.14: MSI → pin → MSI: each signal follows the table published last', () => {
    const f = setup();
    f.vm.setGsiRouting([msiRoute(40, 0x41)]);
    const e = new EventFd();
    f.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    e.signal();
    f.vm.setGsiRouting([pinRoute(40, LEVEL, 5)]);
    e.signal();
    expect(f.sched.size).toBe(1);
    f.sched.run();
    f.vm.setGsiRouting([msiRoute(40, 0x44)]);
    e.signal();
    expect(f.sched.size).toBe(0);
    expect(f.msi.atomic.map((m) => m.data)).toEqual([0x41, 0x44]);
    expect(f.level.deliveries[5]).toBe(1);
  });

  it('CORE-5.14: the deferred path never uses the cache — it looks the GSI up when it runs', () => {
    const f = setup();
    f.vm.setGsiRouting([msiRoute(40, 0x41, true)]);
    const e = new EventFd();
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    e.signal(); // would block → deferred
    f.vm.setGsiRouting([pinRoute(40, EDGE, 6)]);
    f.sched.runTask(irqfd.injectTask);
    expect(f.msi.all).toEqual([]);
    expect(f.edge.edges[6]).toBe(1);
    // a closed irqfd's cache is no longer refreshed, yet its deferred task follows the table
    e.close();
    e.signal(); // a kernel-side producer still holds the eventfd
    f.vm.setGsiRouting([pinRoute(40, EDGE, 7)]);
    f.sched.runTask(irqfd.injectTask);
    expect(f.edge.edges[7]).toBe(1);
    expect(f.msi.all).toEqual([]);
    expect(f.edge.edges[6]).toBe(1);
  });

  it('CORE-5.15: a cache change of an irqfd with a bypass producer calls updateRouting(irqfd, old, new)', () => {
    const f = setup({ bypass: true });
    f.vm.setGsiRouting([msiRoute(40, 0x41), msiRoute(41, 0x51)]);
    const e40 = new EventFd();
    const e41 = new EventFd();
    f.host.bypass.registerProducer(recordingProducer([]), e40, 100);
    const paired = f.vm.irqfds.assign({ eventfd: e40, gsi: 40 });
    f.vm.irqfds.assign({ eventfd: e41, gsi: 41 }); // no producer
    // republishing identical entries changes no cache
    f.vm.setGsiRouting([msiRoute(40, 0x41), msiRoute(41, 0x52)]);
    expect(f.bypass.updates).toEqual([]);
    f.vm.setGsiRouting([msiRoute(40, 0x42), msiRoute(41, 0x53)]);
    expect(f.bypass.updates).toHaveLength(1);
    const u = f.bypass.updates[0]!;
    expect(u.irqfd).toBe(paired);
    expect(u.previous?.entry).toEqual(msiRoute(40, 0x41));
    expect(u.next?.entry).toEqual(msiRoute(40, 0x42));
    f.vm.setGsiRouting([]);
    expect(f.bypass.updates[1]?.next).toBeNull();
  });

  it('CORE-5.16: close deactivates and queues the shutdown without flushing; routing updates no longer touch it', () => {
    const f = setup({ bypass: true });
    f.vm.setGsiRouting([msiRoute(40, 0x41)]);
    const e = new EventFd();
    f.host.bypass.registerProducer(recordingProducer([]), e, 100);
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    e.close();
    expect(irqfd.active).toBe(false);
    expect(f.vm.irqfds.active).toEqual([]);
    expect(f.sched.pending()).toEqual([irqfd.shutdownTask]);
    expect(e.hasPriorityWaiter).toBe(true);
    f.vm.setGsiRouting([msiRoute(40, 0x42)]);
    expect(f.bypass.updates).toEqual([]);
    f.sched.run();
    expect(irqfd.shutDown).toBe(true);
    expect(e.hasPriorityWaiter).toBe(false);
    expect(f.host.bypass.hasConsumer(irqfd)).toBe(false);
  });

  it('CORE-5.16: until the shutdown runs, a kernel-side producer can still inject through the irqfd', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(4, EDGE, 4)]);
    const e = new EventFd();
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 4 });
    e.close();
    e.signal();
    expect(f.sched.pending()).toEqual([irqfd.shutdownTask, irqfd.injectTask]);
    f.sched.run();
    expect(f.edge.edges[4]).toBe(1);
    e.signal(); // after the shutdown: nothing
    f.sched.run();
    expect(f.edge.edges[4]).toBe(1);
  });

  it('CORE-5.16: hang-up of an irqfd already deactivated by deassign does nothing', () => {
    const f = setup();
    const e = new EventFd();
    const irqfd: Irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 4 });
    f.vm.irqfds.deassign({ eventfd: e, gsi: 4 });
    expect(irqfd.wake(e, 'hangup')).toBe(false);
    e.close();
    expect(f.sched.size).toBe(0);
    expect(f.vm.irqfds.active).toEqual([]);
  });

  it('CORE-5.17: closing the resamplefd does not disable the irqfd', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 10)]);
    const e = new EventFd();
    const r = new EventFd();
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: r });
    r.close();
    e.signal();
    f.sched.run();
    expect(f.vm.lineSources(LEVEL, 10)).toEqual([RESAMPLER_SOURCE_ID]);
    f.level.eoi(10);
    expect(f.vm.lineSources(LEVEL, 10)).toEqual([]);
    expect(r.count).toBe(1); // signalled although nobody reads it
    expect(irqfd.active).toBe(true);
    e.signal();
    f.sched.run();
    expect(f.level.deliveries[10]).toBe(2);
  });

  it('CORE-5.18: destroying the VM deactivates every irqfd, queues their shutdowns and flushes them', () => {
    const f = setup({ bypass: true });
    f.vm.setGsiRouting([pinRoute(4, EDGE, 4), pinRoute(10, LEVEL, 10)]);
    const e4 = new EventFd();
    const e10 = new EventFd();
    const closed = new EventFd();
    const p = recordingProducer([]);
    f.host.bypass.registerProducer(p, e4, 100);
    const i4 = f.vm.irqfds.assign({ eventfd: e4, gsi: 4 });
    const i10 = f.vm.irqfds.assign({ eventfd: e10, gsi: 10, resamplefd: new EventFd() });
    const ic = f.vm.irqfds.assign({ eventfd: closed, gsi: 4 });
    e4.signal();
    e10.signal();
    closed.close();
    f.vm.destroy();
    expect(f.vm.irqfds.active).toEqual([]);
    expect([i4, i10, ic].map((i) => i.shutDown)).toEqual([true, true, true]);
    expect(f.sched.size).toBe(0);
    expect(f.edge.edges[4]).toBe(1); // pending injections completed first
    expect(f.vm.irqfds.resampler(10)).toBeUndefined();
    expect(f.vm.lineSources(LEVEL, 10)).toEqual([]);
    expect(p.consumer).toBeNull();
    expect([e4, e10, closed].map((e) => e.hasPriorityWaiter)).toEqual([false, false, false]);
  });
});
