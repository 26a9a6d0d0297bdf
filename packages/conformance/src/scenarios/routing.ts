import assert from 'node:assert/strict';
import {
  EventFd,
  MAX_ROUTES,
  type Machine,
  type RoutingEntryBase,
  RoutingTable,
} from '@irqkit/core';
import type { Scenario } from './types.js';

type PinEntry = RoutingEntryBase & { chip: number; pin: number };

function hasTable(m: Machine): string | null {
  return m.vm.router instanceof RoutingTable ? null : 'no GSI routing table (fixed GSI map)';
}

function pinEntries(m: Machine, gsi: number): PinEntry[] {
  return m.vm.entriesFor(gsi).filter((e): e is PinEntry => e.kind === 'irqchip');
}

/**
 * Two line GSIs, each routed to exactly one pin (so `configure` programs that pin), whose pins
 * sit on different controllers — if the machine has them.
 */
function linesOnTwoChips(m: Machine): [number, PinEntry, number, PinEntry] | null {
  const single = m.capabilities.lineGsis.flatMap((g) => {
    const es = pinEntries(m, g);
    return es.length === 1 ? [[g, es[0]!] as const] : [];
  });
  for (const [a, ea] of single) {
    const other = single.find(([, eb]) => eb.chip !== ea.chip);
    if (other !== undefined) return [a, ea, other[0], other[1]];
  }
  return null;
}

/** Routing-table behaviour seen through the guest. */
export const routingScenarios: readonly Scenario[] = [
  {
    id: 'CONF-05',
    title: 'replacing the routing table redirects an irqfd that stays bound',
    rules: ['CORE-1.8', 'CORE-1.10', 'CORE-5.14'],
    skip: (_caps, m) => hasTable(m),
    run(ctx) {
      const { guest, vm } = ctx.machine;
      const a = ctx.line(0);
      const b = ctx.line(1);
      guest.configure(a, { trigger: 'edge', target: 0, priority: 4 });
      guest.configure(b, { trigger: 'edge', target: 0, priority: 6 });
      guest.unmask(a);
      guest.unmask(b);
      const fd = new EventFd();
      vm.irqfds.assign({ eventfd: fd, gsi: a });
      fd.signal();
      const [tokenA] = ctx.drain(0);
      assert.notEqual(tokenA, undefined, 'delivered through the original route');
      // Route GSI a to b's input as well (the combination rule is per GSI).
      const moved = vm.entriesFor(b).map((e) => ({ ...e, gsi: a }));
      vm.setGsiRouting([...vm.router.entries().filter((e) => e.gsi !== a), ...moved]);
      fd.signal();
      const after = ctx.drain(0);
      assert.equal(after.length, 1, 'one interrupt after the table was replaced');
      assert.notEqual(after[0], tokenA, 'it arrives on the new route');
      fd.signal();
      vm.irqLine({ gsi: b, level: 1 });
      vm.irqLine({ gsi: b, level: 0 });
      assert.ok(
        ctx.drain(0).every((t) => t === after[0]),
        'both GSIs now reach the same input',
      );
    },
  },
  {
    id: 'CONF-06',
    title: 'a GSI with entries on two controllers fans out to both',
    rules: ['CORE-1.5', 'CORE-2.1', 'CORE-2.2'],
    vcpus: 2,
    skip: (caps, m) =>
      hasTable(m) ??
      (caps.maxVcpus < 2
        ? 'needs 2 vCPUs'
        : linesOnTwoChips(m) === null
          ? 'no lines on two controllers'
          : null),
    run(ctx) {
      const m = ctx.machine;
      const found = linesOnTwoChips(m);
      assert.ok(found !== null);
      const [a, ea, b, eb] = found;
      m.guest.configure(a, { trigger: 'edge', target: 0, priority: 4 });
      m.guest.configure(b, { trigger: 'edge', target: 1, priority: 5 });
      m.guest.unmask(a);
      m.guest.unmask(b);
      const used = new Set(m.vm.router.entries().map((e) => e.gsi));
      let x = 0;
      while (used.has(x) && x < MAX_ROUTES) x++;
      m.vm.setGsiRouting([...m.vm.router.entries(), { ...ea, gsi: x }, { ...eb, gsi: x }]);
      const { status } = m.vm.irqLine({ gsi: x, level: 1 }, { withStatus: true });
      m.vm.irqLine({ gsi: x, level: 0 });
      assert.equal(status, 2, 'both controllers delivered, one vCPU each');
      assert.equal(ctx.drain(0).length, 1, 'vCPU 0 got the first controller’s interrupt');
      assert.equal(ctx.drain(1).length, 1, 'vCPU 1 got the second controller’s interrupt');
    },
  },
];
