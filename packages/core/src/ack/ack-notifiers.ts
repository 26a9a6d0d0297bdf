/**
 * Ack notifiers (spec/core.md §4): controllers announce a guest acknowledgement of a pin;
 * the core maps it to a GSI through the *current* reverse map and calls every notifier
 * registered on that GSI. The irqfd resampler is the main listener.
 */

/** A listener for guest acknowledgements of one GSI. */
export interface AckNotifier {
  /** The GSI it listens on. */
  readonly gsi: number;
  /** Called synchronously when the guest acknowledges an interrupt of that GSI. */
  onAck(): void;
}

/**
 * The VM's notifier list, newest first (CORE-4.1). The list is copy-on-write: a notification
 * walks the list as it was when it started, which is how a single-threaded model honours
 * KVM's RCU read sections (a notifier removed during a walk is either seen or not, never torn).
 */
export class AckNotifierList {
  private list: readonly AckNotifier[] = [];

  /** Adds `n` at the head. */
  add(n: AckNotifier): void {
    this.list = [n, ...this.list];
  }

  /**
   * Removes `n`.
   * @returns true if it was registered.
   */
  remove(n: AckNotifier): boolean {
    const before = this.list.length;
    this.list = this.list.filter((x) => x !== n);
    return this.list.length !== before;
  }

  /** True if some notifier listens on `gsi` (CORE-4.4). */
  has(gsi: number): boolean {
    const l = this.list;
    for (let i = 0; i < l.length; i++) if (l[i]!.gsi === gsi) return true;
    return false;
  }

  /** Number of registered notifiers. */
  get size(): number {
    return this.list.length;
  }

  /**
   * Calls every notifier on `gsi`, in list order (CORE-4.2).
   * @returns how many were called.
   */
  notify(gsi: number): number {
    const l = this.list;
    let called = 0;
    for (let i = 0; i < l.length; i++) {
      const n = l[i]!;
      if (n.gsi === gsi) {
        called++;
        n.onAck();
      }
    }
    return called;
  }
}
