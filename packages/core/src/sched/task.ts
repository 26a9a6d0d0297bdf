/**
 * Deferred work, as KVM queues it on work queues (spec/core.md CORE-0.4).
 *
 * Tasks are long-lived objects owned by whatever defers work (an irqfd owns one `inject` and
 * one `shutdown` task), so scheduling allocates nothing. Scheduling a task that is already
 * queued is a no-op, like `schedule_work`.
 */

/** Well-known task kinds; plugins may add their own names. */
export type TaskKind = 'inject' | 'shutdown' | (string & {});

/** A unit of deferred work. */
export interface Task {
  /** Which queue it belongs to (`flush(kind)` runs a whole kind). */
  readonly kind: TaskKind;
  /** Who queued it (for `flush(kind, owner)`), e.g. the VM whose irqfd it is. */
  readonly owner: object | null;
  /** Human-readable name, for traces and test failure messages. */
  readonly label: string;
  /** True while queued and not yet started. Managed by the scheduler. */
  queued: boolean;
  /** Does the work. */
  run(): void;
}

/** A {@link Task} whose work is a callback; for code that defers work without a class. */
export class CallbackTask implements Task {
  queued = false;
  /**
   * @param kind - queue name.
   * @param label - human-readable name.
   * @param work - the work to do when the task runs.
   * @param owner - who queued it.
   */
  constructor(
    readonly kind: TaskKind,
    readonly label: string,
    private readonly work: () => void,
    readonly owner: object | null = null,
  ) {}

  /** Runs the callback. */
  run(): void {
    this.work();
  }
}
