import { describe, expect, it } from 'vitest';
import { EventFd, type EventFdWake } from '../src/index.js';
import { EDGE, expectIrqError, msiRoute, pinRoute, setup } from './core-fixtures.js';

describe('CORE §0.3 EventFd', () => {
  it('CORE-0.7: a 64-bit counter — signal(n) adds n and wakes listeners synchronously with "readable"', () => {
    const e = new EventFd();
    const seen: Array<[number, EventFdWake]> = [];
    e.listen((fd, why) => seen.push([fd.count, why]));
    e.signal();
    e.signal(4);
    expect(seen).toEqual([
      [1, 'readable'],
      [5, 'readable'],
    ]);
    expect(e.read()).toBe(5);
    expect(e.count).toBe(0);
    expect(e.read()).toBe(0);
    expectIrqError(() => e.signal(0), 'EINVAL');
    expectIrqError(() => e.signal(1.5), 'EINVAL');
    expect(e.count).toBe(0);
  });

  it('CORE-0.7: close() wakes waiters with "hang-up", kernel-side holders can still signal', () => {
    const e = new EventFd();
    const seen: EventFdWake[] = [];
    e.listen((_fd, why) => seen.push(why));
    e.close();
    e.close(); // idempotent
    expect(seen).toEqual(['hangup']);
    expect(e.closed).toBe(true);
    e.signal();
    expect(e.count).toBe(1);
  });

  it('CORE-0.7: the semaphore flag changes only what one read consumes', () => {
    const e = new EventFd({ semaphore: true, initial: 3 });
    expect(e.read()).toBe(1);
    expect(e.count).toBe(2);
    e.signal(2);
    expect(e.count).toBe(4);
  });

  it('CORE-0.7: an irqfd is the priority exclusive waiter — it runs first and pollers are not woken', () => {
    const f = setup();
    f.vm.setGsiRouting([msiRoute(40, 0x41), pinRoute(4, EDGE, 4)]);
    const e = new EventFd();
    const order: string[] = [];
    e.listen(() => order.push('poller'));
    f.log.length = 0;
    f.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    expect(e.hasPriorityWaiter).toBe(true);
    e.signal();
    expect(f.msi.atomic).toHaveLength(1);
    expect(order).toEqual([]); // consumed by the irqfd
    // without the irqfd the poller is woken again
    f.vm.irqfds.deassign({ eventfd: e, gsi: 40 });
    e.signal();
    expect(order).toEqual(['poller']);
  });

  it('CORE-0.7: hang-up reaches the irqfd first and ordinary listeners too', () => {
    const f = setup();
    const e = new EventFd();
    const order: string[] = [];
    e.listen((_fd, why) => order.push(`poller:${why}:${f.sched.size}`));
    f.vm.irqfds.assign({ eventfd: e, gsi: 4 });
    e.close();
    // the irqfd queued its shutdown before the poller saw the hang-up
    expect(order).toEqual(['poller:hangup:1']);
  });

  it('CORE-0.7: at most one priority exclusive waiter can be attached', () => {
    const e = new EventFd();
    const w = { wake: () => true };
    e.attachPriorityWaiter(w);
    expectIrqError(() => e.attachPriorityWaiter({ wake: () => true }), 'EBUSY');
    e.signal(2);
    // detaching consumes the counter, like eventfd_ctx_remove_wait_queue
    expect(e.detachPriorityWaiter(w)).toBe(2);
    expect(e.count).toBe(0);
    expect(e.hasPriorityWaiter).toBe(false);
  });

  it('CORE-0.7: a priority waiter that does not consume the event lets ordinary listeners run', () => {
    const e = new EventFd();
    const order: string[] = [];
    e.attachPriorityWaiter({
      wake: () => {
        order.push('priority');
        return false;
      },
    });
    e.listen(() => order.push('poller'));
    e.signal();
    expect(order).toEqual(['priority', 'poller']);
  });
});
