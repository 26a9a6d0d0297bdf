import assert from 'node:assert/strict';
import { EventFd, IrqError, PciDevice, VfioPciIntx, VfioPlatformIrq } from '@irqkit/core';
import type { Scenario, ScenarioContext } from './types.js';

const needsForwarding = (caps: { forwarding: boolean; resample: boolean }): string | null =>
  caps.forwarding && caps.resample ? null : 'no host IRQ forwarding';

/**
 * A VFIO platform level IRQ wired to a resampling irqfd. With `relay`, the VMM copies VFIO's
 * trigger to the irqfd's own eventfd (no shared token, so no automatic pairing); without it,
 * both use one eventfd and the bypass manager pairs them (HOST-4.4).
 */
function platformIrq(ctx: ScenarioContext, relay: boolean, onTrigger?: () => void) {
  const { machine } = ctx;
  const g = ctx.line(0);
  machine.guest.configure(g, { trigger: 'level', target: 0, priority: 4 });
  machine.guest.unmask(g);
  const hostTrigger = new EventFd();
  const guestTrigger = relay ? new EventFd() : hostTrigger;
  const resample = new EventFd();
  if (relay) {
    hostTrigger.listen((fd, why) => {
      if (why !== 'readable') return;
      fd.read();
      onTrigger?.();
      guestTrigger.signal();
    });
  }
  const line = machine.host.irqs.createLine();
  const device = {};
  const irq = new VfioPlatformIrq(machine.host, line, { trigger: hostTrigger, unmask: resample });
  machine.vm.irqfds.assign({ eventfd: guestTrigger, gsi: g, resamplefd: resample });
  return { g, line, irq, guestTrigger, set: (level: boolean) => line.setOutput(device, level) };
}

/** Forwarded (hardware-mapped) host interrupts, seeds 001/002/004, spec/host.md §2.7 and §4. */
export const forwardingScenarios: readonly Scenario[] = [
  {
    id: 'HOST-S6',
    title:
      'direct-EOI INTx on an exclusive line: no mask, the line stays active until the guest completes',
    rules: ['HOST-2.7', 'HOST-4.2'],
    skip: needsForwarding,
    run(ctx) {
      const { machine } = ctx;
      const g = ctx.line(0);
      machine.guest.configure(g, { trigger: 'level', target: 0, priority: 4 });
      machine.guest.unmask(g);
      const trigger = new EventFd();
      const line = machine.host.irqs.createLine();
      const dev = new PciDevice('accel', line, false);
      const intx = new VfioPciIntx(machine.host, dev, { trigger, directEoi: true });
      assert.ok(intx.directEoi);
      machine.vm.irqfds.assign({ eventfd: trigger, gsi: g });
      intx.forward(machine.vm, g);
      dev.assert();
      assert.equal(intx.triggers, 1);
      assert.equal(intx.masked, false, 'the device is not masked');
      assert.ok(line.active, 'the physical interrupt stays active');
      ctx.settle();
      const t = machine.guest.take(0);
      assert.notEqual(t, null);
      dev.deassert();
      machine.guest.eoi(0, t!);
      ctx.settle();
      assert.equal(line.active, false, 'the guest’s completion deactivated the physical interrupt');
    },
  },
  {
    id: 'HOST-S11',
    title:
      'forwarding is refused with EAGAIN while the physical IRQ is active; after the guest completes it succeeds',
    rules: ['HOST-4.3'],
    skip: needsForwarding,
    run(ctx) {
      const { machine } = ctx;
      let refused: unknown = null;
      const p = platformIrq(ctx, true, () => {
        try {
          p.irq.forward(machine.vm, p.g); // inside the host handler: the IRQ is active
        } catch (e) {
          refused = e;
        }
      });
      p.set(true);
      assert.ok(refused instanceof IrqError && refused.code === 'EAGAIN', 'EAGAIN while active');
      assert.equal(p.irq.forwarded, false);
      ctx.settle();
      const t = machine.guest.take(0);
      assert.notEqual(t, null);
      p.set(false);
      machine.guest.eoi(0, t!);
      ctx.settle();
      assert.equal(p.irq.masked, false, 'the guest completed it and VFIO unmasked');
      p.irq.forward(machine.vm, p.g);
      assert.ok(p.irq.forwarded);
    },
  },
  {
    id: 'HOST-S12',
    title:
      'unforwarding while active with the device still asserting interrupts again through the normal path',
    rules: ['HOST-4.3', 'HOST-4.1'],
    skip: needsForwarding,
    run(ctx) {
      const { machine } = ctx;
      const p = platformIrq(ctx, true);
      p.irq.forward(machine.vm, p.g);
      p.set(true);
      assert.ok(p.line.active && !p.irq.masked, 'forwarded: signalled, not masked, active');
      ctx.settle();
      const t = machine.guest.take(0);
      assert.notEqual(t, null);
      p.irq.unforward();
      assert.equal(
        p.irq.triggers,
        2,
        'deactivated on unforward, the still-asserted line fired again',
      );
      assert.ok(p.irq.masked, 'now through the masking handler');
      machine.guest.eoi(0, t!);
      ctx.settle();
      assert.equal(machine.guest.take(0), t, 'the guest sees the interrupt again: nothing lost');
      p.set(false);
      machine.guest.eoi(0, t!);
      ctx.settle();
      assert.deepEqual(ctx.drain(0), []);
    },
  },
  {
    id: 'HOST-S13',
    title:
      'pairing producer and irqfd forwards automatically; no resample round trips while forwarded',
    rules: ['HOST-4.4', 'HOST-4.2', 'CORE-7.8'],
    skip: needsForwarding,
    run(ctx) {
      const { machine } = ctx;
      const p = platformIrq(ctx, false);
      assert.ok(p.irq.forwarded, 'registering both sides of the eventfd forwarded the IRQ');
      const before = machine.counters.snapshot();
      for (let i = 0; i < 3; i++) {
        p.set(true);
        ctx.settle();
        const t = machine.guest.take(0);
        assert.notEqual(t, null, `interrupt ${i} delivered`);
        p.set(false);
        machine.guest.eoi(0, t!);
        ctx.settle();
        assert.equal(p.line.active, false, 'the guest deactivated the physical IRQ');
      }
      const d = machine.counters.delta(before);
      assert.equal(d.resamplefdSignals ?? 0, 0, 'no resample round trips while forwarded');
      assert.equal(p.irq.masked, false, 'VFIO never masked it');
      machine.vm.irqfds.deassign({ eventfd: p.guestTrigger, gsi: p.g });
      assert.equal(p.irq.forwarded, false, 'removing the irqfd unforwarded');
    },
  },
];
