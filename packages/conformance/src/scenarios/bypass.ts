import assert from 'node:assert/strict';
import { EventFd, type MachineCapabilities, VfioMsiDevice } from '@irqkit/core';
import type { Scenario, ScenarioContext } from './types.js';

const needsPosting = (caps: MachineCapabilities): string | null =>
  caps.msi && caps.msiBypass === 'post' ? null : 'no posted MSI bypass';

function irqfdPathCount(ctx: ScenarioContext): number {
  const c = ctx.machine.counters;
  return c.get('fastPathInjections') + c.get('deferredInjections');
}

/** A device MSI-X vector routed to the guest as an MSI on line(3)'s GSI. */
function msiVector(ctx: ScenarioContext) {
  const { machine } = ctx;
  const g = ctx.line(3);
  machine.guest.configureMsi?.(g, { target: 0, priority: 6 });
  const dev = new VfioMsiDevice(machine.host, { type: 'msix', vectors: 1 });
  return { g, dev };
}

/** IRQ bypass: producer/consumer pairing through the core manager (spec/core.md §7, host §3). */
export const bypassScenarios: readonly Scenario[] = [
  {
    id: 'CONF-07',
    title:
      'pairing a device MSI with its irqfd moves delivery off the irqfd path; unpairing moves it back',
    rules: ['CORE-7.4', 'CORE-7.9', 'HOST-3.2', 'CORE-5.13'],
    skip: needsPosting,
    run(ctx) {
      const { machine } = ctx;
      const { g, dev } = msiVector(ctx);
      const fd = new EventFd();
      dev.setTrigger(0, fd);
      machine.vm.irqfds.assign({ eventfd: fd, gsi: g });
      assert.equal(machine.host.counters.get('bypassConnects'), 1, 'the manager paired them');
      const before = irqfdPathCount(ctx);
      dev.fire(0);
      assert.equal(fd.count, 0, 'the eventfd was never signalled');
      assert.equal(ctx.scheduler.size, 0, 'no deferred work');
      assert.equal(ctx.drain(0).length, 1, 'the guest got the interrupt');
      assert.equal(irqfdPathCount(ctx), before, 'the irqfd did not inject it');
      machine.vm.irqfds.deassign({ eventfd: fd, gsi: g });
      dev.fire(0);
      assert.equal(fd.count, 1, 'unpaired: the host handler signals the eventfd');
      assert.deepEqual(ctx.drain(0), [], 'and with no irqfd nothing reaches the guest');
    },
  },
  {
    id: 'HOST-S10',
    title:
      'replacing a vector’s eventfd while paired disconnects the old producer first; nothing lost or doubled',
    rules: ['HOST-3.2', 'CORE-7.3', 'CORE-7.5'],
    skip: needsPosting,
    run(ctx) {
      const { machine } = ctx;
      const { g, dev } = msiVector(ctx);
      const first = new EventFd();
      dev.setTrigger(0, first);
      machine.vm.irqfds.assign({ eventfd: first, gsi: g });
      dev.fire(0);
      assert.equal(ctx.drain(0).length, 1);
      const second = new EventFd();
      machine.vm.irqfds.assign({ eventfd: second, gsi: g });
      dev.setTrigger(0, second);
      const hc = machine.host.counters;
      assert.equal(hc.get('bypassDisconnects'), 1, 'the old pairing was torn down');
      assert.equal(hc.get('bypassConnects'), 2, 'the new eventfd paired with its irqfd');
      dev.fire(0);
      assert.equal(ctx.drain(0).length, 1, 'exactly one interrupt after the switch');
      assert.equal(
        first.count + second.count,
        0,
        'delivered by posting, not through either eventfd',
      );
    },
  },
];
