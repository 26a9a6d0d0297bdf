/**
 * The APIC-bus message: the fields an IOAPIC entry, an MSI or an ICR write produce
 * (KVM's `struct kvm_lapic_irq`). Messages travel as plain numbers, never as objects, so
 * delivery allocates nothing.
 */

/** Delivery mode 000: fixed. */
export const DM_FIXED: number = 0;
/** Delivery mode 001: lowest priority. */
export const DM_LOWEST: number = 1;
/** Delivery mode 010: SMI. */
export const DM_SMI: number = 2;
/** Delivery mode 011: reserved; KVM's "remote read", a paravirtual unhalt kick. */
export const DM_REMRD: number = 3;
/** Delivery mode 100: NMI. */
export const DM_NMI: number = 4;
/** Delivery mode 101: INIT. */
export const DM_INIT: number = 5;
/** Delivery mode 110: start-up (SIPI). */
export const DM_STARTUP: number = 6;
/** Delivery mode 111: ExtINT. */
export const DM_EXTINT: number = 7;

/** Destination mode 0: physical. */
export const DEST_PHYSICAL: number = 0;
/** Destination mode 1: logical. */
export const DEST_LOGICAL: number = 1;

/** ICR destination shorthand 00: none (use the destination field). */
export const SH_NONE: number = 0;
/** ICR destination shorthand 01: self. */
export const SH_SELF: number = 1;
/** ICR destination shorthand 10: all including self. */
export const SH_ALL_INC: number = 2;
/** ICR destination shorthand 11: all excluding self. */
export const SH_ALL_BUT: number = 3;

/** The xAPIC broadcast destination. */
export const APIC_BROADCAST: number = 0xff;
/** The x2APIC broadcast destination. */
export const X2APIC_BROADCAST: number = 0xffffffff;

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
