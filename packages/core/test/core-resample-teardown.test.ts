import { describe, expect, it } from 'vitest';
import { EventFd, type Irqfd, PciDevice, RESAMPLER_SOURCE_ID, VfioPciIntx } from '../src/index.js';
import { expectIrqError, type Fixture, LEVEL, pinRoute, setup } from './core-fixtures.js';

const GSI = 10;
const PIN = 10;

function resampling(f: Fixture, name: string): { e: EventFd; r: EventFd; irqfd: Irqfd } {
  const e = new EventFd();
  const r = new EventFd();
  r.listen(() => f.log.push(name));
  const irqfd = f.vm.irqfds.assign({ eventfd: e, gsi: GSI, resamplefd: r });
  return { e, r, irqfd };
}

/** GSI 10 → level pin 10; `n` resampling irqfds, the first one asserted and delivered. */
function asserted(n: number): { f: Fixture; fds: ReturnType<typeof resampling>[] } {
  const f = setup();
  f.vm.setGsiRouting([pinRoute(GSI, LEVEL, PIN), pinRoute(12, LEVEL, 12)]);
  const fds = Array.from({ length: n }, (_, i) => resampling(f, `R${i + 1}`));
  fds[0]!.e.signal();
  f.sched.run();
  expect(f.level.remoteIrr[PIN]).toBe(true);
  f.log.length = 0;
  return { f, fds };
}

describe('CORE §6.6 leaving and teardown', () => {
  it('CORE-6.9: a member that is not the last leaves without touching the line or the notifier', () => {
    const { f, fds } = asserted(2);
    f.vm.irqfds.deassign({ eventfd: fds[0]!.e, gsi: GSI });
    expect(f.log).toEqual([]);
    expect(f.vm.irqfds.resampler(GSI)?.list).toEqual([fds[1]!.irqfd]);
    expect(f.vm.hasAckNotifier(LEVEL, PIN)).toBe(true);
    expect(f.vm.lineSources(LEVEL, PIN)).toEqual([RESAMPLER_SOURCE_ID]);
  });

  it('CORE-6.9: the last one out removes the resampler, unregisters its notifier, and only then de-asserts', () => {
    const { f, fds } = asserted(1);
    const atDeassert: unknown[] = [];
    f.level.onSetLevel = (_pin, level) => {
      if (!level)
        atDeassert.push({
          notifier: f.vm.hasAckNotifier(LEVEL, PIN),
          resampler: f.vm.irqfds.resampler(GSI) !== undefined,
        });
    };
    f.vm.irqfds.deassign({ eventfd: fds[0]!.e, gsi: GSI });
    expect(f.log).toEqual(['arch.ackListUpdate', 'chip1.set(10,0)']);
    expect(atDeassert).toEqual([{ notifier: false, resampler: false }]);
    expect(f.vm.lineSources(LEVEL, PIN)).toEqual([]);
    // a new resampling irqfd on the GSI creates a fresh resampler
    const again = resampling(f, 'R9');
    expect(f.vm.irqfds.resampler(GSI)?.list).toEqual([again.irqfd]);
  });

  it('CORE-6.10: removing one of several changes no line state and notifies nobody; the rest get the next ack', () => {
    const { f, fds } = asserted(2);
    f.vm.irqfds.deassign({ eventfd: fds[0]!.e, gsi: GSI });
    expect(f.vm.lineSources(LEVEL, PIN)).toEqual([RESAMPLER_SOURCE_ID]);
    expect([fds[0]!.r.count, fds[1]!.r.count]).toEqual([0, 0]);
    f.level.eoi(PIN);
    expect(f.log).toEqual(['chip1.eoi(10)', 'chip1.set(10,0)', 'R2']);
  });

  it('CORE-6.10: removing the last one de-asserts without any resamplefd signal; the later EOI notifies nobody', () => {
    const { f, fds } = asserted(1);
    f.vm.irqfds.deassign({ eventfd: fds[0]!.e, gsi: GSI });
    expect(fds[0]!.r.count).toBe(0);
    expect(f.level.irr[PIN]).toBe(false);
    expect(f.level.remoteIrr[PIN]).toBe(true); // what the guest received stays in service
    f.level.eoi(PIN);
    expect(f.level.remoteIrr[PIN]).toBe(false);
    expect(fds[0]!.r.count).toBe(0);
    expect(f.level.deliveries[PIN]).toBe(1);
  });

  it('CORE-6.10: an irqfd that left is never signalled again, even by an acknowledgement racing its exit', () => {
    const { f, fds } = asserted(2);
    // the guest's EOI lands between "removed from the list" and the rest of E1's shutdown
    f.sched.checkpointHook = (point, subject) => {
      if (point === 'resampler-left' && subject === fds[0]!.irqfd) f.level.eoi(PIN);
    };
    f.vm.irqfds.deassign({ eventfd: fds[0]!.e, gsi: GSI });
    expect(fds[0]!.r.count).toBe(0);
    expect(fds[1]!.r.count).toBe(1);
  });

  it('CORE-6.10: a member deassigned from inside an acknowledgement walk is not signalled by that walk', () => {
    const { f, fds } = asserted(3);
    fds[0]!.r.listen(() => f.vm.irqfds.deassign({ eventfd: fds[1]!.e, gsi: GSI }));
    f.level.eoi(PIN);
    expect(f.log).toEqual(['chip1.eoi(10)', 'chip1.set(10,0)', 'R1', 'R3']);
    expect(fds[1]!.r.count).toBe(0);
  });
});

describe('CORE §6.7 the teardown / creation race', () => {
  it('CORE-6.11: an old irqfd torn down while a new one is created never clears the new assertion (either task order)', () => {
    for (const order of [
      ['shutdown', 'inject'],
      ['inject', 'shutdown'],
    ] as const) {
      const { f, fds } = asserted(1);
      const old = fds[0]!;
      old.e.close(); // shutdown queued, not run
      const fresh = resampling(f, 'R2');
      fresh.e.signal();
      const deasserts: number[] = [];
      f.level.onSetLevel = (pin, level) => {
        if (!level) deasserts.push(pin);
      };
      for (const step of order) {
        f.sched.runTask(step === 'shutdown' ? old.irqfd.shutdownTask : fresh.irqfd.injectTask);
      }
      expect(deasserts, order.join(',')).toEqual([]);
      expect(f.vm.lineSources(LEVEL, PIN)).toEqual([RESAMPLER_SOURCE_ID]);
      f.log.length = 0;
      f.level.eoi(PIN);
      expect(f.log).toEqual(['chip1.eoi(10)', 'chip1.set(10,0)', 'R2']);
    }
  });

  it('CORE-6.12 (not the model): resamplers do not get their own source ids; all share RESAMPLER, which cannot be freed', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(GSI, LEVEL, PIN), pinRoute(12, LEVEL, 12)]);
    const e10 = new EventFd();
    const e12 = new EventFd();
    f.vm.irqfds.assign({ eventfd: e10, gsi: GSI, resamplefd: new EventFd() });
    f.vm.irqfds.assign({ eventfd: e12, gsi: 12, resamplefd: new EventFd() });
    e10.signal();
    e12.signal();
    f.sched.run();
    expect(f.vm.lineSources(LEVEL, PIN)).toEqual([RESAMPLER_SOURCE_ID]);
    expect(f.vm.lineSources(LEVEL, 12)).toEqual([RESAMPLER_SOURCE_ID]);
    expect(f.vm.requestSourceId()).toBe(2); // nothing was allocated behind our back
    expectIrqError(() => f.vm.freeSourceId(RESAMPLER_SOURCE_ID), 'EINVAL');
  });

  it('CORE-6.13: in every interleaving of close / assign / signal / shutdown / inject / EOI / mask / unmask, an assertion made for the new irqfd is never removed without its resamplefd being signalled afterwards', () => {
    type Op =
      | 'close1'
      | 'assign2'
      | 'signal2'
      | 'shutdown1'
      | 'inject2'
      | 'eoi'
      | 'mask'
      | 'unmask';
    const ops: Op[] = [
      'close1',
      'assign2',
      'signal2',
      'shutdown1',
      'inject2',
      'eoi',
      'mask',
      'unmask',
    ];
    const needs: Partial<Record<Op, Op>> = {
      signal2: 'assign2',
      shutdown1: 'close1',
      inject2: 'signal2',
      unmask: 'mask',
    };
    let explored = 0;
    const permute = (done: Op[]): void => {
      if (done.length === ops.length) {
        explored++;
        runInterleaving(done);
        return;
      }
      for (const op of ops) {
        if (done.includes(op)) continue;
        const pre = needs[op];
        if (pre !== undefined && !done.includes(pre)) continue;
        permute([...done, op]);
      }
    };
    permute([]);
    expect(explored).toBe(1680); // 8! / (3! · 2 · 2) orders
  });
});

/**
 * Runs one interleaving from "E1 alone on GSI 10, asserted and delivered" and checks the
 * merged-design invariant, then drains everything and checks the end state.
 */
function runInterleaving(order: readonly string[]): void {
  const { f, fds } = asserted(1);
  const old = fds[0]!;
  let fresh: ReturnType<typeof resampling> | null = null;
  // owed = the new irqfd asserted and has not been told (via R2) since
  let owed = false;
  let lostAt: string | null = null;
  let hadBit = true;
  f.level.onSetLevel = () => {
    const has = f.vm.lineSources(LEVEL, PIN).includes(RESAMPLER_SOURCE_ID);
    if (hadBit && !has && owed) lostAt = 'clear';
    hadBit = has;
  };
  const step = (op: string): void => {
    switch (op) {
      case 'close1':
        old.e.close();
        break;
      case 'assign2':
        fresh = resampling(f, 'R2');
        fresh.r.listen(() => {
          owed = false;
          if (lostAt === 'clear') lostAt = null; // told after the clear: the protocol holds
        });
        break;
      case 'signal2':
        fresh!.e.signal();
        break;
      case 'shutdown1':
        f.sched.runTask(old.irqfd.shutdownTask);
        f.log.push('shutdown1-done');
        break;
      case 'inject2':
        if (f.sched.runTask(fresh!.irqfd.injectTask)) owed = true;
        break;
      case 'eoi':
        f.level.eoi(PIN);
        break;
      case 'mask':
        f.level.mask(PIN);
        break;
      case 'unmask':
        f.level.unmask(PIN); // a latched request goes to the resampler (CORE-6.8)
        break;
    }
  };
  for (const op of order) step(op);
  f.sched.run();
  f.level.eoi(PIN); // the guest eventually completes whatever it received
  expect(lostAt, order.join(' → ')).toBeNull();
  // old gone; the new irqfd is the resampler's only member
  expect(f.vm.irqfds.resampler(GSI)?.list, order.join(' → ')).toEqual([fresh!.irqfd]);
  expect(old.irqfd.shutDown).toBe(true);
  // R1 is never signalled once its shutdown completed
  expect(f.log.slice(f.log.indexOf('shutdown1-done'))).not.toContain('R1');
}

describe('CORE §6.8 what callers must do', () => {
  it('CORE-6.14: not enforced by the core — after re-plumbing, only the caller’s unmask makes a still-asserting device fire on the new GSI', () => {
    const f = setup({ immediate: true });
    f.vm.setGsiRouting([pinRoute(GSI, LEVEL, PIN), pinRoute(12, LEVEL, 12)]);
    const device = new PciDevice('nic', f.host.irqs.createLine(), true);
    const e = new EventFd();
    const r = new EventFd();
    const intx = new VfioPciIntx(f.host, device, { trigger: e, unmask: r });
    f.vm.irqfds.assign({ eventfd: e, gsi: GSI, resamplefd: r });
    device.assert(); // VFIO masks the device and signals the irqfd
    expect(f.level.deliveries[PIN]).toBe(1);
    expect(intx.masked).toBe(true);
    // the VMM moves the line: the last member leaves while asserted → no resamplefd signal
    intx.mask();
    f.vm.irqfds.deassign({ eventfd: e, gsi: GSI });
    f.vm.irqfds.assign({ eventfd: e, gsi: 12, resamplefd: r });
    expect(r.count + f.level.deliveries[12]!).toBe(0);
    expect(intx.masked).toBe(true); // nobody else will unmask it
    intx.unmask(); // the caller's last step: the device still wants service and re-fires
    expect(f.vm.lineSources(LEVEL, 12)).toEqual([RESAMPLER_SOURCE_ID]);
    expect(f.level.deliveries[12]).toBe(1);
  });

  it('CORE-6.15: a route change strands the assertion on the old pin, whose EOIs no longer reach the resampler', () => {
    const f = setup();
    f.vm.setGsiRouting([pinRoute(GSI, LEVEL, PIN)]);
    const { e, r } = resampling(f, 'R');
    e.signal();
    f.sched.run();
    f.vm.setGsiRouting([pinRoute(GSI, LEVEL, 12)]);
    expect(f.vm.gsiFor(LEVEL, PIN)).toBe(-1);
    for (let i = 0; i < 3; i++) f.level.eoi(PIN);
    expect(r.count).toBe(0);
    expect(f.vm.lineSources(LEVEL, PIN)).toEqual([RESAMPLER_SOURCE_ID]);
    expect(f.level.deliveries[PIN]).toBe(4); // re-delivered after every EOI: a storm
    expect(f.vm.lineSources(LEVEL, 12)).toEqual([]);
    // only masking stops it (RESAMPLER cannot be freed)
    f.level.mask(PIN);
    f.level.eoi(PIN);
    expect(f.level.deliveries[PIN]).toBe(4);
    expectIrqError(() => f.vm.freeSourceId(RESAMPLER_SOURCE_ID), 'EINVAL');
  });
});
