import type { HostIrqLine } from '@irqkit/core';
import type { Vpe } from '../v4/vpe.js';
import type { VgicCpu } from '../vgic/vcpu.js';

/** Trigger of a virtual interrupt. */
export type IrqConfig = 'edge' | 'level';

/** How a forwarded interrupt reads its physical input (ARM-3.14 `ops`). */
export interface PhysIrqOps {
  /** Reads the device's input level; default: the physical pending state. */
  readonly getInputLevel?: (vintid: number) => boolean;
  /** The host cannot deactivate through the LR: present it as a software level IRQ. */
  readonly swResample?: boolean;
}

/**
 * One virtual interrupt, KVM's `struct vgic_irq` (arm.md §1.2): SGIs and PPIs exist once per
 * vCPU, SPIs once per VM, LPIs while an ITS entry maps them.
 */
export class VgicIrq {
  /** Level-sensitive (true) or edge (false); SGIs and LPIs are always edge. */
  isLevel: boolean;
  /** Level IRQs: the input wire (the core ORs the sources). */
  lineLevel = false;
  /** Software / edge pending latch. */
  pendingLatch = false;
  /** Acknowledged and not yet deactivated. */
  active = false;
  /** GICD_ISENABLER / LPI configuration enable bit. */
  enabled = false;
  /** 8-bit priority, top five bits kept (ARM-2.9). */
  priority = 0;
  /** Interrupt group, 0 or 1. */
  group = 0;
  /** GICv2 GICD_ITARGETSR byte. */
  targets = 0;
  /** GICv3 GICD_IROUTER affinity, Aff2.Aff1.Aff0. */
  mpidr = 0;
  /** Who should receive it (from targets / IROUTER / ITS collection). */
  targetVcpu: VgicCpu | null = null;
  /** Whose ap_list it is on. */
  vcpu: VgicCpu | null = null;
  /** Hardware-mapped (forwarded SPI/PPI, vLPI or vSGI). */
  hw = false;
  /** Host IRQ number when `hw`. */
  hostIrq = -1;
  /** Physical INTID when `hw` (forwarded lines). */
  hwintid = 0;
  /** The physical line of a forwarded SPI/PPI. */
  hwLine: HostIrqLine | null = null;
  /** `ops.getInputLevel` of a mapped IRQ. */
  getInputLevel: ((vintid: number) => boolean) | null = null;
  /** `ops.swResample` of a mapped IRQ. */
  swResample = false;
  /** GICv2 SGIs: bitmap of source vCPUs with a pending instance. */
  source = 0;
  /** GICv2 SGIs: source of the active instance. */
  activeSource = 0;
  /** In-kernel owner (timer, PMU); null = userspace. */
  owner: object | null = null;
  /** Presented in a list register at the current guest entry (KVM `on_lr`). */
  inLr = false;
  /** LPIs: ITEs referring to it. */
  refs = 0;
  /** vLPI / vSGI: the vPE whose virtual pending table holds it. */
  vpe: Vpe | null = null;
  /** vLPI / vSGI: pending in the vPE's hardware (VPT bit). */
  vptPending = false;

  /**
   * @param intid - guest-visible INTID.
   * @param level - level-sensitive at reset.
   */
  constructor(
    readonly intid: number,
    level: boolean,
  ) {
    this.isLevel = level;
  }

  /** The trigger as the spec spells it. */
  get config(): IrqConfig {
    return this.isLevel ? 'level' : 'edge';
  }

  /** ARM-1.6: edge → latch; level → latch or wire. */
  get pending(): boolean {
    return this.isLevel ? this.pendingLatch || this.lineLevel : this.pendingLatch;
  }
}

/** Fills unused slots of interrupt arrays that are never shrunk (no reallocation per cycle). */
export const NO_IRQ: VgicIrq = new VgicIrq(-1, false);

/** ARM-1.6 as a function, for hot paths. */
export function isPending(irq: VgicIrq): boolean {
  // `=== true`: a bare truth test of a boolean field is a full ToBoolean in V8 (see oracle).
  return irq.pendingLatch === true || (irq.isLevel === true && irq.lineLevel === true);
}
