/**
 * Local APIC register map (spec/x86.md §4.1): xAPIC MMIO offset → name, x2APIC MSR, access.
 * Decoding lives here; what a read or write does lives in `registers.ts`.
 */

/** The local APIC's guest-physical base address. */
export const APIC_DEFAULT_BASE: number = 0xfee00000;
/** Size of the xAPIC MMIO window. */
export const APIC_MMIO_LENGTH: number = 0x1000;
/** First x2APIC MSR (offset 0x000 ↔ MSR 0x800; MSR = 0x800 + offset / 16). */
export const X2APIC_MSR_BASE: number = 0x800;
/** `IA32_APIC_BASE` MSR. */
export const MSR_IA32_APICBASE: number = 0x1b;
// Hot-path bits as `const enum`s (internal): the bundler writes members as literals, a
// module-level constant stays a variable load in V8's optimised code. The exported constants
// take their values from here.

/** IA32_APIC_BASE bits. */
export const enum ApicBaseBit {
  Bsp = 1 << 8,
  X2apic = 1 << 10,
  Enable = 1 << 11,
}

/** Spurious-interrupt vector register bits. */
export const enum Spiv {
  ApicEnabled = 1 << 8,
  DirectedEoi = 1 << 12,
}

/** IA32_APIC_BASE bit 8: bootstrap processor. */
export const APIC_BASE_BSP: number = ApicBaseBit.Bsp;
/** IA32_APIC_BASE bit 10: x2APIC mode. */
export const APIC_BASE_X2APIC: number = ApicBaseBit.X2apic;
/** IA32_APIC_BASE bit 11: APIC globally (hardware) enabled. */
export const APIC_BASE_ENABLE: number = ApicBaseBit.Enable;

/** Local APIC version (bits 7:0 of the Version register; KVM's APIC_VERSION). */
export const APIC_VERSION: number = 0x14;
/** Version bit 24: directed EOI / suppress-EOI-broadcast supported (X86-4.16). */
export const APIC_LVR_DIRECTED_EOI: number = 1 << 24;
/** SPIV bit 8: APIC software enable. */
export const SPIV_APIC_ENABLED: number = Spiv.ApicEnabled;
/** SPIV bit 12: suppress EOI broadcast (directed EOI). */
export const SPIV_DIRECTED_EOI: number = Spiv.DirectedEoi;
/** LVT bit 16: masked. */
export const LVT_MASKED: number = 1 << 16;
/** ICR bit 12: delivery status (send pending); KVM always reads 0. */
export const ICR_BUSY: number = 1 << 12;
/** x2APIC ICR bits that must be 0 (X86-4.13): 31:20, 17:16 and 13. */
export const X2APIC_ICR_RESERVED_LO: number = 0xfff30000 | (1 << 13);

/** How a register responds to a guest access. */
export type RegAccess = 'rw' | 'ro' | 'wo' | 'none';

/** One row of the register map. */
export interface LapicRegister {
  /** xAPIC MMIO offset (16-byte aligned). */
  readonly offset: number;
  /** Name as in the SDM / KVM (`APIC_TASKPRI` → `'TPR'`). */
  readonly name: string;
  /** Access in xAPIC mode (MMIO). */
  readonly xapic: RegAccess;
  /** Access in x2APIC mode (MSR `0x800 + offset / 16`). */
  readonly x2apic: RegAccess;
}

function r(offset: number, name: string, xapic: RegAccess, x2apic: RegAccess): LapicRegister {
  return { offset, name, xapic, x2apic };
}

function range(first: number, count: number, name: string, access: RegAccess): LapicRegister[] {
  return Array.from({ length: count }, (_, i) =>
    r(first + i * 0x10, `${name}${i}`, access, access),
  );
}

/** The registers the model implements, by xAPIC offset. */
export const LAPIC_REGISTERS: readonly LapicRegister[] = Object.freeze([
  r(0x020, 'ID', 'rw', 'ro'),
  r(0x030, 'VERSION', 'ro', 'ro'),
  r(0x080, 'TPR', 'rw', 'rw'),
  r(0x090, 'APR', 'ro', 'none'),
  r(0x0a0, 'PPR', 'ro', 'ro'),
  r(0x0b0, 'EOI', 'wo', 'wo'),
  r(0x0d0, 'LDR', 'rw', 'ro'),
  r(0x0e0, 'DFR', 'rw', 'none'),
  r(0x0f0, 'SPIV', 'rw', 'rw'),
  ...range(0x100, 8, 'ISR', 'ro'),
  ...range(0x180, 8, 'TMR', 'ro'),
  ...range(0x200, 8, 'IRR', 'ro'),
  r(0x280, 'ESR', 'rw', 'rw'),
  r(0x300, 'ICR', 'rw', 'rw'),
  r(0x310, 'ICR2', 'rw', 'none'),
  r(0x320, 'LVTT', 'rw', 'rw'),
  r(0x330, 'LVTTHMR', 'rw', 'rw'),
  r(0x340, 'LVTPC', 'rw', 'rw'),
  r(0x350, 'LVT0', 'rw', 'rw'),
  r(0x360, 'LVT1', 'rw', 'rw'),
  r(0x370, 'LVTERR', 'rw', 'rw'),
  r(0x380, 'TMICT', 'rw', 'rw'),
  r(0x390, 'TMCCT', 'ro', 'ro'),
  r(0x3e0, 'TDCR', 'rw', 'rw'),
  r(0x3f0, 'SELF_IPI', 'none', 'wo'),
]);

const BY_OFFSET: ReadonlyMap<number, LapicRegister> = new Map(
  LAPIC_REGISTERS.map((reg) => [reg.offset, reg]),
);

/** The register at xAPIC `offset` (rounded down to 16 bytes), if the model implements it. */
export function lapicRegisterAt(offset: number): LapicRegister | undefined {
  return BY_OFFSET.get(offset & 0xff0);
}

/** The register behind x2APIC MSR `msr`, if any. */
export function lapicRegisterForMsr(msr: number): LapicRegister | undefined {
  if (msr < X2APIC_MSR_BASE || msr > 0x8ff) return undefined;
  return BY_OFFSET.get((msr - X2APIC_MSR_BASE) << 4);
}

/** LVT index (0 = LVTT … 5 = LVTERR) of an LVT offset, or −1. */
export function lvtIndex(offset: number): number {
  return offset >= 0x320 && offset <= 0x370 ? (offset - 0x320) >> 4 : -1;
}

/**
 * Writable bits per LVT entry (KVM `apic_lvt_mask`): vector, delivery status and mask for all;
 * plus delivery mode (thermal, PMC), plus polarity, remote IRR and trigger (LINT0/1), plus timer
 * mode bits 18:17 (timer).
 */
export const LVT_WRITE_MASKS: readonly number[] = Object.freeze([
  0x710ff, // LVTT: vector, status, mask, timer mode
  0x117ff, // thermal: + delivery mode
  0x117ff, // PMC: + delivery mode
  0x1f7ff, // LINT0: + mode, polarity, remote IRR, trigger
  0x1f7ff, // LINT1
  0x110ff, // error: vector, status, mask
]);
