/**
 * The APIC-bus message: the fields an IOAPIC entry, an MSI or an ICR write produce
 * (KVM's `struct kvm_lapic_irq`). Messages travel as plain numbers, never as objects, so
 * delivery allocates nothing.
 */

// The field values as `const enum`s (internal) for the delivery paths: the bundler writes
// enum members as literals, whereas a module-level constant stays a variable load in V8's
// optimised code (≈5% of an IOAPIC or MSI cycle). The exported constants take their values
// from here.

/** Delivery modes (data bits 10:8, ICR bits 10:8, RTE bits 10:8). */
export const enum DeliveryMode {
  Fixed = 0,
  Lowest = 1,
  Smi = 2,
  RemoteRead = 3,
  Nmi = 4,
  Init = 5,
  Startup = 6,
  ExtInt = 7,
}

/** Destination modes. */
export const enum DestMode {
  Physical = 0,
  Logical = 1,
}

/** ICR destination shorthands. */
export const enum Shorthand {
  None = 0,
  Self = 1,
  AllIncludingSelf = 2,
  AllButSelf = 3,
}

/**
 * The bus's "cannot resolve without sleeping" result: core's `WOULD_BLOCK` (−EWOULDBLOCK),
 * written in place on the injection path (an imported binding is a cell load at every use;
 * a const enum cannot cross packages, so a test pins it to core's value).
 */
export const enum BusResult {
  WouldBlock = -11,
}

/** Broadcast destinations. */
export const enum ApicDest {
  Broadcast = 0xff,
  X2apicBroadcast = 0xffffffff,
}

/** Delivery mode 000: fixed. */
export const DM_FIXED: number = DeliveryMode.Fixed;
/** Delivery mode 001: lowest priority. */
export const DM_LOWEST: number = DeliveryMode.Lowest;
/** Delivery mode 010: SMI. */
export const DM_SMI: number = DeliveryMode.Smi;
/** Delivery mode 011: reserved; KVM's "remote read", a paravirtual unhalt kick. */
export const DM_REMRD: number = DeliveryMode.RemoteRead;
/** Delivery mode 100: NMI. */
export const DM_NMI: number = DeliveryMode.Nmi;
/** Delivery mode 101: INIT. */
export const DM_INIT: number = DeliveryMode.Init;
/** Delivery mode 110: start-up (SIPI). */
export const DM_STARTUP: number = DeliveryMode.Startup;
/** Delivery mode 111: ExtINT. */
export const DM_EXTINT: number = DeliveryMode.ExtInt;

/** Destination mode 0: physical. */
export const DEST_PHYSICAL: number = DestMode.Physical;
/** Destination mode 1: logical. */
export const DEST_LOGICAL: number = DestMode.Logical;

/** ICR destination shorthand 00: none (use the destination field). */
export const SH_NONE: number = Shorthand.None;
/** ICR destination shorthand 01: self. */
export const SH_SELF: number = Shorthand.Self;
/** ICR destination shorthand 10: all including self. */
export const SH_ALL_INC: number = Shorthand.AllIncludingSelf;
/** ICR destination shorthand 11: all excluding self. */
export const SH_ALL_BUT: number = Shorthand.AllButSelf;

/** The xAPIC broadcast destination. */
export const APIC_BROADCAST: number = ApicDest.Broadcast;
/** The x2APIC broadcast destination. */
export const X2APIC_BROADCAST: number = ApicDest.X2apicBroadcast;

/** Posted-interrupt notification vector (POSTED_INTR_VECTOR). */
export const POSTED_INTR_VECTOR: number = 0xf2;
/** Posted-interrupt wakeup vector (POSTED_INTR_WAKEUP_VECTOR). */
export const POSTED_INTR_WAKEUP_VECTOR: number = 0xf1;
/** Nested posted-interrupt vector (POSTED_INTR_NESTED_VECTOR). */
export const POSTED_INTR_NESTED_VECTOR: number = 0xf0;

/** Names of the delivery modes, for traces and errors. */
export const DELIVERY_MODE_NAMES: readonly string[] = [
  'fixed',
  'lowest-priority',
  'smi',
  'remote-read',
  'nmi',
  'init',
  'startup',
  'extint',
];
