import type { Task, TaskKind } from './task.js';

/**
 * A test hook called at named points inside multi-step operations (for example between an
 * irqfd shutdown's removal from its resampler and the rest of its teardown, CORE-S38), so a
 * test can interleave another operation exactly there.
 */
export type CheckpointHook = (point: string, subject: object) => void;

/**
 * The deterministic execution model (spec/core.md CORE-0.3).
 *
 * KVM runs some steps in the signalling context and defers others to work queues. Here every
 * deferred step is a {@link Task} on this scheduler. Model operations bracket themselves with
 * {@link Scheduler.enter} / {@link Scheduler.exit}; the {@link ImmediateScheduler} drains its
 * queue when the outermost bracket exits (run to completion, never re-entrantly inside another
 * operation), while the {@link TestScheduler} runs tasks only when a test asks, in any order.
 */
export abstract class Scheduler {
  // Queued tasks in FIFO order, as a growable ring buffer: queueing and running tasks on the
  // injection path must not allocate (Array#shift would reallocate the backing store).
  private ring: Array<Task | undefined> = new Array<Task | undefined>(16).fill(undefined);
  private head = 0;
  private count = 0;
  /** Nesting depth of model operations currently running. */
  protected depth = 0;
  /** True while the scheduler itself is running tasks. */
  protected draining = false;
  /** Optional test hook; see {@link CheckpointHook}. */
  checkpointHook: CheckpointHook | null = null;

  /**
   * Queues `task` unless it is already queued (then a no-op, like `schedule_work`).
   * @returns true if the task was newly queued.
   */
  schedule(task: Task): boolean {
    if (task.queued === true) return false;
    task.queued = true;
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = task;
    this.count++;
    if (this.depth === 0) this.idle();
    return true;
  }

  /** Marks the start of a model operation. */
  enter(): void {
    this.depth++;
  }

  /** Marks the end of a model operation; at the outermost level the scheduler may drain. */
  exit(): void {
    // Only drain when something is queued: the fast path (nothing deferred) stays a decrement.
    if (--this.depth === 0 && this.count !== 0) this.idle();
  }

  /** Called when no model operation is running. */
  protected abstract idle(): void;

  /** Tasks queued and not yet run, oldest first (a copy). */
  pending(): Task[] {
    const out: Task[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.at(i));
    return out;
  }

  /** Number of queued tasks. */
  get size(): number {
    return this.count;
  }

  /**
   * Removes `task` from the queue without running it.
   * @returns true if it was queued.
   */
  cancel(task: Task): boolean {
    if (!task.queued) return false;
    for (let i = 0; i < this.count; i++) {
      if (this.at(i) === task) {
        this.removeAt(i);
        task.queued = false;
        return true;
      }
    }
    return false;
  }

  /**
   * Runs `task` now if it is queued (KVM `flush_work` on one item).
   * @returns true if it was queued and ran.
   */
  runTask(task: Task): boolean {
    if (!this.cancel(task)) return false;
    this.execute(task);
    return true;
  }

  /**
   * Runs every queued task of `kind` (optionally only those of `owner`), including tasks of
   * that kind queued while flushing (CORE-0.6).
   */
  flush(kind: TaskKind, owner?: object): void {
    for (;;) {
      let i = 0;
      while (i < this.count) {
        const t = this.at(i);
        if (t.kind === kind && (owner === undefined || t.owner === owner)) break;
        i++;
      }
      if (i === this.count) return;
      const task = this.at(i);
      this.removeAt(i);
      task.queued = false;
      this.execute(task);
    }
  }

  /**
   * Runs the oldest queued task.
   * @returns false if the queue was empty.
   */
  runOne(): boolean {
    if (this.count === 0) return false;
    const task = this.at(0);
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.count--;
    task.queued = false;
    this.execute(task);
    return true;
  }

  /** Runs queued tasks, oldest first, until the queue is empty (tasks may queue more). */
  run(): void {
    if (this.count === 0) return;
    // One bracket for the whole drain, not one per task (an irqfd signal on an irqchip GSI
    // drains one task per signal): between two tasks no model code runs, so marking the
    // scheduler busy across them is the same as marking it around each one. A task that
    // throws leaves the rest queued, as before.
    const wasDraining = this.draining;
    this.draining = true;
    this.depth++;
    try {
      while (this.count !== 0) {
        const ring = this.ring;
        const task = ring[this.head]!;
        ring[this.head] = undefined;
        this.head = (this.head + 1) & (ring.length - 1);
        this.count--;
        task.queued = false;
        task.run();
      }
    } finally {
      this.depth--;
      this.draining = wasDraining;
    }
  }

  /** Calls the test hook, if any, at a named point of a multi-step operation. */
  checkpoint(point: string, subject: object): void {
    if (this.checkpointHook !== null) this.checkpointHook(point, subject);
  }

  private execute(task: Task): void {
    const wasDraining = this.draining;
    this.draining = true;
    this.depth++;
    try {
      task.run();
    } finally {
      this.depth--;
      this.draining = wasDraining;
    }
  }

  private at(i: number): Task {
    return this.ring[(this.head + i) & (this.ring.length - 1)]!;
  }

  // Closes the gap left by the task at position i (rare: cancel, flush of one kind).
  private removeAt(i: number): void {
    const mask = this.ring.length - 1;
    for (let j = i; j < this.count - 1; j++) {
      this.ring[(this.head + j) & mask] = this.ring[(this.head + j + 1) & mask];
    }
    this.ring[(this.head + this.count - 1) & mask] = undefined;
    this.count--;
  }

  private grow(): void {
    const bigger = new Array<Task | undefined>(this.ring.length * 2).fill(undefined);
    for (let i = 0; i < this.count; i++) bigger[i] = this.at(i);
    this.ring = bigger;
    this.head = 0;
  }
}

/**
 * The default scheduler: queued tasks run as soon as the outermost model operation returns
 * (CORE-0.5), so from the caller's point of view deferred work is done when the call returns.
 */
export class ImmediateScheduler extends Scheduler {
  protected idle(): void {
    if (this.draining !== true) this.run();
  }
}

/**
 * A scheduler that never runs anything by itself: tests call {@link Scheduler.run},
 * {@link Scheduler.runOne} or {@link Scheduler.runTask} to drive any interleaving.
 */
export class TestScheduler extends Scheduler {
  protected idle(): void {
    // Nothing runs until the test says so.
  }
}
