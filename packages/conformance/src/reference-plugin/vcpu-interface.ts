import { Bitmap, COALESCED, type Counters, type Delivery, type VcpuRunState } from '@irqkit/core';

/** Vectors below this are reserved (exceptions), as on x86; delivering one is ignored. */
export const FIRST_VECTOR = 0x10;

/**
 * The reference plugin's per-vCPU interrupt interface: a 256-bit request register (IRR) and
 * in-service register (ISR); priority class = vector >> 4, higher wins, and an interrupt is
 * deliverable only if its class is above the highest in-service class (nesting).
 *
 * Where a delivery finds the vCPU decides its cost: in the guest it needs a kick (an exit),
 * blocked it needs a wakeup, in the host nothing (picked up at the next entry).
 */
export class RefVcpuInterface {
  /** Requested vectors. */
  readonly irr: Bitmap = new Bitmap(256);
  /** In-service vectors. */
  readonly isr: Bitmap = new Bitmap(256);
  /** Where the vCPU is. */
  state: VcpuRunState = 'guest';
  private readonly cKick: number;
  private readonly cWakeup: number;
  private readonly cPosted: number;
  private readonly cEoi: number;

  /**
   * @param index - vCPU index.
   * @param counters - this vCPU's counters.
   */
  constructor(
    readonly index: number,
    readonly counters: Counters,
  ) {
    this.cKick = counters.id('exits.kick');
    this.cWakeup = counters.id('wakeups');
    this.cPosted = counters.id('posted');
    this.cEoi = counters.id('exits.eoi');
  }

  /**
   * Requests `vector`.
   * @returns 1 if newly requested, 0 (coalesced) if it was already requested.
   */
  accept(vector: number): Delivery {
    if (!this.irr.set(vector)) return COALESCED;
    this.notify();
    return 1;
  }

  /** Requests `vector` through a posted (bypassed) path: no kick, just the request bit. */
  post(vector: number): Delivery {
    this.counters.add(this.cPosted);
    if (!this.irr.set(vector)) return COALESCED;
    if (this.state === 'blocked') this.wake();
    return 1;
  }

  /** The vector `take()` would return, or −1. */
  deliverable(): number {
    const v = this.irr.highest();
    if (v < 0) return -1;
    const inService = this.isr.highest();
    return inService >= 0 && v >> 4 <= inService >> 4 ? -1 : v;
  }

  /** Acknowledges the highest deliverable vector (IRR → ISR). @returns it, or −1 */
  take(): number {
    const v = this.deliverable();
    if (v < 0) return -1;
    this.irr.clear(v);
    this.isr.set(v);
    return v;
  }

  /**
   * Completes the highest in-service vector; the EOI write exits (no EOI virtualization here).
   * @returns it, or −1 if none
   */
  eoi(): number {
    const v = this.isr.highest();
    if (v < 0) return v;
    this.isr.clear(v);
    this.counters.add(this.cEoi);
    return v;
  }

  private notify(): void {
    if (this.state === 'guest') this.counters.add(this.cKick);
    else if (this.state === 'blocked') this.wake();
  }

  private wake(): void {
    this.counters.add(this.cWakeup);
    this.state = 'host';
  }
}
