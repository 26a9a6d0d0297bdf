/**
 * A virtual clock in nanoseconds for the model's few timed behaviours (the IOAPIC storm guard's
 * 10 ms delayed re-service, X86-2.13). Time only moves when {@link VirtualClock.advance} is
 * called; due timers then fire in deadline order.
 */
export class VirtualClock {
  private nowNs = 0;
  private timers: ClockTimer[] = [];

  /** Current virtual time in ns. */
  get now(): number {
    return this.nowNs;
  }

  /** Runs `fn` once `ns` nanoseconds from now. */
  after(ns: number, fn: () => void): ClockTimer {
    const t = new ClockTimer(this, this.nowNs + ns, fn);
    this.timers = [...this.timers, t].sort((a, b) => a.deadline - b.deadline);
    return t;
  }

  /**
   * Moves time forward by `ns` (≥ 0), firing every timer that falls due, in deadline order
   * (time reads as each timer's deadline while it runs).
   */
  advance(ns: number): void {
    const end = this.nowNs + ns;
    for (;;) {
      const t = this.timers[0];
      if (t === undefined || t.deadline > end) break;
      this.timers = this.timers.slice(1);
      this.nowNs = t.deadline;
      t.fire();
    }
    this.nowNs = end;
  }

  /** Pending timers, earliest first (a copy). */
  pending(): ClockTimer[] {
    return this.timers.slice();
  }

  /** @internal removes a cancelled timer. */
  remove(t: ClockTimer): void {
    this.timers = this.timers.filter((x) => x !== t);
  }
}

/** A pending one-shot timer of a {@link VirtualClock}. */
export class ClockTimer {
  private active = true;

  /**
   * @param clock - its clock.
   * @param deadline - when it fires (ns).
   * @param fn - what it does.
   */
  constructor(
    private readonly clock: VirtualClock,
    readonly deadline: number,
    private readonly fn: () => void,
  ) {}

  /** True until it fired or was cancelled. */
  get pending(): boolean {
    return this.active;
  }

  /** Nanoseconds until it fires. */
  get remaining(): number {
    return this.deadline - this.clock.now;
  }

  /** Cancels it. */
  cancel(): void {
    if (!this.active) return;
    this.active = false;
    this.clock.remove(this);
  }

  /** @internal called by the clock when due. */
  fire(): void {
    if (!this.active) return;
    this.active = false;
    this.fn();
  }
}
