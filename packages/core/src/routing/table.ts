import { IrqError } from '../errors.js';
import { MAX_ROUTES, ROUTE_FLAG_VALID_DEVID, type RoutingEntryBase } from './entries.js';
import type { RouteKind, RouteTarget } from './kinds.js';

/**
 * What injection needs from a routing scheme: the compiled targets of a GSI and the reverse
 * map used by acknowledgements. The {@link RoutingTable} is KVM's generic one; an arch without
 * a routing table (POWER XICS, spec/power.md PWR-7.2) supplies a fixed map instead.
 */
export interface GsiRouter {
  /** Compiled targets of `gsi`, in table order; empty when unrouted. Must not allocate. */
  targets(gsi: number): readonly RouteTarget[];
  /** The GSI that `(chip, pin)` maps back to, or −1 (CORE-1.7, 1.12). */
  gsiFor(chip: number, pin: number): number;
  /** A copy of the entries of `gsi` (CORE-1.12). */
  entriesFor(gsi: number): RoutingEntryBase[];
  /** A copy of every entry, in table order. */
  entries(): RoutingEntryBase[];
}

/** The kinds a VM accepts in its routing table, by name. */
export class RouteKindRegistry {
  private readonly kinds = new Map<string, RouteKind<RoutingEntryBase>>();

  /**
   * Registers `kind`.
   * @throws IrqError EEXIST if a kind of that name exists.
   */
  add<E extends RoutingEntryBase>(kind: RouteKind<E>): void {
    if (this.kinds.has(kind.kind)) {
      throw new IrqError('EEXIST', `routing entry kind '${kind.kind}' is already registered`);
    }
    this.kinds.set(kind.kind, kind as unknown as RouteKind<RoutingEntryBase>);
  }

  /** The kind called `name`, if registered. */
  get(name: string): RouteKind<RoutingEntryBase> | undefined {
    return this.kinds.get(name);
  }
}

// Target lists are read by index on every injection and are never frozen: V8 (Node 20) does
// not inline element loads from frozen arrays, so each `targets[i]` became a KeyedLoadIC call
// (about 13 ns of a 48 ns masked x86 pulse). The `readonly` types keep callers from writing.
const NO_TARGETS: readonly RouteTarget[] = [];

/** Chip numbers below this have their reverse map in an array (see `Built.reverseSmall`). */
const SMALL_CHIPS = 8;

/** A chip's reverse map: GSI by pin, −1 where no entry names the pin (CORE-1.7). */
type ReverseMap = Int32Array;

interface Built {
  readonly entries: readonly RoutingEntryBase[];
  readonly byGsi: ReadonlyArray<readonly RouteTarget[]>;
  /**
   * Reverse maps of chips 0…{@link SMALL_CHIPS}−1 (every KVM arch's irqchip numbers) by index:
   * an EOI's ack notification finds its GSI without hashing the chip.
   */
  readonly reverseSmall: ReadonlyArray<ReverseMap | null>;
  /** Reverse maps of larger chip numbers. */
  readonly reverseLarge: ReadonlyMap<number, ReverseMap>;
}

/**
 * KVM's GSI routing table (spec/core.md §1): entries validated in order, several entries per
 * GSI only across distinct controllers, a reverse map where the last entry naming a pin wins,
 * and whole-table replacement where a rejected table changes nothing.
 */
export class RoutingTable implements GsiRouter {
  private current: Built = {
    entries: [],
    byGsi: [],
    reverseSmall: new Array<ReverseMap | null>(SMALL_CHIPS).fill(null),
    reverseLarge: new Map(),
  };

  /** @param kinds - the entry kinds this table accepts. */
  constructor(private readonly kinds: RouteKindRegistry) {}

  /**
   * Validates `entries` (CORE-1.2 … 1.7) and, if all pass, replaces the table (CORE-1.8).
   * @throws IrqError EINVAL for the first failing entry; the table is then unchanged.
   */
  replace(entries: readonly RoutingEntryBase[], flags = 0): void {
    this.current = this.build(entries, flags);
  }

  /** Number of entries in the table. */
  get size(): number {
    return this.current.entries.length;
  }

  targets(gsi: number): readonly RouteTarget[] {
    return this.current.byGsi[gsi] ?? NO_TARGETS;
  }

  gsiFor(chip: number, pin: number): number {
    const cur = this.current;
    const rev =
      (chip >>> 0 < SMALL_CHIPS ? cur.reverseSmall[chip] : cur.reverseLarge.get(chip)) ?? null;
    if (rev === null || pin < 0 || pin >= rev.length) return -1;
    return rev[pin]!;
  }

  entriesFor(gsi: number): RoutingEntryBase[] {
    return this.targets(gsi).map((t) => ({ ...t.entry }));
  }

  entries(): RoutingEntryBase[] {
    return this.current.entries.map((e) => ({ ...e }));
  }

  private build(input: readonly RoutingEntryBase[], flags: number): Built {
    if (flags !== 0) throw new IrqError('EINVAL', `routing table flags ${flags} must be 0`);
    if (!Array.isArray(input)) throw new IrqError('EINVAL', 'routing table must be an array');
    if (input.length > MAX_ROUTES) {
      throw new IrqError('EINVAL', `routing table has ${input.length} entries (max ${MAX_ROUTES})`);
    }
    for (let i = 0; i < input.length; i++) checkShape(input[i], i);

    const byGsi: RouteTarget[][] = [];
    const reverse = new Map<number, number[]>();
    const entries: RoutingEntryBase[] = [];
    for (let i = 0; i < input.length; i++) {
      // A private copy: the caller may reuse its objects. Not frozen (freezing 4,096 entries
      // took most of a table replace); entries() and entriesFor() hand out copies instead.
      const entry = { ...input[i]! };
      checkFlags(entry, i);
      const same = byGsi[entry.gsi] ?? [];
      checkCombination(entry, same, i);
      const kind = this.kinds.get(entry.kind);
      if (kind === undefined) {
        throw new IrqError('EINVAL', `entry ${i}: unknown routing entry kind '${entry.kind}'`);
      }
      try {
        kind.validate(entry);
      } catch (e) {
        if (e instanceof IrqError)
          throw new IrqError(e.code, `entry ${i} (gsi ${entry.gsi}): ${e.message}`);
        throw e;
      }
      same.push(kind.compile(entry));
      byGsi[entry.gsi] = same;
      entries.push(entry);
      if (isIrqchip(entry)) {
        const rev = reverse.get(entry.chip) ?? [];
        rev[entry.pin] = entry.gsi; // CORE-1.7: the entry processed last wins
        reverse.set(entry.chip, rev);
      }
    }
    const reverseSmall = new Array<ReverseMap | null>(SMALL_CHIPS).fill(null);
    const reverseLarge = new Map<number, ReverseMap>();
    for (const [chip, rev] of reverse) {
      const arr: ReverseMap = new Int32Array(rev.length).fill(-1);
      rev.forEach((gsi, pin) => {
        arr[pin] = gsi;
      });
      if (chip >>> 0 < SMALL_CHIPS) reverseSmall[chip] = arr;
      else reverseLarge.set(chip, arr);
    }
    // Copied into an array built by push: `byGsi` above was filled out of order (holey, or a
    // dictionary when GSIs are sparse), and setIrq reads this one on every injection.
    const packed: RouteTarget[][] = [];
    for (let g = 0; g < byGsi.length; g++) {
      const list = byGsi[g];
      packed.push(list === undefined ? (NO_TARGETS as RouteTarget[]) : list);
    }
    return { entries: Object.freeze(entries), byGsi: packed, reverseSmall, reverseLarge };
  }
}

function isIrqchip(e: RoutingEntryBase): e is RoutingEntryBase & { chip: number; pin: number } {
  return e.kind === 'irqchip';
}

function checkShape(e: unknown, i: number): void {
  if (typeof e !== 'object' || e === null)
    throw new IrqError('EINVAL', `entry ${i} is not an object`);
  const { gsi, kind } = e as { gsi?: unknown; kind?: unknown };
  if (typeof gsi !== 'number' || !Number.isInteger(gsi) || gsi < 0 || gsi >= MAX_ROUTES) {
    throw new IrqError(
      'EINVAL',
      `entry ${i}: gsi ${String(gsi)} is out of range 0..${MAX_ROUTES - 1}`,
    );
  }
  if (typeof kind !== 'string') throw new IrqError('EINVAL', `entry ${i}: kind must be a string`);
}

// CORE-1.4: only msi entries may carry a flag, and only VALID_DEVID.
function checkFlags(e: RoutingEntryBase, i: number): void {
  const flags = e.flags ?? 0;
  const allowed = e.kind === 'msi' ? ROUTE_FLAG_VALID_DEVID : 0;
  // A u32 first: JavaScript's bitwise operators would truncate 2^32 to 0.
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff || (flags & ~allowed) !== 0) {
    throw new IrqError(
      'EINVAL',
      `entry ${i}: flags ${String(flags)} are not valid for a ${e.kind} entry`,
    );
  }
}

// CORE-1.5: several entries per GSI only as irqchip entries on distinct controllers.
function checkCombination(e: RoutingEntryBase, same: readonly RouteTarget[], i: number): void {
  for (const t of same) {
    const prev = t.entry;
    if (!isIrqchip(e) || !isIrqchip(prev) || prev.chip === e.chip) {
      throw new IrqError(
        'EINVAL',
        `entry ${i}: gsi ${e.gsi} already has a ${prev.kind} entry; only irqchip entries on distinct controllers combine`,
      );
    }
  }
}
