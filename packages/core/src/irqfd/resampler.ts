import type { AckNotifier } from '../ack/ack-notifiers.js';
import type { Vm } from '../machine/vm.js';
import { RESAMPLER_SOURCE_ID } from '../routing/source-ids.js';
import type { Irqfd } from './irqfd.js';

/**
 * The per-GSI resampler shared by every resampling irqfd on that GSI (CORE-6.3). It is the
 * GSI's ack notifier: on acknowledgement it de-asserts the shared RESAMPLER source once and
 * then signals every member's resamplefd (CORE-6.5) — de-assert first, so a member that
 * re-asserts from inside the notification keeps its new assertion (CORE-6.6).
 */
export class Resampler implements AckNotifier {
  /** Members, copy-on-write so an acknowledgement walks a stable list. */
  private members: readonly Irqfd[] = [];

  /**
   * @param vm - its VM.
   * @param gsi - the GSI it serves.
   */
  constructor(
    private readonly vm: Vm,
    readonly gsi: number,
  ) {}

  /** The member irqfds, in join order. */
  get list(): readonly Irqfd[] {
    return this.members;
  }

  /** Adds `irqfd` at the end of the list. */
  join(irqfd: Irqfd): void {
    this.members = [...this.members, irqfd];
    irqfd.resampler = this;
  }

  /**
   * Removes `irqfd`.
   * @returns true if the list is now empty.
   */
  leave(irqfd: Irqfd): boolean {
    this.members = this.members.filter((m) => m !== irqfd);
    irqfd.resampler = null;
    return this.members.length === 0;
  }

  /** CORE-6.5: one de-assert, then signal every member's resamplefd in list order. */
  onAck(): void {
    this.vm.setIrq(RESAMPLER_SOURCE_ID, this.gsi, false);
    this.signalAll();
  }

  /**
   * Signals every member's resamplefd without de-asserting (CORE-6.8, and step 2 of 6.5).
   * A member that left while this walk was in progress is skipped (CORE-6.10).
   */
  signalAll(): void {
    const list = this.members;
    for (let i = 0; i < list.length; i++) {
      const irqfd = list[i]!;
      if (irqfd.resampler !== this || irqfd.resamplefd === null) continue;
      this.vm.countResample(this.gsi);
      irqfd.resamplefd.signal(1);
    }
  }
}
