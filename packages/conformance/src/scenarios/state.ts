import assert from 'node:assert/strict';
import type { Machine, MachineSnapshot } from '@irqkit/core';
import type { Scenario } from './types.js';

/** The continuation both machines run after the snapshot; returns what the guest observed. */
function continueRun(m: Machine, lines: readonly number[], settle: () => void): unknown[] {
  const seen: unknown[] = [];
  const takeEoi = (): void => {
    settle();
    const t = m.guest.take(0);
    seen.push(t);
    if (t !== null) m.guest.eoi(0, t);
  };
  takeEoi();
  takeEoi();
  seen.push(m.vm.irqLine({ gsi: lines[1]!, level: 0 }, { withStatus: true }).status);
  takeEoi();
  seen.push(m.vm.irqLine({ gsi: lines[2]!, level: 1 }, { withStatus: true }).status);
  seen.push(m.vm.irqLine({ gsi: lines[2]!, level: 0 }, { withStatus: true }).status);
  takeEoi();
  takeEoi();
  return seen;
}

/** Save/restore. */
export const stateScenarios: readonly Scenario[] = [
  {
    id: 'CONF-08',
    title: 'save → restore mid-flight: the restored machine behaves identically from then on',
    rules: ['CORE-1.11', 'CORE-3.1'],
    skip: (caps) => (caps.saveRestore ? null : 'no save/restore'),
    run(ctx) {
      const a = ctx.machine;
      const lines = [ctx.line(0), ctx.line(1), ctx.line(2)];
      a.guest.configure(lines[0]!, { trigger: 'edge', target: 0, priority: 4 });
      a.guest.configure(lines[1]!, { trigger: 'level', target: 0, priority: 6 });
      a.guest.configure(lines[2]!, { trigger: 'edge', target: 0, priority: 8 });
      for (const g of lines) a.guest.unmask(g);
      a.vm.irqLine({ gsi: lines[1]!, level: 1 }); // level held high
      a.vm.irqLine({ gsi: lines[0]!, level: 1 }); // an edge pending
      a.vm.irqLine({ gsi: lines[0]!, level: 0 });
      ctx.settle();
      const inService = a.guest.take(0); // one in service, mid-flight
      assert.notEqual(inService, null);
      const snapshot = JSON.parse(JSON.stringify(a.save())) as MachineSnapshot; // plain data
      const b = ctx.fresh();
      b.machine.restore(snapshot);
      const seenA = continueRun(a, lines, () => ctx.settle());
      const seenB = continueRun(b.machine, lines, () => b.scheduler.run());
      assert.deepEqual(seenB, seenA);
      assert.ok(
        seenA.some((t) => t !== null),
        'the continuation observed interrupts',
      );
    },
  },
];
