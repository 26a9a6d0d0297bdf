import type { Delivery } from '../delivery.js';
import type { RoutingEntryBase } from './entries.js';

/**
 * A routing entry compiled for delivery: built once when a table is published, then called on
 * every injection. Its methods must not allocate.
 */
export interface RouteTarget {
  /** The (frozen) entry this target was compiled from. */
  readonly entry: Readonly<RoutingEntryBase>;
  /** Delivers `level` from `source` (CORE-2.1); `lineStatus` is the opaque hint of CORE-2.3. */
  set(source: number, level: boolean, lineStatus: boolean): Delivery;
  /**
   * Tries to deliver from the signalling context (irqfd fast path, CORE-5.8).
   * @returns a Delivery, or `WOULD_BLOCK` when the work must be deferred.
   */
  setInatomic(source: number, level: boolean): Delivery;
}

/**
 * One entry kind: how to validate an entry and how to compile it (CORE-1.1). The core
 * registers `irqchip` and `msi`; plugins register more (x86 `hv_sint`, …).
 */
export interface RouteKind<E extends RoutingEntryBase = RoutingEntryBase> {
  /** The `kind` string entries of this kind carry. */
  readonly kind: string;
  /** Throws `IrqError('EINVAL')` for an invalid payload (CORE-1.6). Must not change state. */
  validate(entry: E): void;
  /** Builds the target for a validated entry. */
  compile(entry: E): RouteTarget;
}
