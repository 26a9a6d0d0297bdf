/**
 * XICS numbers, bit layouts and return codes (spec/power.md §0.4, §1, §2, §5, §9), after
 * torvalds/linux `arch/powerpc/kvm/book3s_xics.h`, `arch/powerpc/include/uapi/asm/kvm.h` and
 * `arch/powerpc/include/asm/hvcall.h`. Layouts are defined here once; behaviour lives elsewhere.
 */

/**
 * The numbers of this file that the injection and hcall paths use, as a const enum: the
 * compiler writes a member in place, where a module-level constant is a memory load (and a
 * check) at every use in the bundled code. The exported constants take their values from it.
 */
export const enum XicsNum {
  IcsShift = 10,
  IrqPerIcs = 1 << IcsShift,
  MaxIcsId = 1023,
  NrIrqs = (MaxIcsId + 1) * IrqPerIcs,
  XicsIpi = 2,
  Masked = 0xff,
  HEoi = 0x64,
  HCppr = 0x68,
  HIpi = 0x6c,
  HXirr = 0x74,
}

/** The P and Q bits of a source's state (see {@link PQ_PRESENTED}), written in place. */
export const enum Pq {
  Presented = 1,
  Queued = 2,
}

// ---- interrupt numbers (§1) ----------------------------------------------------------------

/** Bits of the source index inside an ICS (`KVMPPC_XICS_ICS_SHIFT`). */
export const ICS_SHIFT: 10 = XicsNum.IcsShift;
/** Sources per ICS (`KVMPPC_XICS_IRQ_PER_ICS`). */
export const IRQ_PER_ICS: number = XicsNum.IrqPerIcs;
/** Highest ICS id (`KVMPPC_XICS_MAX_ICS_ID`), the "BUID" of seed 003. */
export const MAX_ICS_ID: 1023 = XicsNum.MaxIcsId;
/** Number of global interrupt numbers (`KVMPPC_XICS_NR_IRQS`, 1024 · 1024). */
export const NR_IRQS: number = XicsNum.NrIrqs;
/** Lowest number a source can be created for (`KVMPPC_XICS_FIRST_IRQ`, PWR-1.2). */
export const FIRST_IRQ = 16;
/** The XISR value that stands for the MFRR (`XICS_IPI`). */
export const XICS_IPI: 2 = XicsNum.XicsIpi;
/** Priority that masks a source and means "nothing" in PPRI and MFRR (`MASKED`). */
export const MASKED: 0xff = XicsNum.Masked;

/**
 * Splits a global interrupt number into its ICS id (BUID) and source index (PWR-1.1).
 * @returns null when the number belongs to no ICS (`irq ≥ 0x100000`, or not a u32).
 */
export function decodeIrq(irq: number): { readonly icsId: number; readonly src: number } | null {
  if (!Number.isInteger(irq) || irq < 0 || irq >= NR_IRQS) return null;
  return { icsId: irq >>> ICS_SHIFT, src: irq & (IRQ_PER_ICS - 1) };
}

// ---- per-source state (§2) ----------------------------------------------------------------

/** P: an occurrence is outstanding (MSI) / the input is asserted (LSI) (`PQ_PRESENTED`). */
export const PQ_PRESENTED: 1 = Pq.Presented;
/** Q: another MSI occurrence arrived while P was set (`PQ_QUEUED`). */
export const PQ_QUEUED: 2 = Pq.Queued;

// ---- hypercalls (§5) ----------------------------------------------------------------------

/** H_EOI: r4 = XIRR. */
export const H_EOI: 0x64 = XicsNum.HEoi;
/** H_CPPR: r4 = new CPPR. */
export const H_CPPR: 0x68 = XicsNum.HCppr;
/** H_IPI: r4 = server, r5 = MFRR. */
export const H_IPI: 0x6c = XicsNum.HIpi;
/** H_IPOLL: r4 = server; returns r4 = its XIRR, r5 = its MFRR. */
export const H_IPOLL = 0x70;
/** H_XIRR: returns r4 = XIRR (accepting the pending interrupt). */
export const H_XIRR: 0x74 = XicsNum.HXirr;
/** H_XIRR_X: as H_XIRR, plus r5 = timebase. */
export const H_XIRR_X = 0x2fc;
/** H_RTAS: KVM/QEMU private hcall; r4 = guest address of the RTAS argument block (PWR-6.2). */
export const H_RTAS = 0xf000;
/** The six XICS hypercalls KVM handles in the kernel (`default_hcall_list`). */
export const XICS_HCALLS: readonly number[] = Object.freeze([
  H_EOI,
  H_CPPR,
  H_IPI,
  H_IPOLL,
  H_XIRR,
  H_XIRR_X,
]);

/** Hcall return code: success. */
export const H_SUCCESS = 0;
/** Hcall return code: XICS exists but the vCPU has no ICP. */
export const H_HARDWARE = -1;
/** Hcall return code: bad server (H_IPI, H_IPOLL) or unknown ICS (H_EOI, virtual mode). */
export const H_PARAMETER = -4;
/** Internal: real mode asks virtual mode to finish; never seen by the guest. */
export const H_TOO_HARD = 9999;

/** RTAS status: success. */
export const RTAS_SUCCESS = 0;
/** RTAS status: parameter error. */
export const RTAS_PARAMETER_ERROR = -3;
/** Size of the RTAS argument array (`args[16]`, shared by args and rets). */
export const RTAS_MAX_ARGS = 16;
/** The RTAS names KVM implements in the kernel (PWR-6.1). */
export const RTAS_NAMES: readonly RtasName[] = Object.freeze([
  'ibm,set-xive',
  'ibm,get-xive',
  'ibm,int-off',
  'ibm,int-on',
]);
/** An RTAS function KVM can handle in the kernel. */
export type RtasName = 'ibm,set-xive' | 'ibm,get-xive' | 'ibm,int-off' | 'ibm,int-on';
/** QEMU's tokens for the four names (`RTAS_TOKEN_BASE` 0x2000 + 0x0A … 0x0D). */
export const QEMU_RTAS_TOKENS: Readonly<Record<RtasName, number>> = Object.freeze({
  'ibm,set-xive': 0x200a,
  'ibm,get-xive': 0x200b,
  'ibm,int-off': 0x200c,
  'ibm,int-on': 0x200d,
});

// ---- real-mode actions (§8) ---------------------------------------------------------------

/** `XICS_RM_KICK_VCPU`: wake a non-running vCPU from virtual mode. */
export const RM_KICK_VCPU = 0x1;
/** `XICS_RM_CHECK_RESEND`: honoured by virtual mode, never set by current real-mode code. */
export const RM_CHECK_RESEND = 0x2;
/** `XICS_RM_NOTIFY_EOI`: run the irq-ack notifiers from virtual mode. */
export const RM_NOTIFY_EOI = 0x8;

// ---- userspace interface (§9) -------------------------------------------------------------

/** `KVM_DEV_TYPE_XICS`. */
export const KVM_DEV_TYPE_XICS = 3;
/** `KVM_CAP_IRQ_XICS`. */
export const KVM_CAP_IRQ_XICS = 92;
/** Device attribute group of source words (`KVM_DEV_XICS_GRP_SOURCES`). */
export const KVM_DEV_XICS_GRP_SOURCES = 1;
/** Control group; only XICS-on-XIVE implements it (`KVM_DEV_XICS_GRP_CTRL`). */
export const KVM_DEV_XICS_GRP_CTRL = 2;

/** Source word: destination server, bits 31..0. */
export const KVM_XICS_DESTINATION_MASK = 0xffffffffn;
/** Source word: priority field shift (bits 39..32). */
export const KVM_XICS_PRIORITY_SHIFT = 32n;
/** Source word: level-sensitive source (bit 40). */
export const KVM_XICS_LEVEL_SENSITIVE: bigint = 1n << 40n;
/** Source word: masked (bit 41). */
export const KVM_XICS_MASKED: bigint = 1n << 41n;
/** Source word: pending (bit 42). */
export const KVM_XICS_PENDING: bigint = 1n << 42n;
/** Source word: P (bit 43). */
export const KVM_XICS_PRESENTED: bigint = 1n << 43n;
/** Source word: Q (bit 44). */
export const KVM_XICS_QUEUED: bigint = 1n << 44n;

/** ICP one_reg word (`KVM_REG_PPC_ICP_STATE`): CPPR shift (bits 63..56). */
export const KVM_REG_PPC_ICP_CPPR_SHIFT = 56n;
/** ICP word: XISR shift (bits 55..32). */
export const KVM_REG_PPC_ICP_XISR_SHIFT = 32n;
/** ICP word: XISR mask. */
export const KVM_REG_PPC_ICP_XISR_MASK = 0xffffffn;
/** ICP word: MFRR shift (bits 31..24). */
export const KVM_REG_PPC_ICP_MFRR_SHIFT = 24n;
/** ICP word: PPRI shift (bits 23..16). */
export const KVM_REG_PPC_ICP_PPRI_SHIFT = 16n;

/** Largest value of a 64-bit register or word. */
export const U64_MAX: bigint = (1n << 64n) - 1n;
