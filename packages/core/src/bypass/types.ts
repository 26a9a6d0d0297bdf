/**
 * IRQ bypass — theory of operation (spec/core.md §7, after Linux `include/linux/irqbypass.h`).
 *
 * A *producer* is a host interrupt source (a VFIO MSI vector, a VFIO platform IRQ); a
 * *consumer* is a guest irqfd. Both register with a token — the {@link EventFd} object the
 * producer signals and the irqfd listens on. When both sides of a token are registered the
 * manager connects them (stop both, `addConsumer`, `addProducer`, start both), and the
 * consumer's arch hook may then set up delivery that skips the host handler → eventfd → irqfd
 * path (x86 posted interrupts, ARM forwarded IRQs and vLPIs, POWER real-mode passthrough).
 *
 * Not supported: 1:N pairings (one token pairs exactly one producer with one consumer);
 * calling back into the manager from a callback (refused with EBUSY).
 */

/** A host interrupt source that can be bypassed to a guest. */
export interface IrqBypassProducer {
  /** The token it is registered under; null when unregistered. Set by the manager. */
  token: object | null;
  /** The connected consumer, or null. Set by the manager. */
  consumer: IrqBypassConsumer | null;
  /** Host IRQ number, given at registration. Set by the manager. */
  irq: number;
  /** Optional: a consumer is being connected; return 0 or a negative errno. */
  addConsumer?(consumer: IrqBypassConsumer): number;
  /** Optional: the connected consumer is going away. */
  delConsumer?(consumer: IrqBypassConsumer): void;
  /** Optional: quiesce before a (dis)connect. */
  stop?(): void;
  /** Optional: resume after a (dis)connect. */
  start?(): void;
}

/** A guest-side user of a host interrupt (an irqfd). */
export interface IrqBypassConsumer {
  /** The token it is registered under; null when unregistered. Set by the manager. */
  token: object | null;
  /** The connected producer, or null. Set by the manager. */
  producer: IrqBypassProducer | null;
  /** Required: a producer is being connected; return 0 or a negative errno. */
  addProducer(producer: IrqBypassProducer): number;
  /** Required: the connected producer is going away. */
  delProducer(producer: IrqBypassProducer): void;
  /** Optional: quiesce before a (dis)connect. */
  stop?(): void;
  /** Optional: resume after a (dis)connect. */
  start?(): void;
}
