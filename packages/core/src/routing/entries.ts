/**
 * Routing entries as userspace writes them (`struct kvm_irq_routing_entry`, spec/core.md §1.1),
 * as plain data.
 */

/** The only defined entry flag: the `devid` field of an `msi` entry is valid (CORE-1.1). */
export const ROUTE_FLAG_VALID_DEVID = 1;
/** At most this many entries per table, and every `gsi` is below it (CORE-1.2). */
export const MAX_ROUTES = 4096;

/** Fields every routing entry has. */
export interface RoutingEntryBase {
  /** The global system interrupt number this entry belongs to, `0 ≤ gsi < 4096`. */
  readonly gsi: number;
  /** The entry kind (`'irqchip'`, `'msi'`, or a kind a plugin registered). */
  readonly kind: string;
  /** Entry flags; only `msi` entries may carry {@link ROUTE_FLAG_VALID_DEVID}. */
  readonly flags?: number;
}

/** An input pin of an in-kernel interrupt controller. */
export interface IrqchipRoutingEntry extends RoutingEntryBase {
  /** Discriminator. */
  readonly kind: 'irqchip';
  /** Controller id (x86: 0 PIC master, 1 PIC slave, 2 IOAPIC; ARM: 0). */
  readonly chip: number;
  /** Input pin on that controller. */
  readonly pin: number;
}

/** A message-signalled interrupt: an address/data pair, plus a device id for ARM's ITS. */
export interface MsiMessage {
  /** Low 32 bits of the message address. */
  readonly addressLo: number;
  /** High 32 bits of the message address. */
  readonly addressHi: number;
  /** The 32-bit message data. */
  readonly data: number;
  /** Flags: {@link ROUTE_FLAG_VALID_DEVID} or 0. */
  readonly flags?: number;
  /** Requester (device) id; meaningful only with {@link ROUTE_FLAG_VALID_DEVID}. */
  readonly devid?: number;
}

/** A message route. */
export interface MsiRoutingEntry extends RoutingEntryBase, MsiMessage {
  /** Discriminator. */
  readonly kind: 'msi';
  /** Entry flags. */
  readonly flags?: number;
}

/**
 * Every known entry kind by name. Plugins add kinds by augmenting this interface, e.g.
 * `declare module '@irqkit/core' { interface RoutingEntryKinds { hv_sint: HvSintEntry } }`,
 * and registering a {@link RouteKind} for it.
 */
export interface RoutingEntryKinds {
  /** A controller pin. */
  irqchip: IrqchipRoutingEntry;
  /** A message. */
  msi: MsiRoutingEntry;
}

/** Any routing entry. */
export type RoutingEntry = RoutingEntryKinds[keyof RoutingEntryKinds];
