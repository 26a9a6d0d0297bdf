import { EventQueue } from './event-queue.js';

/** Handles one event: `a` and `b` are the integers it was scheduled with. */
export type EventHandler = (a: number, b: number) => void;

/**
 * The discrete-event engine: a virtual clock in integer nanoseconds and an {@link EventQueue}.
 *
 * Components register a handler once ({@link Engine.register} returns its kind number) and then
 * schedule integer events for it, so the steady state allocates nothing. Events at the same
 * time run in the order they were scheduled.
 */
export class Engine {
  private readonly queue = new EventQueue(1024);
  private readonly handlers: EventHandler[] = [];
  private clock = 0;
  /**
   * The latest scheduled event, held out of the heap until the next {@link Engine.at} or until
   * it is taken (−1: none). A handler usually schedules the event that runs next (the end of
   * the handler or work it just started), so this saves a heap push and pop per such event.
   * Order is unchanged: the held event is the latest scheduled, so it runs first only when it
   * is strictly earlier than everything queued (ties go to the earlier scheduled), and it
   * enters the heap, in scheduling order, before any later event does.
   */
  private heldKind = -1;
  private heldTime = 0;
  private heldA = 0;
  private heldB = 0;
  private processed = 0;
  private stopped = false;
  /** First argument of the event {@link Engine.next} took last. */
  lastA = 0;
  /** Second argument of the event {@link Engine.next} took last. */
  lastB = 0;

  /** Current virtual time, ns. */
  get now(): number {
    return this.clock;
  }

  /** Events processed so far. */
  get events(): number {
    return this.processed;
  }

  /** Events still queued. */
  get pending(): number {
    return this.queue.size + (this.heldKind >= 0 ? 1 : 0);
  }

  /** Time of the next queued event, or `Infinity` when none is queued. */
  nextEventTime(): number {
    const t = this.queue.peekTime();
    return this.heldKind >= 0 && this.heldTime < t ? this.heldTime : t;
  }

  /** Registers `handler`; returns the kind number to schedule it with. */
  register(handler: EventHandler): number {
    this.handlers.push(handler);
    return this.handlers.length - 1;
  }

  /**
   * Schedules `kind(a, b)` at absolute time `time` (rounded to whole nanoseconds).
   * @throws RangeError for a time in the past or not finite, or an unknown kind.
   */
  at(time: number, kind: number, a = 0, b = 0): void {
    const t = Math.round(time);
    // NaN fails both comparisons; ±Infinity fails one.
    if (!(t >= this.clock && t < Number.POSITIVE_INFINITY)) this.badTime(time);
    if (kind < 0 || kind >= this.handlers.length) this.badKind(kind);
    if (this.heldKind >= 0) this.release();
    this.heldKind = kind;
    this.heldTime = t;
    this.heldA = a;
    this.heldB = b;
  }

  /** Moves the held event into the heap (no arguments: a double argument would be boxed). */
  private release(): void {
    this.queue.push(this.heldTime, this.heldKind, this.heldA, this.heldB);
  }

  // Out of line: the hot `at` stays small enough to inline.
  private badTime(time: number): never {
    throw new RangeError(`event time ${time} ns is before now (${this.clock} ns) or invalid`);
  }

  private badKind(kind: number): never {
    throw new RangeError(`unknown event kind ${kind}`);
  }

  /** Schedules `kind(a, b)` `delay` ns from now. */
  after(delay: number, kind: number, a = 0, b = 0): void {
    this.at(this.clock + delay, kind, a, b);
  }

  /**
   * Runs events in time order until the queue is empty, the next event is later than
   * `until`, or {@link Engine.stop} is called. The clock then stands at `until` (or at the
   * stopping event's time).
   * @returns the number of events processed by this call.
   */
  run(until: number = Number.POSITIVE_INFINITY): number {
    const handlers = this.handlers;
    const start = this.processed;
    this.stopped = false;
    while (!this.stopped && this.nextEventTime() <= until) {
      const kind = this.next();
      if (kind < 0) break; // empty (nextEventTime is Infinity, and so may be `until`)
      handlers[kind]!(this.lastA, this.lastB);
    }
    if (!this.stopped && Number.isFinite(until) && until > this.clock) this.clock = until;
    return this.processed - start;
  }

  /**
   * Processes the earliest event, whatever its time.
   * @returns false when nothing was queued.
   */
  step(): boolean {
    const kind = this.next();
    if (kind < 0) return false;
    this.handlers[kind]!(this.lastA, this.lastB);
    return true;
  }

  /**
   * Takes the earliest event off the queue without running it, for a run loop that calls some
   * kinds' code directly (a monomorphic call instead of one through the handler table): the
   * clock moves to the event's time and the event counts as processed; its arguments are in
   * {@link Engine.lastA} and {@link Engine.lastB} until the next call; {@link Engine.handle}
   * runs the registered handler.
   * @returns the event's kind, or −1 when nothing was queued.
   */
  next(): number {
    const q = this.queue;
    const held = this.heldKind;
    if (held >= 0 && (q.size === 0 || this.heldTime < q.peekTime())) {
      this.heldKind = -1;
      this.clock = this.heldTime;
      this.lastA = this.heldA;
      this.lastB = this.heldB;
      this.processed++;
      return held;
    }
    if (q.size === 0) return -1;
    const slot = q.pop();
    this.clock = q.timeAt(slot);
    this.lastA = q.aAt(slot);
    this.lastB = q.bAt(slot);
    this.processed++;
    return q.kindAt(slot);
  }

  /** Runs the registered handler of `kind` with the arguments of the event {@link Engine.next} took. */
  handle(kind: number): void {
    this.handlers[kind]!(this.lastA, this.lastB);
  }

  /** Stops {@link Engine.run} after the current event. */
  stop(): void {
    this.stopped = true;
  }
}
