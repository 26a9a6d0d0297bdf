/**
 * A FIFO of guest work items for one vCPU (server work of a transaction, the code that sends
 * an IPI): typed-array ring, so queueing allocates nothing in steady state.
 */
export class WorkQueue {
  private remaining = new Float64Array(16);
  private owner = new Int32Array(16);
  private tagOf = new Int32Array(16);
  private head = 0;
  private count = 0;

  /** Number of items. */
  get size(): number {
    return this.count;
  }

  /** Appends `ns` of work for workload `owner`, identified by `tag`. */
  push(ns: number, owner: number, tag: number): void {
    if (this.count === this.remaining.length) this.grow();
    const i = (this.head + this.count) % this.remaining.length;
    this.remaining[i] = ns;
    this.owner[i] = owner;
    this.tagOf[i] = tag;
    this.count++;
  }

  /** Work left in the head item, ns. */
  get headRemaining(): number {
    return this.remaining[this.head]!;
  }

  /** Sets the work left in the head item (after a preemption). */
  set headRemaining(ns: number) {
    this.remaining[this.head] = ns;
  }

  /** Workload index of the head item. */
  get headOwner(): number {
    return this.owner[this.head]!;
  }

  /** Tag of the head item. */
  get headTag(): number {
    return this.tagOf[this.head]!;
  }

  /** Drops the head item. */
  shift(): void {
    this.head = (this.head + 1) % this.remaining.length;
    this.count--;
  }

  private grow(): void {
    const n = this.remaining.length * 2;
    const r = new Float64Array(n);
    const o = new Int32Array(n);
    const t = new Int32Array(n);
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) % this.remaining.length;
      r[k] = this.remaining[i]!;
      o[k] = this.owner[i]!;
      t[k] = this.tagOf[i]!;
    }
    this.remaining = r;
    this.owner = o;
    this.tagOf = t;
    this.head = 0;
  }
}
