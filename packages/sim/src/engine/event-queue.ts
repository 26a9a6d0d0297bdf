/**
 * A binary min-heap of timed events on typed arrays.
 *
 * Events are plain integers — a handler kind and two integer arguments — stored in pooled
 * slots, so pushing and popping allocates nothing once the pool has grown to the run's peak
 * size. Ties in time pop in push order (a sequence number breaks them), which makes every run
 * with the same inputs process events in the same order.
 */
export class EventQueue {
  private time: Float64Array;
  private kindOf: Int32Array;
  private argA: Int32Array;
  private argB: Int32Array;
  /** Heap of slot numbers, ordered by (time, seq). */
  private heap: Int32Array;
  /** Time and sequence number of the slot at each heap position (no indirection to compare). */
  private heapTime: Float64Array;
  private heapSeq: Float64Array;
  /** Free slots (a stack). */
  private free: Int32Array;
  private freeTop = 0;
  private count = 0;
  private nextSeq = 0;

  /** @param capacity - initial number of slots (grows by doubling). */
  constructor(capacity = 256) {
    const n = Math.max(4, capacity | 0);
    this.time = new Float64Array(n);
    this.kindOf = new Int32Array(n);
    this.argA = new Int32Array(n);
    this.argB = new Int32Array(n);
    this.heap = new Int32Array(n);
    this.heapTime = new Float64Array(n);
    this.heapSeq = new Float64Array(n);
    this.free = new Int32Array(n);
    for (let i = 0; i < n; i++) this.free[i] = n - 1 - i;
    this.freeTop = n;
  }

  /** Number of queued events. */
  get size(): number {
    return this.count;
  }

  /** Time of the earliest event, or `Infinity` when empty. */
  peekTime(): number {
    return this.count === 0 ? Number.POSITIVE_INFINITY : this.heapTime[0]!;
  }

  /** Queues event `kind(a, b)` at `time`. */
  push(time: number, kind: number, a: number, b: number): void {
    if (this.freeTop === 0) this.grow();
    const slot = this.free[--this.freeTop]!;
    const seq = this.nextSeq++;
    this.time[slot] = time;
    this.kindOf[slot] = kind;
    this.argA[slot] = a;
    this.argB[slot] = b;
    let i = this.count++;
    const heap = this.heap;
    const ht = this.heapTime;
    const hs = this.heapSeq;
    // Sift up: a later sequence number never goes before an equal time.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (ht[parent]! <= time) break;
      heap[i] = heap[parent]!;
      ht[i] = ht[parent]!;
      hs[i] = hs[parent]!;
      i = parent;
    }
    heap[i] = slot;
    ht[i] = time;
    hs[i] = seq;
  }

  /**
   * Removes the earliest event and returns its slot; read it with {@link EventQueue.timeAt},
   * {@link EventQueue.kindAt}, {@link EventQueue.aAt}, {@link EventQueue.bAt} before the next
   * push. Returns −1 when empty.
   */
  pop(): number {
    if (this.count === 0) return -1;
    const heap = this.heap;
    const ht = this.heapTime;
    const hs = this.heapSeq;
    const top = heap[0]!;
    const n = --this.count;
    if (n > 0) {
      // Sift the last entry down from the root.
      const last = heap[n]!;
      const lt = ht[n]!;
      const ls = hs[n]!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        let c = l;
        let ct = ht[l]!;
        const r = l + 1;
        if (r < n) {
          const rt = ht[r]!;
          if (rt < ct || (rt === ct && hs[r]! < hs[l]!)) {
            c = r;
            ct = rt;
          }
        }
        if (ct > lt || (ct === lt && hs[c]! > ls)) break;
        heap[i] = heap[c]!;
        ht[i] = ct;
        hs[i] = hs[c]!;
        i = c;
      }
      heap[i] = last;
      ht[i] = lt;
      hs[i] = ls;
    }
    this.free[this.freeTop++] = top;
    return top;
  }

  /** Time of a popped slot. */
  timeAt(slot: number): number {
    return this.time[slot]!;
  }

  /** Kind of a popped slot. */
  kindAt(slot: number): number {
    return this.kindOf[slot]!;
  }

  /** First argument of a popped slot. */
  aAt(slot: number): number {
    return this.argA[slot]!;
  }

  /** Second argument of a popped slot. */
  bAt(slot: number): number {
    return this.argB[slot]!;
  }

  /** Drops every queued event. */
  clear(): void {
    const n = this.time.length;
    for (let i = 0; i < n; i++) this.free[i] = n - 1 - i;
    this.freeTop = n;
    this.count = 0;
  }

  private grow(): void {
    const old = this.time.length;
    const n = old * 2;
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.time = f64(this.time);
    this.kindOf = i32(this.kindOf);
    this.argA = i32(this.argA);
    this.argB = i32(this.argB);
    this.heap = i32(this.heap);
    this.heapTime = f64(this.heapTime);
    this.heapSeq = f64(this.heapSeq);
    // Every old slot is in use (the free stack was empty): the new ones are free.
    this.free = new Int32Array(n);
    for (let i = 0; i < n - old; i++) this.free[i] = n - 1 - i;
    this.freeTop = n - old;
  }
}
