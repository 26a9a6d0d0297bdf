/**
 * Core plumbing benchmarks: the cost of eventfd → irqfd → routing table → controller, with a
 * controller that only records the level, so the figures isolate the core's own work.
 */
import { EventFd, Host, type IrqChip, USERSPACE_SOURCE_ID, Vm } from '@irqkit/core';
import type { Bench } from './harness.js';

function plumbing(): { vm: Vm; chip: IrqChip & { count: number } } {
  const chip = {
    id: 0,
    pins: 24,
    count: 0,
    setLevel(_pin: number, level: boolean): number {
      if (level) this.count++;
      return 1;
    },
  };
  const vm = new Vm({ host: new Host(), arch: { name: 'bench' } });
  vm.addChip(chip);
  vm.setGsiRouting(
    Array.from({ length: 24 }, (_, pin) => ({ gsi: pin, kind: 'irqchip' as const, chip: 0, pin })),
  );
  return { vm, chip };
}

export const coreBenches: Bench[] = [
  {
    kind: 'cycles',
    group: 'core plumbing',
    name: 'setIrq assert + de-assert (pin, USERSPACE source)',
    setup() {
      const { vm } = plumbing();
      return () => {
        vm.setIrq(USERSPACE_SOURCE_ID, 5, true);
        vm.setIrq(USERSPACE_SOURCE_ID, 5, false);
      };
    },
  },
  {
    kind: 'cycles',
    group: 'core plumbing',
    name: 'eventfd signal → irqfd → deferred inject task → pin pulse',
    setup() {
      const { vm } = plumbing();
      const fd = new EventFd();
      vm.irqfds.assign({ eventfd: fd, gsi: 5 });
      return () => fd.signal();
    },
  },
];
