import type { Lapic } from '../lapic/lapic.js';

/**
 * RTC EOI tracking (`struct rtc_status`, X86-2.16): which vCPUs received the RTC pin's vector
 * through a `lineStatus` delivery and have not EOI'd it yet. While any have not, a further
 * `lineStatus` assertion of pin 8 reports coalesced (0), so userspace RTC models can count
 * lost ticks.
 */
export class RtcStatus {
  /** vCPUs that received the RTC vector and have not EOI'd it. */
  pendingEoi = 0;
  /** Per vCPU: 1 while it owes an EOI. */
  readonly destMap: Uint8Array;
  /** Per vCPU: the vector it received. */
  readonly vectors: Uint8Array;

  /** @param vcpus - number of vCPUs. */
  constructor(vcpus: number) {
    this.destMap = new Uint8Array(vcpus);
    this.vectors = new Uint8Array(vcpus);
  }

  /** `__apic_accept_irq` with a dest map: vCPU `vcpu` accepted `vector`. */
  record(vcpu: number, vector: number): void {
    this.destMap[vcpu] = 1;
    this.vectors[vcpu] = vector;
  }

  /** `rtc_irq_eoi_tracking_reset`. */
  reset(): void {
    this.pendingEoi = 0;
    this.destMap.fill(0);
  }

  /** `rtc_irq_eoi`: vCPU `vcpu` EOI'd `vector`. */
  eoi(vcpu: number, vector: number): void {
    if (this.destMap[vcpu] !== 1 || this.vectors[vcpu] !== vector) return;
    this.destMap[vcpu] = 0;
    this.pendingEoi--;
  }

  /**
   * `kvm_rtc_eoi_tracking_restore_all`: rebuilds the tracking from the LAPICs (after a state
   * restore): every vCPU the RTC entry addresses that has its vector pending in IRR or ISR.
   */
  restoreAll(lapics: readonly Lapic[], vector: number, matches: (lapic: Lapic) => boolean): void {
    this.reset();
    for (let i = 0; i < lapics.length; i++) {
      const l = lapics[i]!;
      if (!matches(l) || !l.pendingEoi(vector)) continue;
      this.destMap[i] = 1;
      this.vectors[i] = vector;
      this.pendingEoi++;
    }
  }
}
