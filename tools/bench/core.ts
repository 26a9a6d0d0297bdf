/**
 * Core plumbing benchmarks. The headline case is issue 2's: eventfd → irqfd → routing table →
 * reference controller, with the guest's take and EOI closing the cycle. The others isolate the
 * core's own work with a controller that only records the level.
 */

import { composeMsi, createReferenceMachine } from '@irqkit/conformance';
import { EventFd, Host, type IrqChip, USERSPACE_SOURCE_ID, Vm } from '@irqkit/core';
import type { Bench } from './harness.js';

function plumbing(): Vm {
  const chip: IrqChip = { id: 0, pins: 24, setLevel: () => 1 };
  const vm = new Vm({ host: new Host(), arch: { name: 'bench' } });
  vm.addChip(chip);
  vm.setGsiRouting(
    Array.from({ length: 24 }, (_, pin) => ({ gsi: pin, kind: 'irqchip' as const, chip: 0, pin })),
  );
  return vm;
}

/** One full cycle on the reference plugin: signal, deliver, take, EOI. */
function referenceCycle(route: 'pin' | 'msi'): () => void {
  const m = createReferenceMachine({ vcpus: 1 });
  const gsi = 5;
  if (route === 'pin') {
    m.guest.configure(gsi, { trigger: 'edge', target: 0, priority: 4 });
    m.guest.unmask(gsi);
  } else {
    m.vm.setGsiRouting([{ gsi, kind: 'msi', ...composeMsi(0, 0x41) }]);
  }
  const fd = new EventFd();
  m.vm.irqfds.assign({ eventfd: fd, gsi });
  const guest = m.guest;
  return () => {
    fd.signal();
    const t = guest.take(0);
    if (t === null) throw new Error('interrupt lost');
    guest.eoi(0, t);
  };
}

export const coreBenches: Bench[] = [
  {
    kind: 'cycles',
    group: 'core',
    name: 'eventfd → irqfd (deferred) → routing → reference pin → take → EOI',
    setup: () => referenceCycle('pin'),
  },
  {
    kind: 'cycles',
    group: 'core',
    name: 'eventfd → irqfd (fast path) → MSI route → reference vCPU → take → EOI',
    setup: () => referenceCycle('msi'),
  },
  {
    kind: 'cycles',
    group: 'core',
    name: 'setIrq assert + de-assert (pin, recording controller)',
    setup() {
      const vm = plumbing();
      return () => {
        vm.setIrq(USERSPACE_SOURCE_ID, 5, true);
        vm.setIrq(USERSPACE_SOURCE_ID, 5, false);
      };
    },
  },
  {
    kind: 'cycles',
    group: 'core',
    name: 'eventfd → irqfd → deferred task → pin pulse (recording controller)',
    setup() {
      const vm = plumbing();
      const fd = new EventFd();
      vm.irqfds.assign({ eventfd: fd, gsi: 5 });
      return () => fd.signal();
    },
  },
];
