import type { CostConstant } from './constant.js';

// ARM figures (spec/costs.md "ARM" and "Recommended default cost model"): cycles of the
// split-mode (non-VHE) KVM machines the papers used; the VHE-style variants are the ATC17
// "el2Linux" column.

/** Hypercall round trip, split-mode KVM/arm64. ISCA16 Table II (APM X-Gene), M*. */
export const ARM_EXIT_NULL: CostConstant = {
  value: 6500,
  unit: 'cycles',
  status: 'M*',
  source: 'ISCA16',
  note: 'ATC17 (Seattle) measures 6,413; includes ARM_VGIC_SAVE_RESTORE',
};

/** Of the split-mode hypercall, the VGIC state save/restore. ISCA16 Table III, M*. */
export const ARM_VGIC_SAVE_RESTORE: CostConstant = {
  value: 3250,
  unit: 'cycles',
  status: 'M*',
  source: 'ISCA16',
  note: 'already included in ARM_EXIT_NULL; informational',
};

/** Exit handled in the host kernel, split mode. ATC17 Table 2 (AMD Seattle), M*. */
export const ARM_EXIT_KERNEL_IO: CostConstant = {
  value: 8034,
  unit: 'cycles',
  status: 'M*',
  source: 'ATC17',
  note: 'VHE-style (el2Linux): 1,604',
};

/** Exit handled in host user space, split mode. ATC17 Table 2, M*. */
export const ARM_EXIT_USERSPACE: CostConstant = {
  value: 10012,
  unit: 'cycles',
  status: 'M*',
  source: 'ATC17',
  note: 'VHE-style (el2Linux): 7,630',
};

/** Virtual IPI, split mode. ATC17 Table 2, M*. */
export const ARM_VIPI: CostConstant = {
  value: 13121,
  unit: 'cycles',
  status: 'M*',
  source: 'ATC17',
  note: 'VHE-style (el2Linux): 2,526',
};

/** Distributor (GICD) MMIO trap and emulation, KVM ARM. ISCA16 Table II, M*. */
export const ARM_GICD_TRAP: CostConstant = {
  value: 7370,
  unit: 'cycles',
  status: 'M*',
  source: 'ISCA16',
  note: 'Xen ARM: 1,356',
};

/** Guest EOI through the virtual CPU interface: no exit. ISCA16 Table II, M*. */
export const ARM_VIRQ_EOI_NOTRAP: CostConstant = {
  value: 71,
  unit: 'cycles',
  status: 'M*',
  source: 'ISCA16',
  note: 'virtual IRQ completion without a trap',
};

/**
 * Re-programming the physical active state of a forwarded (HW-mapped) IRQ on an entry, as
 * measured by caching it. TIMERAS (2 GHz GICv2), M.
 */
export const ARM_HW_ACTIVE_WRITE: CostConstant = {
  value: 700,
  unit: 'cycles',
  status: 'M',
  source: 'TIMERAS',
  note: '~700 cycles per null hypercall saved by active-state caching',
};

/**
 * A maintenance-interrupt exit: a physical IRQ exit plus the list-register fold. No figure
 * published; priced as an in-kernel exit (spec/costs.md). E.
 */
export const ARM_MAINT_IRQ_EXIT: CostConstant = {
  value: 8034,
  unit: 'cycles',
  status: 'E',
  source: 'estimate',
  note: 'alias of ARM_EXIT_KERNEL_IO (spec/costs.md)',
  ref: 'ARM_EXIT_KERNEL_IO',
};

/**
 * Ack notifier → resamplefd → VFIO unmask work. No figure published; priced as an in-kernel
 * exit (spec/costs.md). E.
 */
export const ARM_RESAMPLE_UNMASK: CostConstant = {
  value: 8034,
  unit: 'cycles',
  status: 'E',
  source: 'estimate',
  note: 'alias of ARM_EXIT_KERNEL_IO (spec/costs.md)',
  ref: 'ARM_EXIT_KERNEL_IO',
};

/**
 * The exit of a running vCPU kicked by a host IPI (physical IRQ exit, LR programming on
 * re-entry). Not published separately; priced as the null hypercall, as spec/costs.md
 * prices the x86 kick. E.
 */
export const ARM_KICK_IPI: CostConstant = {
  value: 6500,
  unit: 'cycles',
  status: 'E',
  source: 'estimate',
  note: 'alias of ARM_EXIT_NULL (by analogy with X86_KICK_IPI)',
  ref: 'ARM_EXIT_NULL',
};

/** GICv4 direct injection to a resident vPE: no exit. Architectural (KUNPENG), E. */
export const ARM_GICV4_RESIDENT: CostConstant = {
  value: 0,
  unit: 'cycles',
  status: 'E',
  source: 'KUNPENG',
  note: '"eliminates VM exit and entry overhead" (qualitative)',
};
