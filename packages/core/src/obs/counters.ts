/**
 * A log of increments of watched counter slots ({@link Counters.watch}): each entry is the tag
 * the watcher gave the slot and the amount added. A reader (the simulator's cost meter)
 * processes the entries and clears the log, so its cost follows the watched events only,
 * however many other counters move. Typed arrays: recording allocates nothing once grown.
 */
export class CounterJournal {
  /** Number of entries. */
  length = 0;
  /** Tag of entry i (i < length). */
  tags: Int32Array = new Int32Array(64);
  /** Amount of entry i (i < length). */
  amounts: Float64Array = new Float64Array(64);

  /** Appends an entry. */
  push(tag: number, n: number): void {
    const i = this.length;
    if (i === this.tags.length) this.grow();
    this.tags[i] = tag;
    this.amounts[i] = n;
    this.length = i + 1;
  }

  /** Drops every entry. */
  clear(): void {
    this.length = 0;
  }

  private grow(): void {
    const tags = new Int32Array(this.tags.length * 2);
    tags.set(this.tags);
    const amounts = new Float64Array(this.amounts.length * 2);
    amounts.set(this.amounts);
    this.tags = tags;
    this.amounts = amounts;
  }
}

/**
 * Event counters: named slots in a typed array, so counting on the hot path is one array
 * increment and never allocates.
 *
 * Names are dotted (`exits.kick`, `ackNotifications`); a name is defined on first use and
 * stays defined. A child set (e.g. one per vCPU) also counts towards its parent (the machine):
 * a parent's value is its own increments plus its children's. The totals are summed when read,
 * not written through on every increment, because increments happen on every injection and
 * reads happen when somebody looks.
 */
export class Counters {
  /** Own increments per slot (what {@link Counters.add} on this set wrote). */
  private values: Float64Array = new Float64Array(64);
  /** Children's totals at the last {@link Counters.reset} (subtracted from reads), or null. */
  private base: Float64Array | null = null;
  /** Scratch for {@link Counters.totals} (reused: reads allocate nothing once grown). */
  private sums: Float64Array = new Float64Array(64);
  private readonly index = new Map<string, number>();
  private readonly names: string[] = [];
  private defined = 0;
  /**
   * Slots below this take {@link Counters.add}'s one-comparison path: `defined` normally, 0
   * while a journal watches the set (every add then goes through the checked, recording path).
   */
  private fastLimit = 0;
  private readonly parent: Counters | null;
  /** The parent's slot for each of this set's slots. */
  private readonly parentIds: number[] = [];
  private readonly children: Counters[] = [];
  private journal: CounterJournal | null = null;
  /** Tag per slot for {@link Counters.watch} (−1: not watched), or null when none is. */
  private watchTags: Int32Array | null = null;

  /** @param parent - a set whose values include this set's (machine totals). */
  constructor(parent: Counters | null = null) {
    this.parent = parent;
    if (parent !== null) parent.children.push(this);
  }

  /**
   * The slot id for `name`, defining it (at 0) if new. Resolve ids once, at construction
   * time, and pass them to {@link Counters.add} on the hot path.
   */
  id(name: string): number {
    const existing = this.index.get(name);
    if (existing !== undefined) return existing;
    const id = this.names.length;
    if (id >= this.values.length) {
      this.values = grow(this.values, this.values.length * 2);
      if (this.base !== null) this.base = grow(this.base, this.values.length);
    }
    this.index.set(name, id);
    this.names.push(name);
    this.defined = this.names.length;
    if (this.watchTags === null) this.fastLimit = this.defined;
    this.parentIds.push(this.parent === null ? -1 : this.parent.id(name));
    return id;
  }

  /**
   * Adds `n` (default 1) to slot `id` (and so to the parent's slot of the same name).
   * @throws RangeError for an id this set never defined (an id resolved on another set).
   */
  add(id: number, n = 1): void {
    // add is inlined into every hot path and V8 inlines by bytecode size, so the common case
    // is one unsigned comparison (a negative id becomes a huge unsigned one): it fails for an
    // undefined id and for every id while a journal watches; both go out of line.
    if (id >>> 0 < this.fastLimit) this.values[id] = this.values[id]! + n;
    else this.addChecked(id, n);
  }

  private addChecked(id: number, n: number): void {
    if (id >>> 0 >= this.defined) undefinedId(id);
    this.values[id] = this.values[id]! + n;
    const tags = this.watchTags;
    if (tags !== null && id < tags.length) {
      const tag = tags[id]!;
      if (tag >= 0) this.journal!.push(tag, n);
    }
  }

  /**
   * Records every later increment of slot `id` made on this set itself — not the ones that
   * reach it from a child set — in `journal`, as an entry tagged `tag` (≥ 0). A set feeds one
   * journal; watching the same slot again replaces its tag.
   * @throws RangeError for an undefined id or a negative tag; Error when another journal
   * already watches this set.
   */
  watch(id: number, journal: CounterJournal, tag: number): void {
    // One unsigned comparison covers both ends (a negative id becomes a huge unsigned one).
    if (id >>> 0 >= this.defined) undefinedId(id);
    if (!Number.isInteger(tag) || tag < 0 || tag > 0x7fffffff)
      throw new RangeError(`watch tag ${tag} must be an integer ≥ 0`);
    if (this.journal !== null && this.journal !== journal)
      throw new Error('this counter set already feeds another journal');
    this.journal = journal;
    let tags = this.watchTags;
    if (tags === null || id >= tags.length) {
      const grown = new Int32Array(Math.max(this.values.length, id + 1)).fill(-1);
      if (tags !== null) grown.set(tags);
      tags = grown;
      this.watchTags = tags;
    }
    tags[id] = tag;
    this.fastLimit = 0;
  }

  /** Stops every {@link Counters.watch} of this set (entries already logged stay). */
  unwatchAll(): void {
    this.journal = null;
    this.watchTags = null;
    this.fastLimit = this.defined;
  }

  /** Adds `n` to the counter called `name` (defines it if needed). Convenient, not for hot paths. */
  bump(name: string, n = 1): void {
    this.add(this.id(name), n);
  }

  /**
   * The value of slot `id` (from {@link Counters.id}), children included. Allocation-free; a
   * set with children sums them on each call.
   */
  value(id: number): number {
    if (id >>> 0 >= this.defined) return 0;
    return this.children.length === 0 && this.base === null ? this.values[id]! : this.totals()[id]!;
  }

  /** The value of `name` (0 if never defined), children included. */
  get(name: string): number {
    const id = this.index.get(name);
    return id === undefined ? 0 : this.value(id);
  }

  /** Every defined counter and its value, in definition order. */
  snapshot(): Record<string, number> {
    const t = this.totals();
    const out: Record<string, number> = {};
    for (let i = 0; i < this.names.length; i++) out[this.names[i]!] = t[i]!;
    return out;
  }

  /** The counters whose value changed from `before` (a previous snapshot) to now. */
  delta(before: Readonly<Record<string, number>>): Record<string, number> {
    const t = this.totals();
    const out: Record<string, number> = {};
    for (let i = 0; i < this.names.length; i++) {
      const name = this.names[i]!;
      const d = t[i]! - (before[name] ?? 0);
      if (d !== 0) out[name] = d;
    }
    return out;
  }

  /**
   * Sets every counter of this set back to 0. Its parent's values do not change (what this
   * set had counted stays in them); its children keep their own values.
   */
  reset(): void {
    const n = this.defined;
    const childSums = this.childTotals();
    const parent = this.parent;
    if (parent !== null) {
      // Hand what this set counted to the parent, so that its totals stay where they were.
      const own = this.values;
      const base = this.base;
      for (let i = 0; i < n; i++) {
        const total = own[i]! + childSums[i]! - (base === null ? 0 : base[i]!);
        const p = this.parentIds[i]!;
        parent.values[p] = parent.values[p]! + total;
      }
    }
    this.values.fill(0);
    if (this.children.length === 0) this.base = null;
    else {
      const base = this.base ?? new Float64Array(this.values.length);
      base.set(childSums.subarray(0, n));
      this.base = base;
    }
  }

  /** Own values + children's totals − base, in {@link Counters.sums} (valid until the next read). */
  private totals(): Float64Array {
    const t = this.childTotals();
    const n = this.defined;
    const own = this.values;
    const base = this.base;
    for (let i = 0; i < n; i++) t[i] = t[i]! + own[i]! - (base === null ? 0 : base[i]!);
    return t;
  }

  /** The children's totals per slot of this set, in {@link Counters.sums}. */
  private childTotals(): Float64Array {
    if (this.sums.length < this.values.length) this.sums = new Float64Array(this.values.length);
    const t = this.sums;
    t.fill(0, 0, this.defined);
    for (const child of this.children) {
      const ct = child.totals();
      const map = child.parentIds;
      for (let i = 0; i < child.defined; i++) {
        const p = map[i]!;
        t[p] = t[p]! + ct[i]!;
      }
    }
    return t;
  }
}

function grow(a: Float64Array, size: number): Float64Array {
  const grown = new Float64Array(size);
  grown.set(a);
  return grown;
}

function undefinedId(id: number): never {
  throw new RangeError(`counter id ${id} is not defined on this set`);
}
