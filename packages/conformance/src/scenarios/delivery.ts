import assert from 'node:assert/strict';
import { EventFd } from '@irqkit/core';
import type { Scenario } from './types.js';

/**
 * A device model for level scenarios: while it "wants service" it re-signals its trigger
 * whenever the resamplefd tells it the guest acknowledged (what VFIO's unmask does).
 */
export function levelDevice(
  trigger: EventFd,
  resamplefd: EventFd,
): { wants: boolean; resamples: number } {
  const dev = { wants: false, resamples: 0 };
  resamplefd.listen((fd, why) => {
    if (why !== 'readable') return;
    fd.read();
    dev.resamples++;
    if (dev.wants) trigger.signal();
  });
  return dev;
}

/** Delivery through irqfds: the basic cycles every plugin must get right. */
export const deliveryScenarios: readonly Scenario[] = [
  {
    id: 'CONF-01',
    title: 'edge interrupt through an irqfd is delivered exactly once',
    rules: ['CORE-5.7', 'CORE-5.9', 'CORE-0.4'],
    run(ctx) {
      const { guest, vm } = ctx.machine;
      const g = ctx.line(0);
      guest.configure(g, { trigger: 'edge', target: 0, priority: 4 });
      guest.unmask(g);
      const fd = new EventFd();
      vm.irqfds.assign({ eventfd: fd, gsi: g });
      fd.signal(3); // one wake-up, counter drained: one injection
      assert.equal(fd.count, 0, 'the irqfd consumed the eventfd counter');
      const tokens = ctx.drain(0);
      assert.equal(tokens.length, 1, `expected one interrupt, got ${tokens.length}`);
      assert.deepEqual(ctx.drain(0), [], 'nothing more after the EOI');
    },
  },
  {
    id: 'CONF-02',
    title:
      'level interrupt through a resamplefd: assert, take, EOI, resample, re-assert while the device wants service',
    rules: ['CORE-6.4', 'CORE-6.5', 'CORE-6.6', 'CORE-4.2'],
    skip: (caps) => (caps.resample ? null : 'no resampling irqfds'),
    run(ctx) {
      const { guest, vm } = ctx.machine;
      const g = ctx.line(0);
      guest.configure(g, { trigger: 'level', target: 0, priority: 4 });
      guest.unmask(g);
      const trigger = new EventFd();
      const resample = new EventFd();
      vm.irqfds.assign({ eventfd: trigger, gsi: g, resamplefd: resample });
      const dev = levelDevice(trigger, resample);
      dev.wants = true;
      trigger.signal();
      ctx.settle();
      const first = guest.take(0);
      assert.notEqual(first, null, 'the asserted line is delivered');
      assert.equal(guest.take(0), null, 'one interrupt while in service');
      guest.eoi(0, first!);
      ctx.settle();
      assert.equal(dev.resamples, 1, 'the EOI signals the resamplefd once');
      const again = guest.take(0);
      assert.equal(again, first, 'the device still wants service: the line is delivered again');
      dev.wants = false;
      guest.eoi(0, again!);
      ctx.settle();
      assert.equal(dev.resamples, 2);
      assert.equal(guest.take(0), null, 'serviced: nothing more');
    },
  },
  {
    id: 'CONF-03',
    title:
      'an edge raised while masked follows the declared rule (latched: delivered once on unmask; lost: dropped), and the next edge is delivered',
    rules: ['CORE-2.1', 'CORE-5.9', 'X86-2.11'],
    run(ctx) {
      const { guest, vm, capabilities } = ctx.machine;
      const g = ctx.line(0);
      guest.configure(g, { trigger: 'edge', target: 0, priority: 4 });
      guest.mask(g);
      const fd = new EventFd();
      vm.irqfds.assign({ eventfd: fd, gsi: g });
      fd.signal();
      ctx.settle();
      assert.equal(guest.take(0), null, 'masked: nothing deliverable');
      guest.unmask(g);
      ctx.settle();
      const expected = (capabilities.maskedEdge ?? 'latched') === 'latched' ? 1 : 0;
      assert.equal(
        ctx.drain(0).length,
        expected,
        `masked edge declared '${capabilities.maskedEdge ?? 'latched'}'`,
      );
      fd.signal();
      assert.equal(ctx.drain(0).length, 1, 'an edge raised after unmask is delivered');
    },
  },
  {
    id: 'CONF-04',
    title:
      'triggers while an edge interrupt is pending coalesce (delivered at least once, fewer times than raised)',
    rules: ['CORE-0.1', 'CORE-0.4'],
    run(ctx) {
      const { guest, vm } = ctx.machine;
      const g = ctx.line(0);
      guest.configure(g, { trigger: 'edge', target: 0, priority: 4 });
      guest.unmask(g);
      const fd = new EventFd();
      vm.irqfds.assign({ eventfd: fd, gsi: g });
      for (let i = 0; i < 3; i++) {
        fd.signal();
        ctx.settle();
      }
      const taken = ctx.drain(0).length;
      assert.ok(taken >= 1, 'delivered');
      // x86, ARM and the reference plugin latch one bit; XICS queues one more occurrence (P/Q).
      assert.ok(taken < 3, `three triggers while pending were not coalesced (${taken} deliveries)`);
    },
  },
];
