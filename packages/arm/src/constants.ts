/**
 * Numbers the GIC architecture and KVM's VGIC fix (arm.md §1, §2, §3.1), defined once.
 */

/**
 * INTID boundaries as a `const enum` (internal) for the hot paths: the bundler writes the
 * members in place, where a module-level `const` is a context-slot load and a small-integer
 * check at run time. The exported constants below take their values from it.
 */
export const enum Intid {
  /** SGIs are INTIDs 0..15. */
  NrSgis = 16,
  /** SGIs and PPIs: INTIDs 0..31. */
  NrPrivate = 32,
  /** The spurious INTID. */
  Spurious = 1023,
  /** The first LPI INTID. */
  MinLpi = 8192,
}

/** SGIs are INTIDs 0..15 (banked per vCPU). */
export const NR_SGIS: 16 = Intid.NrSgis;
/** SGIs and PPIs: INTIDs 0..31 are private to each vCPU. */
export const NR_PRIVATE_IRQS: 32 = Intid.NrPrivate;
/** The first LPI INTID. */
export const MIN_LPI: 8192 = Intid.MinLpi;
/** KVM caps LPI INTIDs at 16 ID bits. */
export const MAX_LPI_INTID = 0xffff;
/** The spurious INTID an acknowledge returns when nothing is signalled. */
export const SPURIOUS_INTID: 1023 = Intid.Spurious;
/** `KVM_IRQCHIP_NUM_PINS`: routing pins are `INTID − 32`, so 0..987 (ARM-1.3). */
export const IRQCHIP_NUM_PINS = 988;
/** `VGIC_NR_IRQS_LEGACY`: 256 IRQs when nothing is configured (ARM-1.2). */
export const DEFAULT_NR_SPIS = 224;
/** Only the top five priority bits are implemented (ARM-2.9). */
export const PRIORITY_MASK = 0xf8;
/** Idle running priority. */
export const IDLE_PRIORITY = 0xff;
/** KVM's product id 'K' and ARM's implementer code (GICD_IIDR, GICR_IIDR, GITS_IIDR). */
export const IIDR_KVM = 0x4b00043b;
/** GICv2 guests support at most 8 vCPUs (GICD_TYPER.CPUNumber has 3 bits). */
export const VGIC_V2_MAX_CPUS = 8;
/** `VGIC_V3_MAX_CPUS`. */
export const VGIC_V3_MAX_CPUS = 512;
/** The model's ceiling when KVM's limit is lifted (`exceedKvmVcpuLimit`). */
export const MODEL_MAX_CPUS = 4096;

/** Core's Delivery values the hot paths return, as a `const enum` (written in place). */
export const enum Dlv {
  /** `IGNORED`. */
  Ignored = -1,
}

/** List-register states as a `const enum` (internal, written in place like {@link Intid}). */
export const enum Lr {
  Invalid = 0,
  Pending = 1,
  Active = 2,
  PendingActive = 3,
}

/** List-register states (ICH_LR_EL2[63:62] / GICH_LR[29:28]). */
export const LR_INVALID: 0 = Lr.Invalid;
/** Pending. */
export const LR_PENDING: 1 = Lr.Pending;
/** Active. */
export const LR_ACTIVE: 2 = Lr.Active;
/** Pending and active. */
export const LR_PENDING_ACTIVE: 3 = Lr.PendingActive;

/*
 * ICH_HCR_EL2 and ICH_MISR_EL2 bits, defined once as `const enum`s (internal) for the model's
 * hot paths: the bundler writes enum members in place, where every `HCR.x` / `MISR.x` is a
 * property load at run time (a measurable share of a guest entry). The public `HCR` / `MISR`
 * objects take their values from them.
 */

/** ICH_HCR_EL2 bits (published as {@link HCR}). */
export const enum HcrBit {
  En = 0x1,
  UIE = 0x2,
  LRENPIE = 0x4,
  NPIE = 0x8,
  VGrp0EIE = 0x10,
  VGrp0DIE = 0x20,
  VGrp1EIE = 0x40,
  VGrp1DIE = 0x80,
  vSGIEOICount = 0x100,
  TC = 0x400,
  TALL0 = 0x800,
  TALL1 = 0x1000,
  TDIR = 0x4000,
}

/** ICH_MISR_EL2 bits (published as {@link MISR}). */
export const enum MisrBit {
  EOI = 0x1,
  U = 0x2,
  LRENP = 0x4,
  NP = 0x8,
  VGrp0E = 0x10,
  VGrp0D = 0x20,
  VGrp1E = 0x40,
  VGrp1D = 0x80,
}

/** The names of the ICH_HCR_EL2 bits in {@link HCR}. */
export type HcrBitName =
  | 'En'
  | 'UIE'
  | 'LRENPIE'
  | 'NPIE'
  | 'VGrp0EIE'
  | 'VGrp0DIE'
  | 'VGrp1EIE'
  | 'VGrp1DIE'
  | 'vSGIEOICount'
  | 'TC'
  | 'TALL0'
  | 'TALL1'
  | 'TDIR';

/** The names of the ICH_MISR_EL2 bits in {@link MISR}. */
export type MisrBitName = 'EOI' | 'U' | 'LRENP' | 'NP' | 'VGrp0E' | 'VGrp0D' | 'VGrp1E' | 'VGrp1D';

/** ICH_HCR_EL2 bits (arm.md §3.1). */
export const HCR: { readonly [K in HcrBitName]: number } = {
  En: HcrBit.En,
  UIE: HcrBit.UIE,
  LRENPIE: HcrBit.LRENPIE,
  NPIE: HcrBit.NPIE,
  VGrp0EIE: HcrBit.VGrp0EIE,
  VGrp0DIE: HcrBit.VGrp0DIE,
  VGrp1EIE: HcrBit.VGrp1EIE,
  VGrp1DIE: HcrBit.VGrp1DIE,
  vSGIEOICount: HcrBit.vSGIEOICount,
  TC: HcrBit.TC,
  TALL0: HcrBit.TALL0,
  TALL1: HcrBit.TALL1,
  TDIR: HcrBit.TDIR,
};

/** ICH_MISR_EL2 bits: why a maintenance interrupt is asserted (ARM-3.12). */
export const MISR: { readonly [K in MisrBitName]: number } = {
  EOI: MisrBit.EOI,
  U: MisrBit.U,
  LRENP: MisrBit.LRENP,
  NP: MisrBit.NP,
  VGrp0E: MisrBit.VGrp0E,
  VGrp0D: MisrBit.VGrp0D,
  VGrp1E: MisrBit.VGrp1E,
  VGrp1D: MisrBit.VGrp1D,
};
