import type { Counters } from '../obs/counters.js';

/**
 * The host's `vfioMasks` / `vfioUnmasks` counters as VFIO's IRQ handlers bump them, once per
 * interrupt. The ids are resolved on first use, not at construction (a counter shows up in
 * snapshots only once it has counted), so an interrupt costs an array write, not a name lookup.
 */
export class VfioCounts {
  private maskId = -1;
  private unmaskId = -1;

  /** @param counters - the host's counters. */
  constructor(private readonly counters: Counters) {}

  /** One automask (the handler disabled the line or set DisINTx). */
  mask(): void {
    if (this.maskId < 0) this.maskId = this.counters.id('vfioMasks');
    this.counters.add(this.maskId);
  }

  /** One unmask (user ioctl or unmask eventfd). */
  unmask(): void {
    if (this.unmaskId < 0) this.unmaskId = this.counters.id('vfioUnmasks');
    this.counters.add(this.unmaskId);
  }
}
