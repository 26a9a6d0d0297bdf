import { NO_IRQ, type VgicIrq } from '../gic/irq.js';

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
   * flag is the bit): entries `0 .. pendingCount − 1`, scanned by the virtual CPU interface.
   * Never shrunk, so posting does not allocate.
   */
  readonly pending: VgicIrq[] = [];
  /** Number of set VPT bits. */
  pendingCount = 0;

  /** @param id - vCPU index. */
  constructor(readonly id: number) {}

  /**
   * Sets `irq`'s VPT bit.
   * @returns true if it was clear.
   */
  setPending(irq: VgicIrq): boolean {
    if (irq.vptPending) return false;
    irq.vptPending = true;
    if (this.pendingCount < this.pending.length) this.pending[this.pendingCount] = irq;
    else this.pending.push(irq);
    this.pendingCount++;
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
    const n = this.pendingCount;
    for (let i = 0; i < n; i++) {
      if (list[i] !== irq) continue;
      for (let j = i; j < n - 1; j++) list[j] = list[j + 1]!;
      list[n - 1] = NO_IRQ;
      this.pendingCount = n - 1;
      break;
    }
    return true;
  }

  /** A copy of the set VPT bits, in arrival order. */
  pendingEntries(): VgicIrq[] {
    return this.pending.slice(0, this.pendingCount);
  }

  /** Clears the VPT. */
  reset(): void {
    for (let i = 0; i < this.pendingCount; i++) {
      this.pending[i]!.vptPending = false;
      this.pending[i] = NO_IRQ;
    }
    this.pendingCount = 0;
  }
}
