import type { CostConstant } from './constant.js';
import * as arm from './constants-arm.js';
import * as host from './constants-host.js';
import * as power from './constants-power.js';
import * as x86 from './constants-x86.js';

/**
 * One machine the figures were measured on: its clock (to turn cycles into time) and the
 * named constants. spec/costs.md: pick one platform per architecture; do not mix columns.
 */
export interface Platform {
  /** Architecture the platform prices (`Machine.arch`). */
  readonly arch: string;
  /** Platform id, e.g. `x86-skylake-sp`. */
  readonly name: string;
  /** One line: CPU, hypervisor configuration. */
  readonly description: string;
  /** Clock used to convert cycles to nanoseconds. */
  readonly cpuGHz: number;
  /** Where the clock figure comes from. */
  readonly cpuGHzNote: string;
  /** The constants by name. */
  readonly constants: Readonly<Record<string, CostConstant>>;
}

const HOST_CONSTANTS: Record<string, CostConstant> = {
  HOST_IRQ_NS: host.HOST_IRQ_NS,
  HOST_WORK_ITEM_NS: host.HOST_WORK_ITEM_NS,
  HOST_WAKEUP_NS: host.HOST_WAKEUP_NS,
};

const X86_CONSTANTS: Record<string, CostConstant> = {
  X86_EXIT_NULL: x86.X86_EXIT_NULL,
  X86_EXIT_KERNEL_IO: x86.X86_EXIT_KERNEL_IO,
  X86_EXIT_USERSPACE: x86.X86_EXIT_USERSPACE,
  X86_EOI_EXIT: x86.X86_EOI_EXIT,
  X86_VIPI_EXIT_PATH: x86.X86_VIPI_EXIT_PATH,
  X86_VIPI_FASTPATH: x86.X86_VIPI_FASTPATH,
  X86_VIPI_IPIV_X2APIC: x86.X86_VIPI_IPIV_X2APIC,
  X86_TIMER_DEADLINE: x86.X86_TIMER_DEADLINE,
  X86_KICK_IPI: x86.X86_KICK_IPI,
  X86_POSTED_DELIVERY: x86.X86_POSTED_DELIVERY,
  X86_RESAMPLE_UNMASK: x86.X86_RESAMPLE_UNMASK,
  X86_HALT_POLL_SAVE_NS: x86.X86_HALT_POLL_SAVE_NS,
  ...HOST_CONSTANTS,
};

/**
 * x86 default platform: Skylake-SP class server, KVM 5.x, Intel VMX (spec/costs.md
 * "Recommended default cost model").
 */
export const X86_SKYLAKE_SP: Platform = {
  arch: 'x86',
  name: 'x86-skylake-sp',
  description: 'Skylake-SP class Xeon, KVM 5.x (VMX); E5-2450 rows where no Skylake figure exists',
  cpuGHz: 2.5,
  cpuGHzNote: 'E: the PVIPI Skylake server runs at 2.5 GHz; PMU20 does not state its clock',
  constants: X86_CONSTANTS,
};

const ARM_CONSTANTS: Record<string, CostConstant> = {
  ARM_EXIT_NULL: arm.ARM_EXIT_NULL,
  ARM_VGIC_SAVE_RESTORE: arm.ARM_VGIC_SAVE_RESTORE,
  ARM_EXIT_KERNEL_IO: arm.ARM_EXIT_KERNEL_IO,
  ARM_EXIT_USERSPACE: arm.ARM_EXIT_USERSPACE,
  ARM_VIPI: arm.ARM_VIPI,
  ARM_GICD_TRAP: arm.ARM_GICD_TRAP,
  ARM_VIRQ_EOI_NOTRAP: arm.ARM_VIRQ_EOI_NOTRAP,
  ARM_HW_ACTIVE_WRITE: arm.ARM_HW_ACTIVE_WRITE,
  ARM_MAINT_IRQ_EXIT: arm.ARM_MAINT_IRQ_EXIT,
  ARM_RESAMPLE_UNMASK: arm.ARM_RESAMPLE_UNMASK,
  ARM_KICK_IPI: arm.ARM_KICK_IPI,
  ARM_GICV4_RESIDENT: arm.ARM_GICV4_RESIDENT,
  ...HOST_CONSTANTS,
};

/** ARM default platform: split-mode (non-VHE) KVM/arm64, GICv2/v3 without v4 figures. */
export const ARM_SPLIT_MODE: Platform = {
  arch: 'arm',
  name: 'arm-split-mode',
  description: 'split-mode KVM/arm64 (X-Gene / Seattle figures), GICv2/v3',
  cpuGHz: 2.4,
  cpuGHzNote: 'E: APM X-Gene (ISCA16) nominal clock; Seattle (ATC17) runs at 2.0 GHz',
  constants: ARM_CONSTANTS,
};

function vhe(base: CostConstant, value: number): CostConstant {
  return { ...base, value, note: `ATC17 el2Linux (VHE-style) column; split mode: ${base.value}` };
}

/** ARM alternative: the VHE-style ("el2Linux") column of ATC17 where it has one. */
export const ARM_VHE: Platform = {
  arch: 'arm',
  name: 'arm-vhe',
  description: 'VHE-style KVM/arm64 (ATC17 el2Linux column), other rows as split mode',
  cpuGHz: 2.0,
  cpuGHzNote: 'E: AMD Seattle (Cortex-A57) nominal clock',
  constants: {
    ...ARM_CONSTANTS,
    ARM_EXIT_NULL: vhe(arm.ARM_EXIT_NULL, 752),
    ARM_EXIT_KERNEL_IO: vhe(arm.ARM_EXIT_KERNEL_IO, 1604),
    ARM_EXIT_USERSPACE: vhe(arm.ARM_EXIT_USERSPACE, 7630),
    ARM_VIPI: vhe(arm.ARM_VIPI, 2526),
  },
};

/** POWER default platform: POWER9 radix guest on a radix host, 2021 kernels (P9PERF). */
export const POWER9_RADIX: Platform = {
  arch: 'power',
  name: 'power9-radix',
  description: 'POWER9, radix guest + radix host, upstream 2021 entry/exit path',
  cpuGHz: 3.5,
  cpuGHzNote: 'E: P9PERF does not state the clock; typical POWER9 server nominal',
  constants: {
    PPC_HCALL_REALMODE: power.PPC_HCALL_REALMODE,
    PPC_HCALL_VIRTMODE: power.PPC_HCALL_VIRTMODE,
    PPC_XICS_RM_SAVING: power.PPC_XICS_RM_SAVING,
    PPC_KICK_EXIT: power.PPC_KICK_EXIT,
    ...HOST_CONSTANTS,
  },
};

/**
 * The conformance kit's reference plugin is not a real architecture: it is priced with the
 * x86 default platform's figures so its rows read like an x86 machine's.
 */
export const REFERENCE_PLATFORM: Platform = {
  ...X86_SKYLAKE_SP,
  arch: 'reference',
  name: 'reference-on-x86-figures',
  description: 'reference plugin, priced with the x86 Skylake-SP figures',
};

/** Every built-in platform by name; the first of each arch is its default. */
export const PLATFORMS: Readonly<Record<string, Platform>> = {
  [X86_SKYLAKE_SP.name]: X86_SKYLAKE_SP,
  [ARM_SPLIT_MODE.name]: ARM_SPLIT_MODE,
  [ARM_VHE.name]: ARM_VHE,
  [POWER9_RADIX.name]: POWER9_RADIX,
  [REFERENCE_PLATFORM.name]: REFERENCE_PLATFORM,
};

/** The default platform of `arch`, or undefined. */
export function defaultPlatform(arch: string): Platform | undefined {
  for (const p of Object.values(PLATFORMS)) if (p.arch === arch) return p;
  return undefined;
}
