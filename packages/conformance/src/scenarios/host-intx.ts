import assert from 'node:assert/strict';
import { EventFd, PciDevice, VfioPciIntx } from '@irqkit/core';
import type { Scenario, ScenarioContext } from './types.js';

/** A VFIO PCI device whose INTx reaches the guest through a resampling irqfd. */
function intxThroughResampler(ctx: ScenarioContext, pci23: boolean) {
  const { machine } = ctx;
  const g = ctx.line(0);
  machine.guest.configure(g, { trigger: 'level', target: 0, priority: 4 });
  machine.guest.unmask(g);
  const trigger = new EventFd();
  const resample = new EventFd();
  const line = machine.host.irqs.createLine();
  const dev = new PciDevice('nic', line, pci23);
  const intx = new VfioPciIntx(machine.host, dev, { trigger, unmask: resample });
  machine.vm.irqfds.assign({ eventfd: trigger, gsi: g, resamplefd: resample });
  return { dev, intx, line };
}

const needsResample = (caps: { resample: boolean }): string | null =>
  caps.resample ? null : 'no resampling irqfds';

/** spec/host.md §2 with a real guest on the other end of the resamplefd. */
export const intxScenarios: readonly Scenario[] = [
  {
    id: 'HOST-S3',
    title:
      'PCI 2.3 INTx: masked on fire, unmasked by the guest EOI, re-sent at once while still asserting',
    rules: ['HOST-2.3', 'HOST-2.5', 'CORE-6.5'],
    skip: needsResample,
    run(ctx) {
      const { guest } = ctx.machine;
      const { dev, intx } = intxThroughResampler(ctx, true);
      dev.assert();
      assert.equal(intx.triggers, 1);
      assert.ok(intx.masked && dev.disIntx, 'the handler masked the device with DisINTx');
      ctx.settle();
      const t = guest.take(0);
      assert.notEqual(t, null);
      guest.eoi(0, t!);
      ctx.settle();
      assert.equal(intx.triggers, 2, 'still asserting: VFIO signals again without a new line edge');
      assert.ok(intx.masked, 'and stays masked');
      const again = guest.take(0);
      assert.equal(again, t, 'the guest sees the interrupt again');
      dev.deassert();
      guest.eoi(0, again!);
      ctx.settle();
      assert.ok(!intx.masked && !dev.disIntx, 'serviced: unmasked');
      assert.equal(intx.triggers, 2);
    },
  },
  {
    id: 'HOST-S4',
    title: 'PCI 2.3 INTx: a device that de-asserted before the EOI is unmasked with no new trigger',
    rules: ['HOST-2.5'],
    skip: needsResample,
    run(ctx) {
      const { guest } = ctx.machine;
      const { dev, intx } = intxThroughResampler(ctx, true);
      dev.assert();
      ctx.settle();
      const t = guest.take(0);
      assert.notEqual(t, null);
      dev.deassert();
      guest.eoi(0, t!);
      ctx.settle();
      assert.equal(intx.triggers, 1);
      assert.equal(intx.masked, false);
      assert.deepEqual(ctx.drain(0), []);
    },
  },
  {
    id: 'HOST-S5',
    title: 'INTx without 2.3 masking disables the exclusive line; the guest EOI re-enables it',
    rules: ['HOST-2.2', 'HOST-2.4', 'HOST-2.5'],
    skip: needsResample,
    run(ctx) {
      const { guest } = ctx.machine;
      const { dev, line } = intxThroughResampler(ctx, false);
      dev.assert();
      assert.equal(line.depth, 1, 'the whole line is disabled');
      ctx.settle();
      const t = guest.take(0);
      assert.notEqual(t, null);
      dev.deassert();
      guest.eoi(0, t!);
      ctx.settle();
      assert.equal(line.depth, 0, 're-enabled by the resamplefd');
    },
  },
];
