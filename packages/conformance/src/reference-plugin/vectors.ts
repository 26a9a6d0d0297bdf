/**
 * Deterministic vector allocation for `GuestPort.configure` (the same scheme as x86.md X86-8.1):
 * priority p (0..11) selects class c = 2 + p; the vector is the lowest unused in
 * 0x10·c … 0x10·c + 15, or in the next higher class if full (up to 0xE). A GSI keeps its
 * vector while its class is unchanged; distinct GSIs never share a vector.
 */
export class VectorAllocator {
  private readonly byGsi = new Map<number, number>();
  private readonly used = new Set<number>();

  /** The vector for `gsi` at `priority`. @returns −1 if every class from c up is full */
  allocate(gsi: number, priority: number): number {
    const cls = 2 + priority;
    const current = this.byGsi.get(gsi);
    if (current !== undefined && current >> 4 === cls) return current;
    if (current !== undefined) this.used.delete(current);
    for (let c = cls; c <= 0xe; c++) {
      for (let v = c << 4; v < (c << 4) + 16; v++) {
        if (!this.used.has(v)) {
          this.used.add(v);
          this.byGsi.set(gsi, v);
          return v;
        }
      }
    }
    if (current !== undefined) this.used.add(current);
    return -1;
  }

  /** The vector assigned to `gsi`, if any. */
  vectorOf(gsi: number): number | undefined {
    return this.byGsi.get(gsi);
  }

  /** Saved form: `[gsi, vector]` pairs. */
  save(): Array<[number, number]> {
    return [...this.byGsi.entries()];
  }

  /** Restores {@link VectorAllocator.save}'s output. */
  restore(pairs: ReadonlyArray<readonly [number, number]>): void {
    this.byGsi.clear();
    this.used.clear();
    for (const [g, v] of pairs) {
      this.byGsi.set(g, v);
      this.used.add(v);
    }
  }
}
