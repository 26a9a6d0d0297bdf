import { describe, expect, it } from 'vitest';
import {
  EventFd,
  IRQFD_FLAG_DEASSIGN,
  IRQFD_FLAG_RESAMPLE,
  IrqError,
  RESAMPLER_SOURCE_ID,
  type RouteTarget,
  type RoutingEntryBase,
  USERSPACE_SOURCE_ID,
  WOULD_BLOCK,
} from '../src/index.js';
import {
  EDGE,
  expectIrqError,
  LEVEL,
  msiRoute,
  pinRoute,
  recordingProducer,
  setup,
} from './core-fixtures.js';

/** A plugin route kind whose atomic attempt is recorded and answers `atomic`. */
function recordingKind(calls: string[], atomic: number) {
  return {
    kind: 'rec',
    validate() {},
    compile(e: RoutingEntryBase): RouteTarget {
      return {
        entry: e,
        set(source, level) {
          calls.push(`set(src ${source}, ${level ? 1 : 0})`);
          return level ? 1 : -1;
        },
        setInatomic(source, level) {
          calls.push(`atomic(src ${source}, ${level ? 1 : 0})`);
          return atomic;
        },
      };
    },
  };
}

describe('CORE §5.1 request format', () => {
  it('CORE-5.1: unknown flags are EINVAL, checked before anything else, and register nothing', () => {
    const f = setup({
      arch: {
        checkIrqfd: () => {
          throw new IrqError('EAGAIN', 'not initialised');
        },
      },
    });
    const e = new EventFd();
    for (const flags of [1 << 2, 1 << 31, 2 ** 32, 2 ** 32 + 1, -1, 0.5]) {
      expectIrqError(() => f.vm.irqfds.irqfd({ eventfd: e, gsi: 4, flags }), 'EINVAL');
    }
    expectIrqError(
      () => f.vm.irqfds.irqfd({ eventfd: 7 as unknown as EventFd, gsi: 4, flags: 4 }),
      'EINVAL',
    );
    expect(f.vm.irqfds.active).toEqual([]);
    expect(e.hasPriorityWaiter).toBe(false);
  });

  it('CORE-5.1: DEASSIGN selects the deassign path (RESAMPLE then ignored); otherwise assign', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 10)]);
    const e = new EventFd();
    const r = new EventFd();
    const irqfd = f.vm.irqfds.irqfd({
      eventfd: e,
      gsi: 10,
      resamplefd: r,
      flags: IRQFD_FLAG_RESAMPLE,
    });
    expect(irqfd?.resample).toBe(true);
    expect(f.vm.irqfds.resampler(10)?.list).toEqual([irqfd]);
    const out = f.vm.irqfds.irqfd({
      eventfd: e,
      gsi: 10,
      flags: IRQFD_FLAG_DEASSIGN | IRQFD_FLAG_RESAMPLE,
    });
    expect(out).toBeNull();
    expect(f.vm.irqfds.active).toEqual([]);
    expect(f.vm.irqfds.resampler(10)).toBeUndefined();
    // without RESAMPLE a resamplefd is not used
    const plain = f.vm.irqfds.irqfd({ eventfd: e, gsi: 10, resamplefd: r, flags: 0 });
    expect(plain?.resample).toBe(false);
  });
});

describe('CORE §5.2 assign', () => {
  it('CORE-5.2 (generic mechanism: the arch checkIrqfd(resample) decides; x86/ARM specifics live in their packages)', () => {
    const asked: boolean[] = [];
    const f = setup({
      arch: {
        checkIrqfd: (resample) => {
          asked.push(resample);
          if (resample) throw new IrqError('EINVAL', 'resampling needs the full irqchip');
        },
      },
    });
    f.vm.irqfds.assign({ eventfd: new EventFd(), gsi: 4 });
    const e = new EventFd();
    // the arch refusal comes before the eventfd checks
    expectIrqError(
      () => f.vm.irqfds.assign({ eventfd: e, gsi: 4, resamplefd: 3 as unknown as EventFd }),
      'EINVAL',
    );
    expect(asked).toEqual([false, true]);
    expect(f.vm.irqfds.active).toHaveLength(1);
    expect(f.vm.irqfds.resampler(4)).toBeUndefined();
    expect(e.hasPriorityWaiter).toBe(false);
    f.arch.checkIrqfd = () => {
      throw new IrqError('EAGAIN', 'vgic not initialised');
    };
    expectIrqError(() => f.vm.irqfds.assign({ eventfd: e, gsi: 5 }), 'EAGAIN');
    expect(f.vm.irqfds.active).toHaveLength(1);
  });

  it('CORE-5.2 step 1: the resampler and its ack notifier exist before the eventfd is attached', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 10)]);
    const e = new EventFd();
    let attachedAtRegistration: boolean | null = null;
    f.arch.postAckNotifierListUpdate = () => {
      attachedAtRegistration = e.hasPriorityWaiter;
    };
    f.vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: new EventFd() });
    expect(attachedAtRegistration).toBe(false);
    expect(e.hasPriorityWaiter).toBe(true);
  });

  it('CORE-5.2 step 3: a count already in the eventfd queues inject at assign, without consuming it', () => {
    const f = setup();
    f.vm.setGsiRouting([msiRoute(40, 0x41)]);
    const e = new EventFd();
    e.signal();
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    // even with a fast-path route the pending event goes through the task
    expect(f.sched.pending()).toEqual([irqfd.injectTask]);
    expect(e.count).toBe(1);
    expect(f.msi.all).toEqual([]);
    f.sched.run();
    expect(f.msi.delivered.map((m) => m.data)).toEqual([0x41]);
  });

  it('CORE-5.2 step 4: the bypass consumer registers last (attached and active), token = the eventfd', () => {
    const f = setup({ bypass: true });
    const e = new EventFd();
    const seen: string[] = [];
    const p = recordingProducer(seen);
    const base = p.addConsumer.bind(p);
    p.addConsumer = (c) => {
      seen.push(`attached=${e.hasPriorityWaiter} active=${f.vm.irqfds.active.length}`);
      return base(c);
    };
    f.host.bypass.registerProducer(p, e, 100);
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    expect(seen).toContain('attached=true active=1');
    expect(irqfd.token).toBe(e);
    expect(irqfd.producer).toBe(p);
    expect(p.consumer).toBe(irqfd);
  });

  it('CORE-5.2 step 4: a bypass registration failure is logged and ignored; assign succeeds', () => {
    const f = setup({ bypass: true });
    f.vm.setGsiRouting([msiRoute(40, 0x41)]);
    const e = new EventFd();
    const p = recordingProducer([], 'P', -22);
    f.host.bypass.registerProducer(p, e, 100);
    const rec = f.vm.trace.record();
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    rec.stop();
    expect(irqfd.active).toBe(true);
    expect(irqfd.producer).toBeNull();
    expect(f.host.bypass.hasConsumer(irqfd)).toBe(false);
    expect(rec.events.some((ev) => ev.type === 'diagnostic' && ev.code === 'CORE-5.2')).toBe(true);
    e.signal();
    expect(f.msi.atomic).toHaveLength(1);
  });

  it('CORE-5.3: eventfd (and resamplefd with RESAMPLE) must be eventfds, else EINVAL', () => {
    const f = setup();
    const notFd = { signal() {} } as unknown as EventFd;
    expectIrqError(() => f.vm.irqfds.assign({ eventfd: notFd, gsi: 4 }), 'EINVAL');
    const e = new EventFd();
    expectIrqError(() => f.vm.irqfds.assign({ eventfd: e, gsi: 4, resamplefd: notFd }), 'EINVAL');
    expectIrqError(
      () => f.vm.irqfds.assign({ eventfd: e, gsi: 4, flags: IRQFD_FLAG_RESAMPLE }),
      'EINVAL',
    );
    expect(e.hasPriorityWaiter).toBe(false);
    expect(f.vm.irqfds.resampler(4)).toBeUndefined();
  });

  it('CORE-5.3: a closed eventfd or resamplefd (no descriptor left: EBADF in KVM) is EINVAL', () => {
    const f = setup();
    const closed = new EventFd();
    closed.close();
    expectIrqError(() => f.vm.irqfds.assign({ eventfd: closed, gsi: 4 }), 'EINVAL');
    const e = new EventFd();
    expectIrqError(() => f.vm.irqfds.assign({ eventfd: e, gsi: 4, resamplefd: closed }), 'EINVAL');
    expect(closed.hasPriorityWaiter).toBe(false);
    expect(e.hasPriorityWaiter).toBe(false);
    expect(f.vm.irqfds.active).toEqual([]);
    expect(f.vm.irqfds.resampler(4)).toBeUndefined();
  });

  it('CORE-5.4: an eventfd backs at most one irqfd across all VMs; a GSI may have many; resamplefds may be shared', () => {
    const a = setup();
    const b = setup({ host: a.host });
    a.vm.setGsiRouting([pinRoute(20, EDGE, 20), pinRoute(10, LEVEL, 10)]);
    const e = new EventFd();
    a.vm.irqfds.assign({ eventfd: e, gsi: 20 });
    expectIrqError(() => a.vm.irqfds.assign({ eventfd: e, gsi: 21 }), 'EBUSY');
    expectIrqError(() => b.vm.irqfds.assign({ eventfd: e, gsi: 20 }), 'EBUSY');
    expect(b.vm.irqfds.active).toEqual([]);
    // many irqfds on one GSI, one pulse each
    const e2 = new EventFd();
    a.vm.irqfds.assign({ eventfd: e2, gsi: 20 });
    e.signal();
    a.sched.run();
    e2.signal();
    a.sched.run();
    expect(a.edge.edges[20]).toBe(2);
    // a shared resamplefd is signalled once per member
    const r = new EventFd();
    a.vm.irqfds.assign({ eventfd: new EventFd(), gsi: 10, resamplefd: r });
    a.vm.irqfds.assign({ eventfd: new EventFd(), gsi: 10, resamplefd: r });
    a.vm.setIrq(0, 10, true);
    a.level.eoi(10);
    expect(r.count).toBe(2);
  });

  it('CORE-5.5: the GSI is not validated; an unrouted irqfd injects nothing until a route exists', () => {
    const f = setup();
    f.vm.irqfds.assign({ eventfd: new EventFd(), gsi: 5000 });
    f.vm.irqfds.assign({ eventfd: new EventFd(), gsi: 2 ** 32 - 1 });
    const e = new EventFd();
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 60 });
    e.signal();
    f.sched.run();
    expect(f.msi.all).toEqual([]);
    expect(f.edge.calls).toEqual([]);
    f.vm.setGsiRouting([msiRoute(60, 0x60)]);
    e.signal();
    expect(f.msi.atomic.map((m) => m.data)).toEqual([0x60]);
    expect(irqfd.active).toBe(true);
  });

  it('CORE-5.6: after assign the irqfd is active — signals inject, routing changes re-evaluate it, EOIs notify', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 10)]);
    const e = new EventFd();
    const r = new EventFd();
    const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: r });
    expect(irqfd.active).toBe(true);
    expect(f.vm.irqfds.active).toEqual([irqfd]);
    e.signal();
    f.sched.run();
    expect(f.level.deliveries[10]).toBe(1);
    f.level.eoi(10);
    expect(r.count).toBe(1);
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 12)]);
    expect(irqfd.route?.entry).toEqual(pinRoute(10, LEVEL, 12));
  });
});

describe('CORE §5.3 signal', () => {
  it('CORE-5.7: the wake-up drains the counter — signal(5) is one injection and the count reads 0', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(4, EDGE, 4), msiRoute(40, 0x41)]);
    const e = new EventFd();
    const polled: string[] = [];
    e.listen(() => polled.push('poller'));
    f.vm.irqfds.assign({ eventfd: e, gsi: 4 });
    e.signal(5);
    expect(e.count).toBe(0);
    f.sched.run();
    expect(f.edge.edges[4]).toBe(1);
    expect(polled).toEqual([]);
    // semaphore: one read consumes 1
    const s = new EventFd({ semaphore: true });
    f.vm.irqfds.assign({ eventfd: s, gsi: 40 });
    s.signal(5);
    expect(s.count).toBe(4);
    expect(f.msi.atomic).toHaveLength(1);
  });

  it('CORE-5.8: a single MSI route injects synchronously in the signalling context', () => {
    const f = setup();
    f.vm.setGsiRouting([msiRoute(40, 0x41)]);
    const e = new EventFd();
    f.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    const before = f.vm.counters.snapshot();
    e.signal();
    expect(f.msi.atomic.map((m) => m.data)).toEqual([0x41]);
    expect(f.sched.size).toBe(0);
    expect(f.vm.counters.delta(before)).toMatchObject({ fastPathInjections: 1, delivered: 1 });
  });

  it('CORE-5.8: "would block", no atomic hook, an irqchip entry, several entries or none: the deferred path', () => {
    const f = setup();
    f.vm.setGsiRouting([
      msiRoute(40, 0x41, true),
      pinRoute(4, EDGE, 4),
      pinRoute(5, EDGE, 5),
      pinRoute(5, LEVEL, 5),
    ]);
    const cases = [40, 4, 5, 60];
    const irqfds = cases.map((gsi) => {
      const e = new EventFd();
      return { e, irqfd: f.vm.irqfds.assign({ eventfd: e, gsi }) };
    });
    for (const { e, irqfd } of irqfds) {
      e.signal();
      expect(f.sched.pending()).toContain(irqfd.injectTask);
    }
    expect(f.msi.all).toEqual([]);
    expect(f.edge.calls).toEqual([]);
    f.sched.run();
    expect(f.msi.delivered.map((m) => m.data)).toEqual([0x41]);
    expect(f.edge.edges[4]).toBe(1);
    expect(f.edge.edges[5]).toBe(1);
    expect(f.level.deliveries[5]).toBe(1);
    // an arch whose sink has no atomic hook always defers MSIs
    const g = setup({ arch: { msi: { deliverMsi: () => 1 } } });
    g.vm.setGsiRouting([msiRoute(40, 0x41)]);
    const e = new EventFd();
    g.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    e.signal();
    expect(g.sched.size).toBe(1);
  });

  it('CORE-5.8: the decision depends only on the cached entry — any single entry is cached and its kind decides', () => {
    const f = setup();
    const calls: string[] = [];
    f.vm.addRouteKind(recordingKind(calls, 1));
    f.vm.setGsiRouting([{ gsi: 9, kind: 'rec' }, msiRoute(40, 0x41)]);
    const e9 = new EventFd();
    f.vm.irqfds.assign({ eventfd: e9, gsi: 9 });
    e9.signal();
    expect(calls).toEqual(['atomic(src 0, 1)']);
    expect(f.sched.size).toBe(0);
    // a resampling irqfd on an MSI-only GSI takes the fast path too
    const e40 = new EventFd();
    f.vm.irqfds.assign({ eventfd: e40, gsi: 40, resamplefd: new EventFd() });
    e40.signal();
    expect(f.msi.atomic).toHaveLength(1);
    expect(f.sched.size).toBe(0);
  });

  it('CORE-5.9: the deferred task pulses USERSPACE (1 then 0) for plain irqfds; a level pin gets one delivery and stays low', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 10)]);
    const e = new EventFd();
    f.vm.irqfds.assign({ eventfd: e, gsi: 10 });
    const sources: number[][] = [];
    f.level.onSetLevel = (pin) => sources.push(f.vm.lineSources(LEVEL, pin));
    e.signal();
    f.sched.run();
    expect(f.level.calls.map((c) => c.level)).toEqual([true, false]);
    expect(sources).toEqual([[USERSPACE_SOURCE_ID], []]);
    expect(f.level.deliveries[10]).toBe(1);
    f.level.eoi(10);
    expect(f.level.deliveries[10]).toBe(1);
  });

  it('CORE-5.9: a deferred edge through the cached single route counts and traces exactly as setIrq 1 then 0', () => {
    // Each fixture: an edge pin (coalescing: asserted twice, delivered once), a masked-like
    // level pin that stays high (second edge coalesced), and a GSI with two entries (no cache).
    const run = (viaIrqfd: boolean) => {
      const f = setup({ immediate: true });
      f.vm.setGsiRouting([
        pinRoute(4, EDGE, 4),
        pinRoute(10, LEVEL, 10),
        pinRoute(12, EDGE, 12),
        pinRoute(12, LEVEL, 12),
      ]);
      const rec = f.vm.trace.record();
      const before = f.vm.counters.snapshot();
      for (const gsi of [4, 10, 12, 10, 4]) {
        if (viaIrqfd) {
          const e = new EventFd();
          f.vm.irqfds.assign({ eventfd: e, gsi });
          e.signal();
          f.vm.irqfds.deassign({ eventfd: e, gsi });
        } else {
          f.vm.setIrq(USERSPACE_SOURCE_ID, gsi, true);
          f.vm.setIrq(USERSPACE_SOURCE_ID, gsi, false);
        }
      }
      rec.stop();
      const injects = rec.events.filter((ev) => ev.type === 'inject');
      const counts = f.vm.counters.delta(before);
      return { injects, counts, calls: f.log.filter((l) => l.includes('.set(')) };
    };
    const direct = run(false);
    const irqfd = run(true);
    expect(irqfd.injects).toEqual(direct.injects);
    expect(irqfd.calls).toEqual(direct.calls);
    for (const name of ['injections', 'delivered', 'coalesced', 'ignored'])
      expect(irqfd.counts[name] ?? 0).toBe(direct.counts[name] ?? 0);
    expect(irqfd.counts.deferredInjections).toBe(5);
    expect(irqfd.injects).toHaveLength(10);
  });

  it('CORE-5.9: a resampling irqfd task only asserts RESAMPLER, against the table current when it runs', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 10)]);
    const e = new EventFd();
    f.vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: new EventFd() });
    e.signal();
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 11)]);
    f.sched.run();
    expect(f.level.calls).toEqual([{ pin: 11, level: true, lineStatus: false }]);
    expect(f.vm.lineSources(LEVEL, 11)).toEqual([RESAMPLER_SOURCE_ID]);
    expect(f.vm.lineSources(LEVEL, 10)).toEqual([]);
  });

  it('CORE-5.10: fast-path injection uses USERSPACE and level 1, with no de-assert', () => {
    const f = setup();
    const calls: string[] = [];
    f.vm.addRouteKind(recordingKind(calls, 1));
    f.vm.setGsiRouting([{ gsi: 9, kind: 'rec' }]);
    const e = new EventFd();
    f.vm.irqfds.assign({ eventfd: e, gsi: 9, resamplefd: new EventFd() });
    e.signal();
    e.signal();
    expect(calls).toEqual(['atomic(src 0, 1)', 'atomic(src 0, 1)']);
  });

  it('CORE-5.10: when the atomic attempt would block, the deferred pulse is used instead (no double injection)', () => {
    const f = setup();
    const calls: string[] = [];
    f.vm.addRouteKind(recordingKind(calls, WOULD_BLOCK));
    f.vm.setGsiRouting([{ gsi: 9, kind: 'rec' }]);
    const e = new EventFd();
    f.vm.irqfds.assign({ eventfd: e, gsi: 9 });
    e.signal();
    f.sched.run();
    expect(calls).toEqual(['atomic(src 0, 1)', 'set(src 0, 1)', 'set(src 0, 0)']);
  });

  it('CORE-5.11: the result of an irqfd injection is reported to no one but the counters', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(10, LEVEL, 10), msiRoute(40, 1)]);
    f.level.mask(10);
    f.msi.result = -1;
    const e10 = new EventFd();
    const e40 = new EventFd();
    f.vm.irqfds.assign({ eventfd: e10, gsi: 10 });
    f.vm.irqfds.assign({ eventfd: e40, gsi: 40 });
    const before = f.vm.counters.snapshot();
    expect(e10.signal()).toBeUndefined();
    expect(e40.signal()).toBeUndefined();
    f.sched.run();
    expect(f.vm.counters.delta(before)).toMatchObject({
      fastPathInjections: 1,
      deferredInjections: 1,
      ignored: 2,
    });
  });
});
