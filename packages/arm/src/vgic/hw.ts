import { HostIrqLine, IrqError } from '@irqkit/core';
import type { PhysIrqOps, VgicIrq } from '../gic/irq.js';
import type { VgicCpu } from './vcpu.js';
import type { Vgic } from './vgic.js';

/** The physical input of a forwarded IRQ (`vgic_get_phys_line_level`). */
export function physLineLevel(irq: VgicIrq): boolean {
  if (irq.getInputLevel !== null) return irq.getInputLevel(irq.intid);
  return irq.hwLine?.level ?? false;
}

/** `vgic_irq_set_phys_active`: sets or clears the physical active state. */
export function physSetActive(irq: VgicIrq, active: boolean): void {
  irq.hwLine?.setActiveState(active);
}

/**
 * ARM-3.14 `kvm_vgic_map_phys_irq`: ties vINTID `vintid` (SPI, or a PPI of `v`) to host line
 * `hostIrq`. Pending, active and enable state are untouched.
 * @throws IrqError EINVAL for an unknown host IRQ or INTID.
 */
export function mapPhysIrq(
  gic: Vgic,
  v: VgicCpu,
  hostIrq: number,
  vintid: number,
  ops: PhysIrqOps = {},
): void {
  const line = gic.host.irqs.get(hostIrq);
  if (!(line instanceof HostIrqLine)) {
    throw new IrqError('EINVAL', `host irq ${hostIrq} is not a known interrupt line`);
  }
  const irq = lineIrq(gic, v, vintid);
  irq.hw = true;
  irq.hostIrq = hostIrq;
  irq.hwintid = line.irq;
  irq.hwLine = line;
  irq.getInputLevel = ops.getInputLevel ?? null;
  irq.swResample = ops.swResample ?? false;
}

/**
 * ARM-3.14 `kvm_vgic_unmap_phys_irq`: back to a software IRQ; pending/active are kept.
 * @throws IrqError EAGAIN before the VGIC is initialised; EINVAL for a bad INTID.
 */
export function unmapPhysIrq(gic: Vgic, v: VgicCpu, vintid: number): void {
  if (!gic.initialized) throw new IrqError('EAGAIN', 'the VGIC is not initialised');
  const irq = lineIrq(gic, v, vintid);
  irq.hw = false;
  irq.hostIrq = -1;
  irq.hwintid = 0;
  irq.hwLine = null;
  irq.getInputLevel = null;
  irq.swResample = false;
}

function lineIrq(gic: Vgic, v: VgicCpu, vintid: number): VgicIrq {
  const irq =
    Number.isInteger(vintid) && vintid >= 16 && vintid < gic.nrIrqs
      ? gic.irq(v, vintid)
      : undefined;
  if (irq === undefined) {
    throw new IrqError('EINVAL', `vINTID ${String(vintid)} is not a PPI or an existing SPI`);
  }
  return irq;
}
