import { IrqError } from './errors.js';

/** Why a waiter is woken: the counter became readable, or the last userspace descriptor closed. */
export type EventFdWake = 'readable' | 'hangup';

/**
 * A priority exclusive waiter (what an irqfd installs, CORE-0.7). It is woken before ordinary
 * listeners; returning true reports the event consumed, so ordinary listeners are not woken.
 */
export interface EventFdWaiter {
  /** Called synchronously from `signal()` / `close()`. */
  wake(fd: EventFd, why: EventFdWake): boolean;
}

/** An ordinary listener (a userspace poller, or VFIO's unmask handler on a resamplefd). */
export type EventFdListener = (fd: EventFd, why: EventFdWake) => void;

// The largest counter value (Linux: 2^64 − 2; here bounded by exact doubles, 2^53 − 1). A
// const enum makes it a literal in the compiled signal: a module constant holding a heap
// number is a load and a map check per signal.
const enum Limit {
  MaxCount = 9007199254740991,
}

/**
 * A Linux eventfd: a counter that `signal(n)` increments and a read drains (CORE-0.7).
 *
 * Identity matters: the IRQ bypass manager pairs a producer and a consumer that hold the
 * *same* `EventFd` object (CORE-7.1). `close()` models the last userspace descriptor going
 * away: waiters see "hang-up", but kernel-side holders (a VFIO device, an irqfd whose shutdown
 * has not run yet) can still signal it, as in Linux.
 */
export class EventFd {
  /** With the semaphore flag a read consumes 1 instead of the whole counter. */
  readonly semaphore: boolean;
  private counter = 0;
  private priority: EventFdWaiter | null = null;
  private listeners: EventFdListener[] = [];
  private isClosed = false;

  /**
   * @param options.initial - initial counter value (default 0).
   * @param options.semaphore - EFD_SEMAPHORE semantics (default false).
   */
  constructor(options: { initial?: number; semaphore?: boolean } = {}) {
    const initial = options.initial ?? 0;
    if (!Number.isInteger(initial) || initial < 0 || initial > Limit.MaxCount) {
      throw new IrqError('EINVAL', `eventfd initial value ${initial} is invalid`);
    }
    this.counter = initial;
    this.semaphore = options.semaphore ?? false;
  }

  /** The current counter value. */
  get count(): number {
    return this.counter;
  }

  /** True once {@link EventFd.close} was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** True while a priority exclusive waiter (an irqfd) is attached. */
  get hasPriorityWaiter(): boolean {
    return this.priority !== null;
  }

  /**
   * Adds `n` (≥ 1) to the counter and wakes waiters synchronously: the priority waiter first;
   * ordinary listeners only if it did not consume the event.
   */
  signal(n = 1): void {
    const next = this.counter + n;
    // One test on the hot path; the errors are built out of line (small bodies get inlined).
    if (!(n >= 1 && next <= Limit.MaxCount && Number.isInteger(n))) this.badSignal(n);
    this.counter = next;
    this.wakeAll('readable');
  }

  private badSignal(n: number): never {
    if (!Number.isInteger(n) || n < 1) {
      throw new IrqError('EINVAL', `eventfd signal count ${n} must be a positive integer`);
    }
    throw new IrqError('EAGAIN', `eventfd counter would overflow (${this.counter} + ${n})`);
  }

  /**
   * Non-blocking read: returns what a read(2) would return and consumes it (everything, or 1
   * in semaphore mode). Returns 0 when the counter is 0 (where read(2) would fail with EAGAIN).
   */
  read(): number {
    if (this.counter === 0) return 0;
    const value = this.semaphore === true ? 1 : this.counter;
    this.counter -= value;
    return value;
  }

  /** Closes the last userspace descriptor: waiters are woken with "hang-up". Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.wakeAll('hangup');
  }

  /**
   * Adds an ordinary listener.
   * @returns a function that removes it.
   */
  listen(listener: EventFdListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /**
   * Attaches the single priority exclusive waiter (CORE-5.4).
   * @throws IrqError EBUSY if one is already attached.
   */
  attachPriorityWaiter(waiter: EventFdWaiter): void {
    if (this.priority !== null) {
      throw new IrqError('EBUSY', 'eventfd already has a priority exclusive waiter (an irqfd)');
    }
    this.priority = waiter;
  }

  /**
   * Detaches `waiter` if it is the attached one and consumes the counter, as
   * `eventfd_ctx_remove_wait_queue` does.
   * @returns the consumed count.
   */
  detachPriorityWaiter(waiter: EventFdWaiter): number {
    if (this.priority !== waiter) return 0;
    this.priority = null;
    const value = this.counter;
    this.counter = 0;
    return value;
  }

  private wakeAll(why: EventFdWake): void {
    const waiter = this.priority;
    if (waiter?.wake(this, why) === true && why === 'readable') return;
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) listeners[i]!(this, why);
  }
}
