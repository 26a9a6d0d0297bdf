import { HostIrqLine, IrqError, VfioPlatformIrq } from '@irqkit/core';
import { NR_PRIVATE_IRQS } from '../constants.js';
import type { VgicIrq } from '../gic/irq.js';
import { mapPhysIrq, unmapPhysIrq } from './hw.js';
import { haltAll, resumeAll } from './run.js';
import type { Vgic } from './vgic.js';

/** Argument of `forward` / `unforward` (seed 001's `{ fd, index, gsi }`, by host IRQ). */
export interface ForwardRequest {
  /** Host IRQ number of a VFIO-platform line, or the VFIO IRQ itself. */
  readonly hostIrq: number | VfioPlatformIrq;
  /** The guest GSI (an irqchip route to an SPI). */
  readonly gsi: number;
}

/**
 * Forwarding of physical level SPIs (arm.md §3.6, seeds 001 and 004): the explicit
 * forward/unforward API and the core's forwarding hooks. With `forwardSpis` (ARM-6.4 model
 * extension) the VFIO platform producer forwards when it pairs with an irqfd; a busy IRQ
 * (EAGAIN) stays on the resample path and the core retries when VFIO next unmasks it — right
 * after the ack notification of the pin, when the physical IRQ is known inactive.
 */
export class SpiForwarding {
  /** @param gic - the VGIC. */
  constructor(private readonly gic: Vgic) {}

  /** The SPI behind `gsi`: exactly one irqchip entry to an existing SPI (ARM-3.19). */
  spiForGsi(gsi: number): VgicIrq {
    const gic = this.gic;
    const entries = gic.vm.entriesFor(gsi);
    const e = entries[0] as { kind: string; chip?: number; pin?: number } | undefined;
    if (entries.length !== 1 || e === undefined || e.kind !== 'irqchip' || e.chip !== 0) {
      throw new IrqError('EINVAL', `gsi ${String(gsi)} does not route to exactly one SPI pin`);
    }
    const irq = gic.spis[e.pin!];
    if (irq === undefined)
      throw new IrqError('EINVAL', `gsi ${gsi}: SPI ${NR_PRIVATE_IRQS + e.pin!} does not exist`);
    return irq;
  }

  /**
   * ARM-3.19 `arm.forward`: checks, in order, VGIC ready (EAGAIN), the GSI (EINVAL), the host
   * IRQ (EINVAL unless a VFIO platform level line), then the VFIO side: the same pair again is
   * a no-op, another GSI EBUSY, active or masked EAGAIN.
   */
  forward(req: ForwardRequest): void {
    const gic = this.gic;
    if (!gic.initialized) throw new IrqError('EAGAIN', 'the VGIC is not initialised');
    this.spiForGsi(req.gsi);
    this.owner(req.hostIrq).forward(gic.vm, req.gsi);
  }

  /** ARM-3.20 `arm.unforward`: always allowed; a non-forwarded IRQ is a no-op. */
  unforward(req: ForwardRequest): void {
    const owner = this.owner(req.hostIrq);
    if (owner.forwarded) owner.unforward();
  }

  /** The core hook behind {@link VfioPlatformIrq.forward}: map the line to the SPI. */
  hookForward(line: HostIrqLine, gsi: number): void {
    const gic = this.gic;
    if (!gic.initialized) throw new IrqError('EAGAIN', 'the VGIC is not initialised');
    const irq = this.spiForGsi(gsi);
    if (irq.hwLine === line) return;
    if (irq.hw) throw new IrqError('EBUSY', `SPI ${irq.intid} is already mapped to a host IRQ`);
    // Allowed only while the physical IRQ is idle (checked by the VFIO side), so no list
    // register can hold a stale copy: no halt is needed.
    mapPhysIrq(gic, irq.targetVcpu ?? gic.vcpus[0]!, line.irq, irq.intid);
    if (gic.trace.enabled)
      gic.trace.emit({ type: 'arm.forward', op: 'forward', hostIrq: line.irq, intid: irq.intid });
  }

  /**
   * ARM-3.20 with every vCPU halted (LRs folded): unmap, so the next LR is a software one; the
   * core then deactivates the physical line and re-evaluates it (HOST-4.3): a still-asserted
   * device interrupts again through the VFIO masking handler, and the guest's EOI of the old
   * instance takes the maintenance + resample path that unmasks it. (ARM-3.20 as written masks
   * at VFIO level here instead; the conformance kit's HOST-S12 requires the re-evaluation —
   * both end automasked with nothing lost.)
   */
  hookUnforward(line: HostIrqLine, _gsi: number): void {
    const gic = this.gic;
    const irq = gic.spis.find((s) => s.hwLine === line);
    if (irq === undefined) return;
    haltAll(gic);
    try {
      unmapPhysIrq(gic, irq.targetVcpu ?? gic.vcpus[0]!, irq.intid);
    } finally {
      resumeAll(gic);
    }
    if (gic.trace.enabled)
      gic.trace.emit({ type: 'arm.forward', op: 'unforward', hostIrq: line.irq, intid: irq.intid });
  }

  /**
   * Bypass: the irqfd of a forwarded SPI got a new route (ARM-6.4): forwarding stops and the
   * new route is not forwarded until the producer pairs again.
   */
  routeChanged(producer: VfioPlatformIrq): void {
    if (producer.forwarded) producer.unforward();
  }

  private owner(hostIrq: number | VfioPlatformIrq): VfioPlatformIrq {
    if (hostIrq instanceof VfioPlatformIrq) return hostIrq;
    const line = this.gic.host.irqs.get(hostIrq);
    const owner = line instanceof HostIrqLine ? line.owner : null;
    if (!(owner instanceof VfioPlatformIrq)) {
      throw new IrqError('EINVAL', `host irq ${String(hostIrq)} is not a VFIO platform level IRQ`);
    }
    return owner;
  }
}
