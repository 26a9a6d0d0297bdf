import {
  type Delivery,
  IGNORED,
  type IrqArch,
  type IrqChip,
  IrqError,
  type Irqfd,
  type MsiRoutingEntry,
  MsiVector,
  VfioPlatformIrq,
} from '@irqkit/core';
import { IRQCHIP_NUM_PINS } from './constants.js';
import { deliverMsi, deliverMsiInatomic } from './its/translate.js';
import { setForwarding, unsetForwarding } from './v4/forwarding.js';
import type { SpiForwarding } from './vgic/forward.js';
import { injectIrq } from './vgic/queue.js';
import { haltAll, resumeAll } from './vgic/run.js';
import type { Vgic } from './vgic/vgic.js';

/**
 * The VGIC as the routing table's irqchip 0 (ARM-1.3, 4.2): pin p drives SPI 32 + p with
 * source OR-ing done by the core. A pin without an SPI behind it counts a delivery error.
 */
export function createIrqchip(gic: Vgic): IrqChip {
  let deliveryErrors = -1;
  return {
    id: 0,
    pins: IRQCHIP_NUM_PINS,
    setLevel(pin: number, level: boolean): Delivery {
      if (gic.initialized !== true) {
        if (gic.v3) return countError(level);
        gic.init(); // GICv2: KVM initialises lazily on first injection
      }
      const irq = gic.spis[pin];
      if (irq === undefined) return countError(level);
      return injectIrq(gic, irq, level, null);
    },
  };
  // Counted once per injection: a de-assert is not an injection (CORE-0.2).
  function countError(level: boolean): Delivery {
    if (!level) return IGNORED;
    if (deliveryErrors < 0) deliveryErrors = gic.vm.counters.id('deliveryErrors');
    gic.vm.counters.add(deliveryErrors);
    return IGNORED;
  }
}

/**
 * The ARM hooks into the core (arm.md §4, §6.4): irqfds need an initialised VGIC (EAGAIN),
 * irqchip entries name chip 0 and a pin below 988, MSIs go through the ITS, bypass pairing
 * maps vLPIs (GICv4), VFIO platform SPIs forward at pairing only with `forwardSpis`, and the
 * core's forwarding hooks map physical lines to SPIs.
 */
export function createArmArch(gic: Vgic, fwd: SpiForwarding): IrqArch {
  return {
    name: 'arm',
    checkIrqLine(): void {
      // The in-kernel GIC always exists on this machine.
    },
    checkIrqfd(): void {
      if (!gic.initialized) throw new IrqError('EAGAIN', 'irqfds need an initialised VGIC');
    },
    validateIrqchipEntry(e): void {
      if (e.chip !== 0) throw new IrqError('EINVAL', `irqchip ${e.chip} does not exist (only 0)`);
      if (e.pin >= IRQCHIP_NUM_PINS) {
        throw new IrqError('EINVAL', `pin ${e.pin} is not below ${IRQCHIP_NUM_PINS}`);
      }
    },
    msi: {
      deliverMsi: (msg) => deliverMsi(gic, msg),
      deliverMsiInatomic: (msg) => deliverMsiInatomic(gic, msg),
    },
    bypass: {
      // A VFIO platform producer forwards by itself (pairing 'forward', with forwardSpis) or
      // not at all (KVM): nothing to do here. MSI vectors become vLPIs (ARM-6.3).
      addProducer(irqfd: Irqfd, producer): number {
        if (producer instanceof MsiVector && irqfd.route?.entry.kind === 'msi') {
          setForwarding(gic, producer.irq, irqfd.route.entry as MsiRoutingEntry);
        }
        return 0;
      },
      delProducer(_irqfd: Irqfd, producer): void {
        if (!(producer instanceof VfioPlatformIrq)) unsetForwarding(gic, producer.irq);
      },
      // ARM-6.4: any route change un-forwards; the new route waits for a reconnect.
      updateRouting(irqfd: Irqfd): void {
        const producer = irqfd.producer;
        if (producer instanceof VfioPlatformIrq) fwd.routeChanged(producer);
        else if (producer !== null) unsetForwarding(gic, producer.irq);
      },
      stop: () => haltAll(gic),
      start: () => resumeAll(gic),
    },
    forwarding: {
      forward: (line, gsi) => fwd.hookForward(line, gsi),
      unforward: (line, gsi) => fwd.hookUnforward(line, gsi),
      pairing: gic.config.forwardSpis ? 'forward' : 'arch',
    },
  };
}
