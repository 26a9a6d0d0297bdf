import { EventFd, RESAMPLER_SOURCE_ID, type TraceEvent } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { defaultTable, drain, msiRoute, pinRoute, program, refFixture } from './fixture.js';

/** A resamplefd whose signals are counted (and consumed, as VFIO's unmask does). */
function counted(fd = new EventFd()) {
  const r = { fd, count: 0, onSignal: (): void => {} };
  fd.listen((f, why) => {
    if (why !== 'readable') return;
    f.read();
    r.count++;
    r.onSignal();
  });
  return r;
}

/** Level pin 10 → vCPU 0 vector 0x5a, with the machine's trace recorded. */
function level10() {
  const f = refFixture();
  program(f.m, 10, { vector: 0x5a, trigger: 'level' });
  const rec = f.m.trace.record();
  const deasserts = () =>
    rec.events.filter(
      (e: TraceEvent) => e.type === 'inject' && e.source === RESAMPLER_SOURCE_ID && !e.level,
    ).length;
  return { ...f, pin: f.m.controllers[0]!.pin[10]!, events: rec.events, deasserts };
}

describe('CORE §10 resampling scenarios (reference plugin)', () => {
  it('CORE-S28: the basic level cycle through a resampling irqfd', () => {
    const { m, vm, scheduler, pin } = level10();
    const e = new EventFd();
    const r = counted();
    vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: r.fd });
    e.signal();
    scheduler.run();
    expect(m.cpu(0).irr.test(0x5a)).toBe(true);
    expect(vm.lineSources(0, 10)).toEqual([RESAMPLER_SOURCE_ID]);
    expect(pin.remoteIrr).toBe(true);
    e.signal();
    scheduler.run();
    expect(m.guest.take(0)).toBe(0x5a);
    expect(m.guest.take(0)).toBeNull(); // no second delivery: remote IRR
    m.guest.eoi(0, 0x5a);
    expect(vm.lineSources(0, 10)).toEqual([]);
    expect(r.count).toBe(1);
    expect(pin.remoteIrr).toBe(false);
    expect(m.guest.take(0)).toBeNull();
    e.signal();
    scheduler.run();
    expect(m.guest.take(0)).toBe(0x5a);
  });

  it('CORE-S29: a re-assertion made from inside the resample notification survives', () => {
    const { m, vm, scheduler } = level10();
    const e = new EventFd();
    const r = counted();
    r.onSignal = () => e.signal(); // the device still wants service
    vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: r.fd });
    e.signal();
    scheduler.run();
    expect(m.guest.take(0)).toBe(0x5a);
    m.guest.eoi(0, 0x5a);
    scheduler.run();
    expect(vm.lineSources(0, 10)).toEqual([RESAMPLER_SOURCE_ID]);
    expect(m.guest.take(0)).toBe(0x5a);
    expect(m.guest.take(0)).toBeNull();
  });

  it('CORE-S30: two resampling irqfds on a GSI share one resampler: one de-assert, both notified', () => {
    const { m, vm, scheduler, deasserts } = level10();
    const [e1, e2] = [new EventFd(), new EventFd()];
    const [r1, r2] = [counted(), counted()];
    vm.irqfds.assign({ eventfd: e1, gsi: 10, resamplefd: r1.fd });
    vm.irqfds.assign({ eventfd: e2, gsi: 10, resamplefd: r2.fd });
    expect(vm.irqfds.resampler(10)?.list).toHaveLength(2);
    e1.signal();
    scheduler.run();
    expect(drain(m)).toEqual([0x5a]);
    expect(deasserts()).toBe(1);
    expect([r1.count, r2.count]).toEqual([1, 1]);
    expect(m.counters.get('ackNotifications')).toBe(1);
  });

  it('CORE-S31: the ack notifier exists before the first injection can happen', () => {
    const { m, vm, scheduler } = level10();
    const e = new EventFd();
    e.signal();
    const r = counted();
    vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: r.fd });
    expect(vm.hasAckNotifier(0, 10)).toBe(true);
    scheduler.run();
    expect(drain(m)).toEqual([0x5a]);
    expect(r.count).toBe(1);
  });

  it('CORE-S32: unmasking a latched level request resamples instead of delivering it', () => {
    const { m, vm, scheduler, pin, events } = level10();
    m.controllers[0]!.program(10, { masked: true });
    const e = new EventFd();
    const r = counted();
    vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: r.fd });
    e.signal();
    scheduler.run();
    expect(
      events
        .filter((ev) => ev.type === 'inject' && ev.level)
        .map((ev) => (ev as { result: number }).result),
    ).toEqual([-1]);
    expect(pin.irr).toBe(true);
    m.controllers[0]!.program(10, { masked: false });
    expect(m.guest.take(0)).toBeNull();
    expect(pin.irr).toBe(false);
    expect(r.count).toBe(1);
    expect(vm.lineSources(0, 10)).toEqual([RESAMPLER_SOURCE_ID]);
    e.signal();
    scheduler.run();
    expect(m.guest.take(0)).toBe(0x5a);
  });

  it('CORE-S33: one of two resampling irqfds leaving changes no line state and notifies nobody', () => {
    const { m, vm, scheduler, pin, deasserts } = level10();
    const [e1, e2] = [new EventFd(), new EventFd()];
    const [r1, r2] = [counted(), counted()];
    vm.irqfds.assign({ eventfd: e1, gsi: 10, resamplefd: r1.fd });
    vm.irqfds.assign({ eventfd: e2, gsi: 10, resamplefd: r2.fd });
    e1.signal();
    scheduler.run();
    expect(pin.remoteIrr).toBe(true);
    vm.irqfds.deassign({ eventfd: e1, gsi: 10 });
    expect(deasserts()).toBe(0);
    expect([r1.count, r2.count]).toEqual([0, 0]);
    expect(vm.lineSources(0, 10)).toEqual([RESAMPLER_SOURCE_ID]);
    expect(drain(m)).toEqual([0x5a]);
    expect([r1.count, r2.count]).toEqual([0, 1]);
  });

  it('CORE-S34: the last resampling irqfd out de-asserts without notifying', () => {
    const { m, vm, scheduler, pin } = level10();
    const e = new EventFd();
    const r = counted();
    vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: r.fd });
    e.signal();
    scheduler.run();
    vm.irqfds.deassign({ eventfd: e, gsi: 10 });
    expect(vm.lineSources(0, 10)).toEqual([]);
    expect(pin.irr).toBe(false);
    expect(pin.remoteIrr).toBe(true);
    expect(r.count).toBe(0);
    expect(vm.hasAckNotifier(0, 10)).toBe(false);
    expect(drain(m)).toEqual([0x5a]);
    expect(pin.remoteIrr).toBe(false);
    expect(r.count).toBe(0);
  });

  it('CORE-S35: a resampling irqfd on an MSI route takes the fast path and is never resampled', () => {
    const { m, vm, scheduler, events } = level10();
    vm.setGsiRouting([...defaultTable(), msiRoute(40, 0, 0x41)]);
    const e = new EventFd();
    const r = counted();
    vm.irqfds.assign({ eventfd: e, gsi: 40, resamplefd: r.fd });
    expect(events.some((ev) => ev.type === 'diagnostic' && ev.code === 'CORE-6.1')).toBe(true);
    e.signal();
    expect(scheduler.size).toBe(0);
    expect(drain(m)).toEqual([0x41]);
    expect(r.count).toBe(0);
  });

  it('CORE-S36: a route change strands the assertion on the old pin, which storms after each EOI', () => {
    const { m, vm, scheduler, pin } = level10();
    const e = new EventFd();
    const r = counted();
    vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: r.fd });
    e.signal();
    scheduler.run();
    vm.setGsiRouting([...defaultTable().filter((x) => x.gsi !== 10), pinRoute(10, 12)]);
    expect(vm.gsiFor(0, 10)).toBe(-1);
    for (let i = 0; i < 3; i++) {
      expect(m.guest.take(0)).toBe(0x5a);
      m.guest.eoi(0, 0x5a);
    }
    expect(r.count).toBe(0);
    expect(vm.lineSources(0, 10)).toEqual([RESAMPLER_SOURCE_ID]);
    expect(pin.remoteIrr).toBe(true); // delivered again after the last EOI: the storm goes on
  });
});

describe('CORE §10 teardown/creation race (seed 000) on the reference plugin', () => {
  /** E1/R1 alone on GSI 10, asserted and delivered, then E1 closed (shutdown queued). */
  function closedFirst() {
    const f = level10();
    const e1 = new EventFd();
    const r1 = counted();
    f.vm.irqfds.assign({ eventfd: e1, gsi: 10, resamplefd: r1.fd });
    e1.signal();
    f.scheduler.run();
    expect(f.m.guest.take(0)).toBe(0x5a);
    e1.close();
    return { ...f, e1, r1 };
  }

  /**
   * CORE-6.13's guarantee: every RESAMPLER de-assert after E2's first assertion is followed by
   * a signal of R2.
   */
  function expectNoSilentDeassert(events: readonly TraceEvent[], r2Signals: number[]): void {
    const firstAssert = events.findIndex(
      (e) => e.type === 'inject' && e.source === RESAMPLER_SOURCE_ID && e.level,
    );
    events.forEach((e, i) => {
      if (i > firstAssert && e.type === 'inject' && e.source === RESAMPLER_SOURCE_ID && !e.level) {
        expect(r2Signals.some((s) => s > i)).toBe(true);
      }
    });
  }

  for (const order of ['shutdown first', 'inject first'] as const) {
    it(`CORE-S37: variant A (${order}): a new irqfd joins the live resampler; no de-assert ever`, () => {
      const { m, vm, scheduler, r1, events, deasserts } = closedFirst();
      const e2 = new EventFd();
      const r2 = counted();
      vm.irqfds.assign({ eventfd: e2, gsi: 10, resamplefd: r2.fd });
      e2.signal();
      const tasks = scheduler.pending();
      const ordered = order === 'shutdown first' ? tasks : [...tasks].reverse();
      for (const t of ordered) scheduler.runTask(t);
      expect(deasserts()).toBe(0);
      expect(vm.lineSources(0, 10)).toEqual([RESAMPLER_SOURCE_ID]);
      m.guest.eoi(0, 0x5a);
      expect([r1.count, r2.count]).toEqual([0, 1]);
      expectNoSilentDeassert(events, [events.length]);
    });
  }

  it('CORE-S37: variant B: the old resampler’s final de-assert precedes the new irqfd; its EOI resamples it', () => {
    const { m, vm, scheduler, r1, pin, events } = closedFirst();
    scheduler.run(); // shutdown(E1): final de-assert, nobody notified
    expect(vm.lineSources(0, 10)).toEqual([]);
    expect(pin.irr).toBe(false);
    expect(pin.remoteIrr).toBe(true);
    expect(r1.count).toBe(0);
    const e2 = new EventFd();
    const r2 = counted();
    const r2Signals: number[] = [];
    r2.onSignal = () => r2Signals.push(events.length);
    vm.irqfds.assign({ eventfd: e2, gsi: 10, resamplefd: r2.fd });
    e2.signal();
    scheduler.run();
    expect(vm.lineSources(0, 10)).toEqual([RESAMPLER_SOURCE_ID]);
    const asserted = events.filter((ev) => ev.type === 'inject' && ev.level).at(-1);
    expect(asserted?.type === 'inject' && asserted.result).toBe(-1); // latched behind remote IRR
    m.guest.eoi(0, 0x5a);
    expect(r2.count).toBe(1);
    expect(r1.count).toBe(0);
    expectNoSilentDeassert(events, r2Signals);
  });

  it('CORE-S38: an EOI racing an irqfd leaving: before removal both are notified, after only the remaining one', () => {
    for (const when of ['before removal', 'after removal'] as const) {
      const { m, vm, scheduler } = level10();
      const [e1, e2] = [new EventFd(), new EventFd()];
      const [r1, r2] = [counted(), counted()];
      vm.irqfds.assign({ eventfd: e1, gsi: 10, resamplefd: r1.fd });
      const irqfd1 = vm.irqfds.active[0]!;
      vm.irqfds.assign({ eventfd: e2, gsi: 10, resamplefd: r2.fd });
      e1.signal();
      scheduler.run();
      expect(m.guest.take(0)).toBe(0x5a);
      e1.close();
      if (when === 'before removal') {
        m.guest.eoi(0, 0x5a);
        scheduler.run();
        expect([r1.count, r2.count]).toEqual([1, 1]);
      } else {
        scheduler.checkpointHook = (point, subject) => {
          if (point === 'resampler-left' && subject === irqfd1) m.guest.eoi(0, 0x5a);
        };
        scheduler.run();
        expect([r1.count, r2.count]).toEqual([0, 1]);
      }
      scheduler.checkpointHook = null;
      e2.signal();
      scheduler.run();
      drain(m);
      expect(r1.count).toBe(when === 'before removal' ? 1 : 0); // never after its shutdown
    }
  });
});
