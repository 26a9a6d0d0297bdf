import { HostIrqLine, IrqError, type Irqfd, VfioPlatformIrq } from '@irqkit/core';
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
 * forward/unforward API, the core's forwarding hooks, and — with `forwardSpis` — automatic
 * forwarding when a VFIO platform producer pairs with an irqfd, retried after the next ack of
 * the pin when the physical IRQ was busy (ARM-6.4 model extension).
 */
export class SpiForwarding {
  private readonly retries = new Map<number, { producer: VfioPlatformIrq; irqfd: Irqfd }>();

  /** @param gic - the VGIC. */
  constructor(private readonly gic: Vgic) {
    gic.afterAck = (pin) => this.retry(pin);
  }

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
   * ARM-3.20 with every vCPU halted: if the interrupt is active (virtually or physically) and
   * the GSI has a resampling irqfd, VFIO masks it so the resampler unmasks it on the guest's
   * EOI; then unmap. The core deactivates the physical line afterwards.
   */
  hookUnforward(line: HostIrqLine, gsi: number): void {
    const gic = this.gic;
    const irq = gic.spis.find((s) => s.hwLine === line);
    if (irq === undefined) return;
    haltAll(gic);
    try {
      const owner = line.owner;
      if ((irq.active || line.active) && gic.vm.irqfds.resampler(gsi) !== undefined) {
        if (owner instanceof VfioPlatformIrq) owner.mask();
      }
      unmapPhysIrq(gic, irq.targetVcpu ?? gic.vcpus[0]!, irq.intid);
    } finally {
      resumeAll(gic);
    }
    if (gic.trace.enabled)
      gic.trace.emit({ type: 'arm.forward', op: 'unforward', hostIrq: line.irq, intid: irq.intid });
  }

  /** Bypass pairing of a VFIO platform producer (ARM-6.4 extension). */
  pair(irqfd: Irqfd, producer: VfioPlatformIrq): void {
    if (!this.gic.config.forwardSpis || irqfd.route?.entry.kind !== 'irqchip') return;
    try {
      producer.forward(this.gic.vm, irqfd.gsi);
    } catch (e) {
      // Busy now: stay in software mode and retry after the next ack of this pin.
      if (e instanceof IrqError && e.code === 'EAGAIN') {
        const pin = (irqfd.route.entry as unknown as { pin: number }).pin;
        this.retries.set(pin, { producer, irqfd });
      }
    }
  }

  /** Bypass unpairing. */
  unpair(producer: VfioPlatformIrq): void {
    for (const [pin, r] of this.retries) if (r.producer === producer) this.retries.delete(pin);
    if (producer.forwarded) producer.unforward();
  }

  private retry(pin: number): void {
    const r = this.retries.get(pin);
    if (r === undefined) return;
    try {
      r.producer.forward(this.gic.vm, r.irqfd.gsi);
      this.retries.delete(pin);
    } catch {
      // still busy: try again at the next ack
    }
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
