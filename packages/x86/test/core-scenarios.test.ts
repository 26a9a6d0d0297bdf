/**
 * spec/core.md §10 scenarios CORE-S1 … CORE-S45, run against `createX86Machine` (full irqchip,
 * default routing; TestScheduler). The PIC is not built (X86-3.4), so CORE-S2 and CORE-S9 use
 * a second test controller registered with `vm.addChip` under the PIC master's id (0) — x86
 * route validation accepts chip 0 pins < 8 (X86-1.1) — and CORE-S19's GSI 4 has one entry
 * (IOAPIC only) instead of two; an irqchip entry defers either way (CORE-5.8).
 */
import {
  EventFd,
  Host,
  type IrqBypassProducer,
  type IrqChip,
  IrqError,
  RESAMPLER_SOURCE_ID,
  ROUTE_FLAG_VALID_DEVID,
  TestScheduler,
  type TraceEvent,
  USERSPACE_SOURCE_ID,
} from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { createX86Machine, defaultRouting, type X86Machine } from '../src/index.js';
import {
  chipRoute,
  inIrr,
  irrBit,
  mkTest,
  msi,
  msiRoute,
  program,
  rawMsiRoute,
  remoteIrr,
  takeEoi,
} from './helpers.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof IrqError) return e.code;
    throw e;
  }
  return undefined;
};

/** A test controller standing in for the PIC master: per-pin result and recorded input. */
function testChip(id = 0): IrqChip & { result: number[]; irr: boolean[] } {
  return {
    id,
    pins: 8,
    result: new Array(8).fill(1),
    irr: new Array(8).fill(false),
    setLevel(pin, level) {
      this.irr[pin] = level;
      return level ? this.result[pin]! : 1;
    },
  };
}

/** Pin 10 level, vector 0x5a → vCPU 0, unmasked; test scheduler. */
function level10(masked = false) {
  const { m, sched } = mkTest();
  program(m, 10, { vector: 0x5a, level: true, masked });
  const { events } = m.trace.record();
  return { m, vm: m.vm, sched, events };
}

function counted(): { fd: EventFd; count: number; onSignal?: () => void } {
  const fd = new EventFd();
  const c: { fd: EventFd; count: number; onSignal?: () => void } = { fd, count: 0 };
  fd.listen((f, why) => {
    if (why !== 'readable') return;
    f.read();
    c.count++;
    c.onSignal?.();
  });
  return c;
}

const acc = (m: X86Machine, v = 0) => m.vcpu(v).acceptCount;
const deasserts = (events: readonly TraceEvent[]) =>
  events.filter((e) => e.type === 'inject' && e.source === RESAMPLER_SOURCE_ID && !e.level).length;

describe('CORE §10 routing table (x86 full)', () => {
  it('CORE-S1: an empty table routes nothing and changes no controller state', () => {
    const { m } = mkTest();
    program(m, 5, { vector: 0x35 });
    m.vm.setGsiRouting([]);
    for (const g of [0, 5, 23, 100]) expect(m.vm.setIrq(0, g, true)).toBe(-1);
    expect(m.ioapic.irr).toBe(0);
    expect(m.vm.lineSources(2, 5)).toEqual([]);
    expect(acc(m)).toBe(0);
  });

  it('CORE-S2: fan-out to a second controller (test chip as PIC master) and the IOAPIC', () => {
    const { m } = mkTest();
    const pic = testChip(0);
    m.vm.addChip(pic);
    pic.result[5] = -1; // masked in IMR
    m.vm.setGsiRouting([chipRoute(5, 0, 5), chipRoute(5, 2, 5)]);
    program(m, 5, { vector: 0x35 });
    expect(m.vm.setIrq(0, 5, true)).toBe(1);
    expect(pic.irr[5]).toBe(true);
    expect(inIrr(m, 0, 0x35)).toBe(true);
  });

  it('CORE-S2: fan-out across the real PIC and the IOAPIC (pic: true)', () => {
    const m = createX86Machine({
      vcpus: 1,
      pic: true,
      host: new Host({ scheduler: new TestScheduler() }),
    });
    m.enableApics();
    m.vm.setGsiRouting([chipRoute(5, 0, 5), chipRoute(5, 2, 5)]);
    m.pioWrite(0, 0x21, 1 << 5); // PIC pin 5 masked in IMR
    program(m, 5, { vector: 0x35 });
    const results: number[] = [];
    m.trace.subscribe((e) => e.type === 'inject' && results.push(e.result));
    expect(m.vm.setIrq(0, 5, true)).toBe(1);
    expect(m.pic!.pics[0].irr & (1 << 5)).toBe(1 << 5); // latched although masked
    expect(inIrr(m, 0, 0x35)).toBe(true);
  });

  it('CORE-S3: two pins of one controller on one GSI are rejected; the default table stays', () => {
    const { m } = mkTest();
    const before = m.vm.entriesFor(5);
    expect(code(() => m.vm.setGsiRouting([chipRoute(5, 2, 5), chipRoute(5, 2, 6)]))).toBe('EINVAL');
    expect(m.vm.entriesFor(5)).toEqual(before);
    expect(m.vm.gsiFor(2, 6)).toBe(6);
  });

  it('CORE-S4: MSI plus pin, or two MSIs, on one GSI are rejected; one MSI on two GSIs is fine', () => {
    const { m } = mkTest();
    expect(code(() => m.vm.setGsiRouting([msiRoute(30, 0, 0x41), chipRoute(30, 2, 3)]))).toBe(
      'EINVAL',
    );
    expect(code(() => m.vm.setGsiRouting([msiRoute(30, 0, 0x41), msiRoute(30, 1, 0x42)]))).toBe(
      'EINVAL',
    );
    m.vm.setGsiRouting([msiRoute(30, 0, 0x41), msiRoute(31, 0, 0x41)]);
    expect(m.vm.entriesFor(31)).toHaveLength(1);
  });

  it('CORE-S5: limits: gsi 4096, 4097 entries, table flags; 4096 MSIs fit', () => {
    const { m } = mkTest();
    expect(code(() => m.vm.setGsiRouting([msiRoute(4096, 0, 0x41)]))).toBe('EINVAL');
    expect(
      code(() =>
        m.vm.setGsiRouting(Array.from({ length: 4097 }, (_, i) => msiRoute(i % 4096, 0, 0x41))),
      ),
    ).toBe('EINVAL');
    expect(code(() => m.vm.setGsiRouting([msiRoute(1, 0, 0x41)], 1))).toBe('EINVAL');
    m.vm.setGsiRouting(Array.from({ length: 4096 }, (_, g) => msiRoute(g, 0, 0x41)));
    expect(m.vm.entriesFor(4095)).toHaveLength(1);
  });

  it('CORE-S6: entry flags: VALID_DEVID only on MSI entries', () => {
    const { m } = mkTest();
    m.vm.setGsiRouting([
      rawMsiRoute(40, { ...msi(0, 0x41), flags: ROUTE_FLAG_VALID_DEVID, devid: 7 }),
    ]);
    expect(code(() => m.vm.setGsiRouting([rawMsiRoute(40, { ...msi(0, 0x41), flags: 2 })]))).toBe(
      'EINVAL',
    );
    expect(
      code(() => m.vm.setGsiRouting([{ ...chipRoute(5, 2, 5), flags: ROUTE_FLAG_VALID_DEVID }])),
    ).toBe('EINVAL');
  });

  it('CORE-S7: a rejected table (IOAPIC pin 99) leaves the old one in force', () => {
    const { m } = mkTest();
    m.vm.setGsiRouting([msiRoute(40, 0, 0x41)]);
    expect(code(() => m.vm.setGsiRouting([msiRoute(40, 1, 0x42), chipRoute(41, 2, 99)]))).toBe(
      'EINVAL',
    );
    expect(m.vm.setIrq(0, 40, true)).toBe(1);
    expect(inIrr(m, 0, 0x41)).toBe(true);
    expect(inIrr(m, 1, 0x42)).toBe(false);
  });

  it('CORE-S8: reverse map, last wins: only N50 hears pin 7’s EOI; both GSIs drive pin 7', () => {
    const { m } = mkTest();
    m.vm.setGsiRouting([...defaultRouting(false), chipRoute(50, 2, 7)]);
    program(m, 7, { vector: 0x37, level: true });
    const heard: number[] = [];
    m.vm.registerAckNotifier({ gsi: 7, onAck: () => heard.push(7) });
    m.vm.registerAckNotifier({ gsi: 50, onAck: () => heard.push(50) });
    m.vm.setIrq(0, 7, true);
    m.vm.setIrq(0, 7, false);
    takeEoi(m, 0);
    expect(heard).toEqual([50]);
    m.vm.setIrq(3, 50, true);
    expect(m.vm.lineSources(2, 7)).toEqual([3]);
    expect(inIrr(m, 0, 0x37)).toBe(true);
  });

  it('CORE-S9: results combine as kvm_set_irq does', () => {
    const { m } = mkTest();
    const a = testChip(0);
    const b = testChip(1);
    m.vm.addChip(a);
    m.vm.addChip(b);
    m.vm.setGsiRouting([chipRoute(9, 0, 1), chipRoute(9, 1, 1)]);
    for (const [ra, rb, d] of [
      [-1, -1, -1],
      [0, -1, 0],
      [-1, 0, 0],
      [1, 2, 3],
      [0, 1, 1],
    ] as const) {
      a.result[1] = ra;
      b.result[1] = rb;
      expect(m.vm.setIrq(0, 9, true)).toBe(d);
    }
  });

  it('CORE-S10: KVM_IRQ_LINE_STATUS on an unrouted line reports −1', () => {
    const { m } = mkTest();
    expect(m.vm.irqLine({ gsi: 200, level: 1 }, { withStatus: true })).toEqual({ status: -1 });
  });
});

describe('CORE §10 source ids (x86 full)', () => {
  it('CORE-S11: wired OR: sources {1} keep the line high; the EOI re-delivers', () => {
    const { m } = mkTest();
    program(m, 9, { vector: 0x39, level: true });
    m.vm.setIrq(USERSPACE_SOURCE_ID, 9, true);
    m.vm.setIrq(RESAMPLER_SOURCE_ID, 9, true);
    m.vm.setIrq(USERSPACE_SOURCE_ID, 9, false);
    expect(m.vm.lineSources(2, 9)).toEqual([1]);
    expect(irrBit(m, 9)).toBe(1);
    takeEoi(m, 0);
    expect(acc(m)).toBe(2);
  });

  it('CORE-S12: a plain irqfd’s pulse erases userspace’s assertion (shared USERSPACE id)', () => {
    const { m, sched } = level10();
    m.vm.irqLine({ gsi: 10, level: 1 });
    expect(remoteIrr(m, 10)).toBe(1);
    const e = new EventFd();
    m.vm.irqfds.assign({ eventfd: e, gsi: 10 });
    e.signal();
    sched.run();
    expect(m.vm.lineSources(2, 10)).toEqual([]);
    takeEoi(m, 0);
    expect(acc(m)).toBe(1);
  });

  it('CORE-S13: the source-id allocator (no PIT)', () => {
    const { m } = mkTest();
    const got = Array.from({ length: 62 }, () => m.vm.requestSourceId());
    expect(got).toEqual(Array.from({ length: 62 }, (_, i) => i + 2));
    expect(code(() => m.vm.requestSourceId())).toBe('ENOSPC');
    m.vm.freeSourceId(5);
    expect(m.vm.requestSourceId()).toBe(5);
    expect(code(() => m.vm.freeSourceId(0))).toBe('EINVAL');
  });

  it('CORE-S14: freeing a source does not re-drive the IOAPIC (unless asked)', () => {
    for (const redrive of [false, true]) {
      const { m } = mkTest();
      program(m, 11, { vector: 0x3b, level: true });
      const id = m.vm.requestSourceId();
      m.vm.setIrq(id, 11, true);
      takeEoi(m, 0); // re-delivered: line high
      expect(acc(m)).toBe(2);
      m.vm.freeSourceId(id, { redrive });
      expect(m.vm.lineSources(2, 11)).toEqual([]);
      expect(irrBit(m, 11)).toBe(redrive ? 0 : 1);
      takeEoi(m, 0);
      expect(acc(m)).toBe(redrive ? 2 : 3);
      m.vm.setIrq(0, 11, false);
      expect(irrBit(m, 11)).toBe(0);
      takeEoi(m, 0);
      expect(acc(m)).toBe(redrive ? 2 : 3);
    }
  });
});

describe('CORE §10 irqfd (x86 full)', () => {
  it('CORE-S15: irqfd flag validation: bad flags, RESAMPLE on split, no irqchip', () => {
    const { m } = mkTest();
    expect(code(() => m.vm.irqfds.irqfd({ eventfd: new EventFd(), gsi: 1, flags: 1 << 2 }))).toBe(
      'EINVAL',
    );
    expect(m.vm.irqfds.active).toHaveLength(0);
    const split = createX86Machine({ irqchip: 'split' });
    expect(
      code(() =>
        split.vm.irqfds.assign({ eventfd: new EventFd(), gsi: 1, resamplefd: new EventFd() }),
      ),
    ).toBe('EINVAL');
    const none = createX86Machine({ irqchip: 'none' });
    expect(code(() => none.vm.irqfds.assign({ eventfd: new EventFd(), gsi: 1 }))).toBe('EINVAL');
  });

  it('CORE-S16: one irqfd per eventfd, across VMs', () => {
    const { m } = mkTest();
    const other = createX86Machine({ host: m.host });
    const e = new EventFd();
    m.vm.irqfds.assign({ eventfd: e, gsi: 20 });
    expect(code(() => m.vm.irqfds.assign({ eventfd: e, gsi: 21 }))).toBe('EBUSY');
    expect(code(() => other.vm.irqfds.assign({ eventfd: e, gsi: 20 }))).toBe('EBUSY');
    m.vm.irqfds.deassign({ eventfd: e, gsi: 20 });
    expect(m.vm.irqfds.assign({ eventfd: e, gsi: 21 }).active).toBe(true);
  });

  it('CORE-S17: many irqfds per GSI: two pulses, two interrupts', () => {
    const { m, sched } = mkTest();
    program(m, 20, { vector: 0x44 });
    const [e1, e2] = [new EventFd(), new EventFd()];
    m.vm.irqfds.assign({ eventfd: e1, gsi: 20 });
    m.vm.irqfds.assign({ eventfd: e2, gsi: 20 });
    e1.signal();
    sched.run();
    expect(takeEoi(m, 0)).toBe(0x44);
    e2.signal();
    sched.run();
    expect(takeEoi(m, 0)).toBe(0x44);
  });

  it('CORE-S18: the MSI fast path is synchronous', () => {
    const { m, sched } = mkTest();
    m.vm.setGsiRouting([msiRoute(40, 0, 0x41)]);
    const e = new EventFd();
    m.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    e.signal();
    expect(inIrr(m, 0, 0x41)).toBe(true);
    expect(sched.size).toBe(0);
  });

  it('CORE-S19: an irqchip route is deferred (GSI 4: IOAPIC only, no PIC)', () => {
    const { m, sched } = mkTest();
    program(m, 4, { vector: 0x34 });
    const e = new EventFd();
    m.vm.irqfds.assign({ eventfd: e, gsi: 4 });
    e.signal();
    expect(acc(m)).toBe(0);
    expect(sched.pending().map((t) => t.kind)).toEqual(['inject']);
    sched.run();
    expect(acc(m)).toBe(1);
    expect(m.vm.lineSources(2, 4)).toEqual([]);
  });

  it('CORE-S20: the eventfd counter is drained (semaphore: one unit) per injection', () => {
    for (const semaphore of [false, true]) {
      const { m } = mkTest();
      m.vm.setGsiRouting([msiRoute(40, 0, 0x41)]);
      const e = new EventFd({ semaphore });
      m.vm.irqfds.assign({ eventfd: e, gsi: 40 });
      const before = m.counters.get('fastPathInjections');
      e.signal(5);
      expect(m.counters.get('fastPathInjections') - before).toBe(1);
      expect(e.count).toBe(semaphore ? 4 : 0);
    }
  });

  it('CORE-S21: an event pending at assign queues one injection', () => {
    const { m, sched } = mkTest();
    program(m, 4, { vector: 0x34 });
    const e = new EventFd();
    e.signal(1);
    m.vm.irqfds.assign({ eventfd: e, gsi: 4 });
    expect(sched.size).toBe(1);
    expect(e.count).toBe(1);
    sched.run();
    expect(acc(m)).toBe(1);
  });

  it('CORE-S22: deferred work coalesces', () => {
    const { m, sched } = mkTest();
    program(m, 4, { vector: 0x34 });
    const e = new EventFd();
    m.vm.irqfds.assign({ eventfd: e, gsi: 4 });
    e.signal();
    e.signal();
    e.signal();
    expect(sched.size).toBe(1);
    sched.run();
    expect(m.counters.get('deferredInjections')).toBe(1);
  });

  it('CORE-S23: deassign with the wrong GSI leaves the irqfd in place', () => {
    const { m, sched } = mkTest();
    program(m, 20, { vector: 0x44 });
    const e = new EventFd();
    m.vm.irqfds.assign({ eventfd: e, gsi: 20 });
    m.vm.irqfds.deassign({ eventfd: e, gsi: 21 });
    expect(m.vm.irqfds.active).toHaveLength(1);
    e.signal();
    sched.run();
    expect(acc(m)).toBe(1);
  });

  it('CORE-S24: deassign flushes a queued injection before returning', () => {
    const { m, sched } = mkTest();
    program(m, 20, { vector: 0x44 });
    const e = new EventFd();
    m.vm.irqfds.assign({ eventfd: e, gsi: 20 });
    e.signal();
    m.vm.irqfds.deassign({ eventfd: e, gsi: 20 });
    expect(acc(m)).toBe(1);
    expect(m.vm.irqfds.active).toHaveLength(0);
    e.signal();
    sched.run();
    expect(acc(m)).toBe(1);
  });

  it('CORE-S25: closing the eventfd queues the shutdown without running it', () => {
    const { m, sched } = mkTest();
    const e = new EventFd();
    const irqfd = m.vm.irqfds.assign({ eventfd: e, gsi: 20 });
    const cached = irqfd.route;
    e.close();
    expect(m.vm.irqfds.active).toHaveLength(0);
    expect(sched.pending().map((t) => t.kind)).toEqual(['shutdown']);
    m.vm.setGsiRouting([msiRoute(20, 0, 0x41)]);
    expect(irqfd.route).toBe(cached); // a routing update no longer touches it
    sched.run();
    expect(irqfd.shutDown).toBe(true);
  });

  it('CORE-S26: routing changes re-evaluate the cached route', () => {
    const { m, sched } = mkTest();
    program(m, 5, { vector: 0x35 });
    m.vm.setGsiRouting([msiRoute(40, 0, 0x41)]);
    const e = new EventFd();
    m.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    m.vm.setGsiRouting([chipRoute(40, 2, 5)]);
    e.signal();
    expect(sched.size).toBe(1);
    sched.run();
    expect(inIrr(m, 0, 0x35)).toBe(true);
    m.vm.setGsiRouting([msiRoute(40, 0, 0x44)]);
    e.signal();
    expect(inIrr(m, 0, 0x44)).toBe(true);
    expect(sched.size).toBe(0);
  });

  it('CORE-S27: an unrouted irqfd injects nothing until a route appears', () => {
    const { m, sched } = mkTest();
    const e = new EventFd();
    m.vm.irqfds.assign({ eventfd: e, gsi: 60 });
    e.signal();
    sched.run();
    expect(acc(m)).toBe(0);
    m.vm.setGsiRouting([...defaultRouting(false), msiRoute(60, 0, 0x41)]);
    e.signal();
    expect(inIrr(m, 0, 0x41)).toBe(true);
  });
});

describe('CORE §10 resampling (x86 full, IOAPIC pin 10 level 0x5a)', () => {
  it('CORE-S28: basic level cycle', () => {
    const { m, vm, sched } = level10();
    const e = new EventFd();
    const r = counted();
    vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: r.fd });
    e.signal();
    sched.run();
    expect(acc(m)).toBe(1);
    expect(vm.lineSources(2, 10)).toEqual([1]);
    expect(remoteIrr(m, 10)).toBe(1);
    e.signal();
    sched.run();
    expect(acc(m)).toBe(1);
    takeEoi(m, 0);
    expect(vm.lineSources(2, 10)).toEqual([]);
    expect(r.count).toBe(1);
    expect(remoteIrr(m, 10)).toBe(0);
    expect(acc(m)).toBe(1);
    e.signal();
    sched.run();
    expect(acc(m)).toBe(2);
  });

  it('CORE-S29: a re-assert from the notification survives', () => {
    const { m, vm, sched } = level10();
    const e = new EventFd();
    const r = counted();
    r.onSignal = () => e.signal();
    vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: r.fd });
    e.signal();
    sched.run();
    takeEoi(m, 0);
    sched.run();
    expect(vm.lineSources(2, 10)).toEqual([1]);
    expect(acc(m)).toBe(2);
  });

  it('CORE-S30: one shared resampler: one de-assert, every resamplefd signalled', () => {
    const { m, vm, sched, events } = level10();
    const [e1, e2] = [new EventFd(), new EventFd()];
    const [r1, r2] = [counted(), counted()];
    vm.irqfds.assign({ eventfd: e1, gsi: 10, resamplefd: r1.fd });
    vm.irqfds.assign({ eventfd: e2, gsi: 10, resamplefd: r2.fd });
    expect(vm.irqfds.resampler(10)?.list).toHaveLength(2);
    expect(vm.hasAckNotifier(2, 10)).toBe(true);
    e1.signal();
    sched.run();
    takeEoi(m, 0);
    expect(deasserts(events)).toBe(1);
    expect([r1.count, r2.count]).toEqual([1, 1]);
  });

  it('CORE-S31: the ack notifier exists before the first injection', () => {
    const { m, vm, sched } = level10();
    const e = new EventFd();
    e.signal();
    const r = counted();
    vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: r.fd });
    sched.run();
    takeEoi(m, 0);
    expect(r.count).toBe(1);
  });

  it('CORE-S32: unmask resamples a latched level request', () => {
    const { m, vm, sched } = level10(true);
    const e = new EventFd();
    const r = counted();
    vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: r.fd });
    e.signal();
    sched.run();
    expect(irrBit(m, 10)).toBe(1);
    m.guest.unmask(10);
    expect(acc(m)).toBe(0);
    expect(irrBit(m, 10)).toBe(0);
    expect(r.count).toBe(1);
    expect(vm.lineSources(2, 10)).toEqual([1]);
    e.signal();
    sched.run();
    expect(acc(m)).toBe(1);
  });

  it('CORE-S33: leaving while others remain changes nothing', () => {
    const { m, vm, sched, events } = level10();
    const [e1, e2] = [new EventFd(), new EventFd()];
    const [r1, r2] = [counted(), counted()];
    vm.irqfds.assign({ eventfd: e1, gsi: 10, resamplefd: r1.fd });
    vm.irqfds.assign({ eventfd: e2, gsi: 10, resamplefd: r2.fd });
    e1.signal();
    sched.run();
    vm.irqfds.deassign({ eventfd: e1, gsi: 10 });
    expect(deasserts(events)).toBe(0);
    expect(vm.lineSources(2, 10)).toEqual([1]);
    takeEoi(m, 0);
    expect([r1.count, r2.count]).toEqual([0, 1]);
  });

  it('CORE-S34: the last one out de-asserts without notifying', () => {
    const { m, vm, sched } = level10();
    const e = new EventFd();
    const r = counted();
    vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: r.fd });
    e.signal();
    sched.run();
    vm.irqfds.deassign({ eventfd: e, gsi: 10 });
    expect(vm.lineSources(2, 10)).toEqual([]);
    expect(irrBit(m, 10)).toBe(0);
    expect(r.count).toBe(0);
    expect(vm.hasAckNotifier(2, 10)).toBe(false);
    takeEoi(m, 0);
    expect(remoteIrr(m, 10)).toBe(0);
    expect(r.count).toBe(0);
  });

  it('CORE-S35: a resampling irqfd on an MSI-only GSI takes the fast path and is never resampled', () => {
    const { m, vm, events } = level10();
    vm.setGsiRouting([msiRoute(40, 0, 0x41)]);
    const e = new EventFd();
    const r = counted();
    vm.irqfds.assign({ eventfd: e, gsi: 40, resamplefd: r.fd });
    expect(events.some((ev) => ev.type === 'diagnostic' && ev.code === 'CORE-6.1')).toBe(true);
    e.signal();
    expect(inIrr(m, 0, 0x41)).toBe(true);
    takeEoi(m, 0);
    expect(r.count).toBe(0);
  });

  it('CORE-S36: a route change strands the assertion; pin 10 storms on its own', () => {
    const { m, vm, sched } = level10();
    const e = new EventFd();
    const r = counted();
    vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: r.fd });
    e.signal();
    sched.run();
    vm.setGsiRouting(defaultRouting(false).map((x) => (x.gsi === 10 ? chipRoute(10, 2, 12) : x)));
    const acks = m.counters.get('ackNotifications');
    takeEoi(m, 0);
    expect(m.counters.get('ackNotifications')).toBe(acks);
    expect(r.count).toBe(0);
    expect(vm.lineSources(2, 10)).toEqual([1]);
    expect(acc(m)).toBe(2); // re-delivered: the stranded RESAMPLER bit keeps the line high
    takeEoi(m, 0);
    expect(acc(m)).toBe(3);
  });
});

describe('CORE §10 teardown/creation race (x86 full)', () => {
  function closedFirst() {
    const f = level10();
    const e1 = new EventFd();
    const r1 = counted();
    f.vm.irqfds.assign({ eventfd: e1, gsi: 10, resamplefd: r1.fd });
    e1.signal();
    f.sched.run();
    expect(f.m.guest.take(0)).toBe(0x5a);
    e1.close();
    return { ...f, e1, r1 };
  }

  for (const order of ['shutdown first', 'inject first'] as const) {
    it(`CORE-S37: variant A (${order}): a new irqfd joins the live resampler; no de-assert`, () => {
      const { m, vm, sched, r1, events } = closedFirst();
      const e2 = new EventFd();
      const r2 = counted();
      vm.irqfds.assign({ eventfd: e2, gsi: 10, resamplefd: r2.fd });
      e2.signal();
      const tasks = sched.pending();
      for (const t of order === 'shutdown first' ? tasks : [...tasks].reverse()) sched.runTask(t);
      expect(deasserts(events)).toBe(0);
      expect(vm.lineSources(2, 10)).toEqual([1]);
      m.guest.eoi(0, 0x5a);
      expect([r1.count, r2.count]).toEqual([0, 1]);
    });
  }

  it('CORE-S37: variant B: the old final de-assert comes first; the old EOI resamples the new irqfd', () => {
    const { m, vm, sched, r1, events } = closedFirst();
    sched.run();
    expect(vm.lineSources(2, 10)).toEqual([]);
    expect(irrBit(m, 10)).toBe(0);
    expect(remoteIrr(m, 10)).toBe(1);
    const e2 = new EventFd();
    const r2 = counted();
    vm.irqfds.assign({ eventfd: e2, gsi: 10, resamplefd: r2.fd });
    e2.signal();
    sched.run();
    expect(vm.lineSources(2, 10)).toEqual([1]);
    const last = events.filter((ev) => ev.type === 'inject' && ev.level).at(-1);
    expect(last?.type === 'inject' && last.result).toBe(-1);
    m.guest.eoi(0, 0x5a);
    expect([r1.count, r2.count]).toEqual([0, 1]);
  });

  it('CORE-S38: an EOI racing a leaving irqfd notifies it only before its removal', () => {
    for (const when of ['before', 'after'] as const) {
      const { m, vm, sched } = level10();
      const [e1, e2] = [new EventFd(), new EventFd()];
      const [r1, r2] = [counted(), counted()];
      const irqfd1 = vm.irqfds.assign({ eventfd: e1, gsi: 10, resamplefd: r1.fd });
      vm.irqfds.assign({ eventfd: e2, gsi: 10, resamplefd: r2.fd });
      e1.signal();
      sched.run();
      expect(m.guest.take(0)).toBe(0x5a);
      e1.close();
      if (when === 'before') {
        m.guest.eoi(0, 0x5a);
        sched.run();
      } else {
        sched.checkpointHook = (point, subject) => {
          if (point === 'resampler-left' && subject === irqfd1) m.guest.eoi(0, 0x5a);
        };
        sched.run();
        sched.checkpointHook = null;
      }
      expect([r1.count, r2.count]).toEqual(when === 'before' ? [1, 1] : [0, 1]);
      e2.signal();
      sched.run();
      takeEoi(m, 0);
      expect(r1.count).toBe(when === 'before' ? 1 : 0);
    }
  });
});

describe('CORE §10 IRQ bypass and ioctls (x86 full)', () => {
  function recorder() {
    const log: string[] = [];
    const producer = (name: string, irq = 0): IrqBypassProducer => ({
      token: null,
      consumer: null,
      irq,
      addConsumer: () => {
        log.push(`${name}.addConsumer`);
        return 0;
      },
      delConsumer: () => void log.push(`${name}.delConsumer`),
      stop: () => void log.push(`${name}.stop`),
      start: () => void log.push(`${name}.start`),
    });
    return { log, producer };
  }

  it('CORE-S39: connect order, either side first (x86 irqfd consumer)', () => {
    for (const first of ['consumer', 'producer'] as const) {
      const { m } = mkTest({ apicv: true, devicePosting: true });
      const { log, producer } = recorder();
      const e = new EventFd();
      const p = producer('P');
      if (first === 'producer') m.host.bypass.registerProducer(p, e, 99);
      const irqfd = m.vm.irqfds.assign({ eventfd: e, gsi: 5 });
      if (first === 'consumer') m.host.bypass.registerProducer(p, e, 99);
      expect(log).toEqual(['P.stop', 'P.addConsumer', 'P.start']); // x86 stop/start are no-ops
      expect(p.consumer).toBe(irqfd);
      expect(irqfd.producer).toBe(p);
    }
  });

  it('CORE-S40: duplicate tokens are EBUSY; re-registering is EINVAL', () => {
    const { m } = mkTest({ apicv: true, devicePosting: true });
    const { producer } = recorder();
    const e = new EventFd();
    const p = producer('P');
    m.host.bypass.registerProducer(p, e, 1);
    expect(code(() => m.host.bypass.registerProducer(producer('P2'), e, 2))).toBe('EBUSY');
    m.vm.irqfds.assign({ eventfd: e, gsi: 5 });
    expect(code(() => m.host.bypass.registerConsumer(m.vm.irqfds.active[0]!, {}))).toBe('EINVAL');
    expect(code(() => m.host.bypass.registerProducer(p, {}, 1))).toBe('EINVAL');
  });

  it('CORE-S41: a failing addProducer (IRTE programming refused) leaves no producer behind', () => {
    const { m } = mkTest({ apicv: true, devicePosting: true });
    m.vm.setGsiRouting([msiRoute(40, 0, 0x41)]);
    const { log, producer } = recorder();
    const e = new EventFd();
    const irqfd = m.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    const line = m.host.irqs.createLine(); // not a host MSI: setVcpuAffinity fails with EINVAL
    const p = producer('P', line.irq);
    const events = m.trace.record().events;
    expect(code(() => m.host.bypass.registerProducer(p, e, line.irq))).toBe('EINVAL');
    expect(log).toEqual(['P.stop', 'P.addConsumer', 'P.delConsumer', 'P.start']);
    expect(p.token).toBeNull();
    expect(irqfd.producer).toBeNull();
    expect(m.bypassCount).toBe(0);
    expect(events.some((ev) => ev.type === 'deviation' && ev.code === 'CORE-7.10')).toBe(true);
  });

  it('CORE-S42: unregistering a connected producer disconnects; again is a no-op', () => {
    const { m } = mkTest({ apicv: true, devicePosting: true });
    const { log, producer } = recorder();
    const e = new EventFd();
    const p = producer('P');
    m.host.bypass.registerProducer(p, e, 1);
    const irqfd = m.vm.irqfds.assign({ eventfd: e, gsi: 5 });
    log.length = 0;
    m.host.bypass.unregisterProducer(p);
    expect(log).toEqual(['P.stop', 'P.delConsumer', 'P.start']);
    expect(irqfd.producer).toBeNull();
    expect(m.host.bypass.hasConsumer(irqfd)).toBe(true);
    log.length = 0;
    m.host.bypass.unregisterProducer(p);
    expect(log).toEqual([]);
  });

  it('CORE-S43: the irqfd lifecycle drives the pairing', () => {
    const { m } = mkTest({ apicv: true, devicePosting: true });
    const { log, producer } = recorder();
    const e = new EventFd();
    const p = producer('P');
    m.host.bypass.registerProducer(p, e, 42);
    m.vm.irqfds.assign({ eventfd: e, gsi: 5 });
    expect(log.filter((l) => l === 'P.addConsumer')).toHaveLength(1);
    m.vm.irqfds.deassign({ eventfd: e, gsi: 5 });
    expect(log.slice(-3)).toEqual(['P.stop', 'P.delConsumer', 'P.start']);
    expect(p.consumer).toBeNull();
    m.vm.irqfds.assign({ eventfd: e, gsi: 5 });
    expect(log.filter((l) => l === 'P.addConsumer')).toHaveLength(2);
  });

  it('CORE-S44: signalMsi needs an irqchip and valid flags; it returns the delivery count', () => {
    const none = createX86Machine({ irqchip: 'none' });
    expect(code(() => none.vm.signalMsi(msi(0, 0x41)))).toBe('EINVAL');
    const { m } = mkTest();
    expect(code(() => m.vm.signalMsi({ ...msi(0, 0x41), flags: 2 }))).toBe('EINVAL');
    expect(m.vm.signalMsi(msi(0, 0x41))).toBe(1);
  });

  it('CORE-S45: irqLine without an in-kernel irqchip is ENXIO', () => {
    const none = createX86Machine({ irqchip: 'none' });
    expect(code(() => none.vm.irqLine({ gsi: 4, level: 1 }))).toBe('ENXIO');
  });
});
