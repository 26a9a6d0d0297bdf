import { describe, expect, it } from 'vitest';
import {
  EventFd,
  IrqError,
  type Irqfd,
  RESAMPLER_SOURCE_ID,
  USERSPACE_SOURCE_ID,
} from '../src/index.js';
import {
  EDGE,
  expectIrqError,
  type Fixture,
  LEVEL,
  msiRoute,
  pinRoute,
  setup,
} from './core-fixtures.js';

const GSI = 10;

/** A resampling irqfd on GSI 10 whose resamplefd logs `name` into the fixture log. */
function resampling(f: Fixture, name: string, gsi = GSI): { e: EventFd; r: EventFd; irqfd: Irqfd } {
  const e = new EventFd();
  const r = new EventFd();
  r.listen(() => f.log.push(name));
  const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi, resamplefd: r });
  return { e, r, irqfd };
}

function levelSetup(): Fixture {
  const f = setup();
  f.vm.setGsiRouting([pinRoute(GSI, LEVEL, 10), pinRoute(11, LEVEL, 11)]);
  return f;
}

describe('CORE §6.1 purpose and preconditions', () => {
  it('CORE-6.1: on an MSI-only GSI a resampling irqfd is accepted, takes the fast path, holds nothing and is never resampled', () => {
    const f = setup();
    f.vm.setGsiRouting([msiRoute(40, 0x41), pinRoute(10, LEVEL, 10)]);
    const rec = f.vm.trace.record();
    const { e, r } = resampling(f, 'R', 40);
    rec.stop();
    expect(rec.events.some((ev) => ev.type === 'diagnostic' && ev.code === 'CORE-6.1')).toBe(true);
    e.signal();
    expect(f.msi.atomic.map((m) => m.data)).toEqual([0x41]);
    expect(f.sched.size).toBe(0);
    for (let pin = 0; pin < 24; pin++) {
      expect(f.vm.lineSources(LEVEL, pin)).toEqual([]);
      expect(f.vm.hasAckNotifier(LEVEL, pin)).toBe(false);
      expect(f.vm.hasAckNotifier(EDGE, pin)).toBe(false);
    }
    f.vm.setIrq(USERSPACE_SOURCE_ID, 10, true);
    f.level.eoi(10);
    expect(r.count).toBe(0);
  });

  it('CORE-6.2 (generic mechanism: checkIrqfd(resample = true) refuses; x86 split/no irqchip lives in the x86 package)', () => {
    const f = setup({
      arch: {
        checkIrqfd: (resample) => {
          if (resample) throw new IrqError('EINVAL', 'split irqchip');
        },
      },
    });
    f.vm.setGsiRouting([pinRoute(GSI, LEVEL, 10)]);
    const e = new EventFd();
    expectIrqError(
      () => f.vm.irqfds.assign({ eventfd: e, gsi: GSI, resamplefd: new EventFd() }),
      'EINVAL',
    );
    expect(f.vm.irqfds.resampler(GSI)).toBeUndefined();
    expect(f.vm.hasAckNotifier(LEVEL, 10)).toBe(false);
    expect(f.vm.irqfds.assign({ eventfd: e, gsi: GSI }).resample).toBe(false);
  });
});

describe('CORE §6.2 the per-GSI resampler', () => {
  it('CORE-6.3: one resampler per GSI holding its irqfds and one ack notifier; created on first assign', () => {
    const f = levelSetup();
    const a = resampling(f, 'R1');
    const b = resampling(f, 'R2');
    const c = resampling(f, 'R3', 11);
    expect(f.log.filter((l) => l === 'arch.ackListUpdate')).toHaveLength(2); // GSI 10 and 11
    expect(f.vm.irqfds.resampler(GSI)?.list).toEqual([a.irqfd, b.irqfd]);
    expect(f.vm.irqfds.resampler(11)?.list).toEqual([c.irqfd]);
    const acks = f.vm.counters.get('ackNotifications');
    a.e.signal();
    b.e.signal();
    f.sched.run();
    f.log.length = 0;
    f.level.eoi(10);
    expect(f.vm.counters.get('ackNotifications')).toBe(acks + 1);
    expect(f.log.filter((l) => l === 'chip1.set(10,0)')).toHaveLength(1);
    expect(f.log.filter((l) => l === 'R1' || l === 'R2')).toEqual(['R1', 'R2']);
  });

  it('CORE-6.3: the first interrupt an irqfd can inject is already covered by the notifier', () => {
    const f = levelSetup();
    const e = new EventFd();
    e.signal(); // pending before assign
    const r = new EventFd();
    f.vm.irqfds.assign({ eventfd: e, gsi: GSI, resamplefd: r });
    f.sched.run();
    expect(f.level.deliveries[10]).toBe(1);
    f.level.eoi(10);
    expect(r.count).toBe(1);
  });
});

describe('CORE §6.3 assert', () => {
  it('CORE-6.4: the inject task asserts RESAMPLER and never de-asserts; members share the bit', () => {
    const f = levelSetup();
    const a = resampling(f, 'R1');
    const b = resampling(f, 'R2');
    f.vm.setIrq(USERSPACE_SOURCE_ID, GSI, true);
    f.vm.setIrq(USERSPACE_SOURCE_ID, GSI, false);
    f.level.eoi(10);
    f.level.calls.length = 0;
    a.e.signal();
    b.e.signal();
    f.sched.run();
    expect(f.level.calls.map((c) => c.level)).toEqual([true, true]);
    expect(f.vm.lineSources(LEVEL, 10)).toEqual([RESAMPLER_SOURCE_ID]);
    expect(f.level.deliveries[10]).toBe(2); // the second signal is blocked by remote IRR
  });
});

describe('CORE §6.4 acknowledge', () => {
  it('CORE-6.5: on ack, one de-assert, then every resamplefd in list order', () => {
    const f = levelSetup();
    const a = resampling(f, 'R1');
    resampling(f, 'R2');
    resampling(f, 'R3');
    a.e.signal();
    f.sched.run();
    f.log.length = 0;
    f.level.eoi(10);
    expect(f.log).toEqual(['chip1.eoi(10)', 'chip1.set(10,0)', 'R1', 'R2', 'R3']);
    expect(f.vm.counters.get('resamplefdSignals')).toBe(3);
  });

  it('CORE-6.6: a member that re-asserts synchronously from its resamplefd keeps its assertion', () => {
    const f = levelSetup();
    const a = resampling(f, 'R1');
    resampling(f, 'R2'); // a second member: one de-assert per member would erase R1's re-assertion
    let stillNeedsService = true;
    a.r.listen(() => {
      if (stillNeedsService) f.vm.setIrq(RESAMPLER_SOURCE_ID, GSI, true);
    });
    a.e.signal();
    f.sched.run();
    expect(f.level.deliveries[10]).toBe(1);
    f.level.eoi(10);
    // the re-assertion landed after the de-assert and was latched behind remote IRR
    expect(f.vm.lineSources(LEVEL, 10)).toEqual([RESAMPLER_SOURCE_ID]);
    expect(f.level.lastLevel(10)).toBe(true);
    expect(f.level.deliveries[10]).toBe(2); // re-delivered exactly once after the EOI
    stillNeedsService = false;
    f.level.eoi(10);
    expect(f.vm.lineSources(LEVEL, 10)).toEqual([]);
    expect(f.level.deliveries[10]).toBe(2);
  });

  it('CORE-6.6: the same holds when the device re-signals its eventfd from the resamplefd (immediate scheduler)', () => {
    const f = setup({ immediate: true });
    f.vm.setGsiRouting([pinRoute(GSI, LEVEL, 10)]);
    const e = new EventFd();
    const r = new EventFd();
    let wants = 2;
    r.listen(() => {
      if (--wants > 0) e.signal();
    });
    f.vm.irqfds.assign({ eventfd: e, gsi: GSI, resamplefd: r });
    e.signal();
    f.level.eoi(10);
    expect(f.level.deliveries[10]).toBe(2);
    expect(f.vm.lineSources(LEVEL, 10)).toEqual([RESAMPLER_SOURCE_ID]);
    f.level.eoi(10);
    expect(f.level.deliveries[10]).toBe(2);
    expect(f.vm.lineSources(LEVEL, 10)).toEqual([]);
  });

  it('CORE-6.7: other sources on the pin are unaffected; the controller re-delivers while they hold it', () => {
    const f = levelSetup();
    const a = resampling(f, 'R1');
    f.vm.irqLine({ gsi: GSI, level: 1 });
    a.e.signal();
    f.sched.run();
    expect(f.level.deliveries[10]).toBe(1);
    f.level.eoi(10);
    expect(f.vm.lineSources(LEVEL, 10)).toEqual([USERSPACE_SOURCE_ID]);
    expect(f.level.deliveries[10]).toBe(2);
  });
});

describe('CORE §6.5 resample without acknowledgement', () => {
  it('CORE-6.8: notifyResampler signals every resamplefd without de-asserting and reports whether a resampler exists', () => {
    const f = levelSetup();
    const a = resampling(f, 'R1');
    const b = resampling(f, 'R2');
    a.e.signal();
    f.sched.run();
    const calls = f.level.calls.length;
    expect(f.vm.notifyResampler(LEVEL, 10)).toBe(true);
    expect(f.level.calls).toHaveLength(calls);
    expect(f.vm.lineSources(LEVEL, 10)).toEqual([RESAMPLER_SOURCE_ID]);
    expect([a.r.count, b.r.count]).toEqual([1, 1]);
    expect(f.vm.notifyResampler(LEVEL, 11)).toBe(false); // mapped, no resampler
    expect(f.vm.notifyResampler(LEVEL, 12)).toBe(false); // unmapped
  });

  it('CORE-6.8: a controller unmasking a latched pin drops the stale request and lets the device re-assert', () => {
    const f = levelSetup();
    const a = resampling(f, 'R1');
    f.level.mask(10);
    a.e.signal();
    f.sched.run();
    expect(f.level.deliveries[10]).toBe(0);
    f.level.unmask(10);
    expect(f.level.deliveries[10]).toBe(0);
    expect(a.r.count).toBe(1);
    expect(f.vm.lineSources(LEVEL, 10)).toEqual([RESAMPLER_SOURCE_ID]);
    a.e.signal();
    f.sched.run();
    expect(f.level.deliveries[10]).toBe(1);
  });
});
