import type { VgicIrq } from '../gic/irq.js';

/**
 * A GICv4 virtual PE (arm.md ARM-6.2): one per vCPU. Direct vLPIs (and GICv4.1 vSGIs) become
 * pending in its virtual pending table without the hypervisor; the virtual CPU interface
 * presents them only while the vPE is resident. A non-resident vPE whose vCPU blocked in WFI
 * has a doorbell requested.
 */
export class Vpe {
  /** Loaded on a physical CPU (the vCPU is in the guest or in the host between exits). */
  resident = false;
  /** The doorbell fires on the next vLPI while non-resident (requested at put in WFI). */
  doorbellRequested = false;
  /** Set by the doorbell handler; the vCPU counts as having a pending interrupt. */
  pendingLast = false;
  /** vLPIs mapped to this vPE. */
  vlpiCount = 0;
  /**
   * The virtual pending table's set bits, as the interrupts themselves (their `vptPending`
   * flag is the bit): small, so the virtual CPU interface scans it without allocating.
   */
  readonly pending: VgicIrq[] = [];

  /** @param id - vCPU index. */
  constructor(readonly id: number) {}

  /**
   * Sets `irq`'s VPT bit.
   * @returns true if it was clear.
   */
  setPending(irq: VgicIrq): boolean {
    if (irq.vptPending) return false;
    irq.vptPending = true;
    this.pending.push(irq);
    return true;
  }

  /**
   * Clears `irq`'s VPT bit.
   * @returns true if it was set.
   */
  clearPending(irq: VgicIrq): boolean {
    if (!irq.vptPending) return false;
    irq.vptPending = false;
    const list = this.pending;
    const i = list.indexOf(irq);
    if (i >= 0) {
      for (let j = i; j < list.length - 1; j++) list[j] = list[j + 1]!;
      list.length--;
    }
    return true;
  }
}
