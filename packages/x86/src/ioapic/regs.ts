/**
 * IOAPIC register decoding (spec/x86.md §2.1–2.3): the MMIO window, the indirect registers
 * and the redirection-entry bit layout. What accesses *do* lives in `ioapic.ts`.
 */

/** Default (and, in KVM, fixed) base address of the IOAPIC window. */
export const IOAPIC_DEFAULT_BASE: number = 0xfec00000;
/** Size of the MMIO window (`IOAPIC_MEM_LENGTH`). */
export const IOAPIC_MEM_LENGTH: number = 0x100;
// Hot-path values as `const enum`s (internal): the bundler writes members as literals, a
// module-level constant stays a variable load in V8's optimised code. The exported constants
// take their values from here.

/** Pin numbers. */
export const enum IoapicPin {
  Count = 24,
  Rtc = 8,
}

/** Redirection-entry bits and shifts (§2.3). */
export const enum Rte {
  Vector = 0xff,
  DeliveryModeShift = 8,
  DestLogical = 1 << 11,
  DeliveryStatus = 1 << 12,
  Polarity = 1 << 13,
  RemoteIrr = 1 << 14,
  Level = 1 << 15,
  Masked = 1 << 16,
  DestShift = 24,
}

/** Number of input pins (`KVM_IOAPIC_NUM_PINS`). */
export const IOAPIC_NUM_PINS: number = IoapicPin.Count;
/** The RTC's pin (`RTC_GSI`, X86-2.16). */
export const RTC_PIN: number = IoapicPin.Rtc;
/** Successive level re-triggers before the storm guard delays (`IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT`). */
export const IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT: number = 10000;
/** Delay of the storm guard's re-service: HZ / 100 = 10 ms, in nanoseconds. */
export const IOAPIC_EOI_INJECT_DELAY_NS: number = 10_000_000;

/** What an MMIO offset (mod 0x100) of the window is. */
export type IoapicMmioRegister = 'IOREGSEL' | 'IOWIN' | 'EOI';

/** One row of the MMIO map. */
export interface IoapicMmioRow {
  /** Offset within the window. */
  readonly offset: number;
  /** Register name. */
  readonly name: IoapicMmioRegister;
  /** Bits used. */
  readonly width: number;
  /** Access: R/W, or W for the EOI register. */
  readonly access: 'rw' | 'w';
  /** Only present on this IOAPIC version (EOI: 0x20). */
  readonly version?: number;
}

/** The MMIO window (every other offset reads 0 and ignores writes). */
export const IOAPIC_MMIO_MAP: readonly IoapicMmioRow[] = Object.freeze([
  { offset: 0x00, name: 'IOREGSEL', width: 8, access: 'rw' },
  { offset: 0x10, name: 'IOWIN', width: 32, access: 'rw' },
  { offset: 0x40, name: 'EOI', width: 8, access: 'w', version: 0x20 },
]);

/** Decodes an MMIO address (any address; KVM masks it to its low byte, X86-2.1). */
export function ioapicMmioRegister(address: number, version: number): IoapicMmioRegister | null {
  const off = address & 0xff;
  for (const row of IOAPIC_MMIO_MAP) {
    if (row.offset === off && (row.version === undefined || row.version === version))
      return row.name;
  }
  return null;
}

/** An indirect register selected by IOREGSEL. */
export type IoapicIndirect =
  | { readonly kind: 'id' }
  | { readonly kind: 'version' }
  | { readonly kind: 'arbitration' }
  | { readonly kind: 'redir'; readonly pin: number; readonly high: boolean }
  | { readonly kind: 'none' };

/** Indirect register index 0x00: ID. */
export const IOAPIC_REG_ID: number = 0x00;
/** Indirect register index 0x01: Version. */
export const IOAPIC_REG_VERSION: number = 0x01;
/** Indirect register index 0x02: Arbitration ID. */
export const IOAPIC_REG_ARB_ID: number = 0x02;
/** First redirection-table index. */
export const IOAPIC_REG_REDTBL: number = 0x10;

// The registers without a pin, decoded to shared objects (the decode allocates only for a pin).
const SEL_ID: IoapicIndirect = Object.freeze({ kind: 'id' });
const SEL_VERSION: IoapicIndirect = Object.freeze({ kind: 'version' });
const SEL_ARBITRATION: IoapicIndirect = Object.freeze({ kind: 'arbitration' });
const SEL_NONE: IoapicIndirect = Object.freeze({ kind: 'none' });

/**
 * Decodes an IOREGSEL value (X86-2.2 table). Indexes 0x03–0x0F and 0x40–0xFF are decoded by
 * KVM as a redirection index ≥ 24: they read as all ones and ignore writes.
 */
export function decodeIoregsel(sel: number): IoapicIndirect {
  if (sel === IOAPIC_REG_ID) return SEL_ID;
  if (sel === IOAPIC_REG_VERSION) return SEL_VERSION;
  if (sel === IOAPIC_REG_ARB_ID) return SEL_ARBITRATION;
  const index = (sel - IOAPIC_REG_REDTBL) >> 1;
  if (sel < IOAPIC_REG_REDTBL || index >= IOAPIC_NUM_PINS) return SEL_NONE;
  return { kind: 'redir', pin: index, high: (sel & 1) === 1 };
}

// ---- redirection entry (X86 §2.3), kept as two 32-bit halves -----------------------------

/** Low half bits 7:0: vector. */
export const RTE_VECTOR: number = Rte.Vector;
/** Low half bits 10:8: delivery mode. */
export const RTE_DELIVERY_MODE_SHIFT: number = Rte.DeliveryModeShift;
/** Low half bit 11: destination mode (1 = logical). */
export const RTE_DEST_LOGICAL: number = Rte.DestLogical;
/** Low half bit 12: delivery status (read-only, always 0 in KVM). */
export const RTE_DELIVERY_STATUS: number = Rte.DeliveryStatus;
/** Low half bit 13: polarity (stored, ignored). */
export const RTE_POLARITY: number = Rte.Polarity;
/** Low half bit 14: remote IRR (read-only). */
export const RTE_REMOTE_IRR: number = Rte.RemoteIrr;
/** Low half bit 15: trigger mode (1 = level). */
export const RTE_LEVEL: number = Rte.Level;
/** Low half bit 16: mask. */
export const RTE_MASKED: number = Rte.Masked;
/** High half bits 31:24 (entry bits 63:56): destination. */
export const RTE_DEST_SHIFT: number = Rte.DestShift;
/** Reset value of the low half (mask = 1). */
export const RTE_RESET_LO: number = RTE_MASKED;

/** Decoded fields of a redirection entry. */
export interface RedirectionEntry {
  /** Vector, bits 7:0. */
  readonly vector: number;
  /** Delivery mode, bits 10:8. */
  readonly deliveryMode: number;
  /** Destination mode: 0 physical, 1 logical. */
  readonly destMode: number;
  /** Delivery status (always 0 here). */
  readonly deliveryStatus: number;
  /** Polarity (stored; level 1 always means asserted). */
  readonly polarity: number;
  /** Remote IRR. */
  readonly remoteIrr: number;
  /** Trigger mode: 0 edge, 1 level. */
  readonly trigger: number;
  /** Mask bit. */
  readonly masked: boolean;
  /** Reserved bits 55:17, as stored (KVM keeps whatever was written). */
  readonly reserved: bigint;
  /** Destination, bits 63:56. */
  readonly dest: number;
}

/** Decodes an entry's two halves. */
export function decodeRte(lo: number, hi: number): RedirectionEntry {
  return {
    vector: lo & RTE_VECTOR,
    deliveryMode: (lo >>> RTE_DELIVERY_MODE_SHIFT) & 7,
    destMode: (lo >>> 11) & 1,
    deliveryStatus: (lo >>> 12) & 1,
    polarity: (lo >>> 13) & 1,
    remoteIrr: (lo >>> 14) & 1,
    trigger: (lo >>> 15) & 1,
    masked: (lo & RTE_MASKED) !== 0,
    reserved: (((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)) >> 17n) & ((1n << 39n) - 1n),
    dest: hi >>> RTE_DEST_SHIFT,
  };
}

/** Encodes the fields a guest programs into the low half. */
export function encodeRteLow(fields: {
  readonly vector: number;
  readonly deliveryMode?: number;
  readonly destMode?: number;
  readonly polarity?: number;
  readonly trigger?: number;
  readonly masked?: boolean;
}): number {
  return (
    ((fields.vector & 0xff) |
      (((fields.deliveryMode ?? 0) & 7) << 8) |
      (((fields.destMode ?? 0) & 1) << 11) |
      (((fields.polarity ?? 0) & 1) << 13) |
      (((fields.trigger ?? 0) & 1) << 15) |
      (fields.masked === true ? RTE_MASKED : 0)) >>>
    0
  );
}
