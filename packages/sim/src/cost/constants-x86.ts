import type { CostConstant } from './constant.js';

// x86 figures (spec/costs.md "x86" and "Recommended default cost model"): cycles of a
// Skylake-SP class server unless the entry says otherwise.

/** VM exit + entry round trip of a null `vmcall` (kvm-unit-tests `vmexit.flat`). PMU20, M. */
export const X86_EXIT_NULL: CostConstant = {
  value: 1559,
  unit: 'cycles',
  status: 'M',
  source: 'PMU20',
  note: 'null hypercall round trip, Skylake-SP, before the PMU patch (1,529 after)',
};

/** An exit handled in the host kernel ("I/O Kernel"). ATC17 Table 2 (Xeon E5-2450), M*. */
export const X86_EXIT_KERNEL_IO: CostConstant = {
  value: 2565,
  unit: 'cycles',
  status: 'M*',
  source: 'ATC17',
  note: 'E5-2450 figure (1.78x that paper’s 1,437 hypercall); not rescaled to Skylake',
};

/** An exit handled in host user space ("I/O User"). ATC17 Table 2 (Xeon E5-2450), M*. */
export const X86_EXIT_USERSPACE: CostConstant = {
  value: 6732,
  unit: 'cycles',
  status: 'M*',
  source: 'ATC17',
  note: 'E5-2450 figure (4.68x the same paper’s hypercall)',
};

/** Virtual IRQ completion: the guest's EOI write exits (no APICv). ISCA16 Table II, M*. */
export const X86_EOI_EXIT: CostConstant = {
  value: 1556,
  unit: 'cycles',
  status: 'M*',
  source: 'ISCA16',
  note: 'E5-2450 predates APICv (spec/costs.md inference); with APICv edge EOIs do not exit',
};

/** vIPI round trip (send → ack), no fastpath. IPIFP (Apr 2020), M. */
export const X86_VIPI_EXIT_PATH: CostConstant = {
  value: 4238,
  unit: 'cycles',
  status: 'M',
  source: 'IPIFP',
  note: 'vmexit.flat IPI test, Skylake server, adaptive halt-poll and timer advance off',
};

/** vIPI round trip with the "ultra fast" single-target IPI fastpath. IPIFP (Apr 2020), M. */
export const X86_VIPI_FASTPATH: CostConstant = {
  value: 3293,
  unit: 'cycles',
  status: 'M',
  source: 'IPIFP',
  note: 'same test as X86_VIPI_EXIT_PATH with the ultra fastpath',
};

/** vIPI round trip with IPI virtualization, x2APIC (4,338 without). IPIV, M. */
export const X86_VIPI_IPIV_X2APIC: CostConstant = {
  value: 3645,
  unit: 'cycles',
  status: 'M',
  source: 'IPIV',
  note: '2 vCPUs, target idle-loops without HLT; CPU model not named in the cover letter',
};

/** TSC-deadline timer with the timer fastpath (`tscdeadline`, no advance). TSCFP, M. */
export const X86_TIMER_DEADLINE: CostConstant = {
  value: 5285,
  unit: 'cycles',
  status: 'M',
  source: 'TSCFP',
  note: 'SKX server; 5,765.7 without the fastpath',
};

/**
 * The external-interrupt exit of a running target kicked by a host IPI. No separate figure
 * is published (spec/costs.md: NF); priced as a null exit. E.
 */
export const X86_KICK_IPI: CostConstant = {
  value: 1559,
  unit: 'cycles',
  status: 'E',
  source: 'estimate',
  note: 'alias of X86_EXIT_NULL: an IPI exit does no emulation',
  ref: 'X86_EXIT_NULL',
};

/**
 * A posted interrupt to a running vCPU: processed in guest mode, no exit (VT-d PI, APICv).
 * Architectural; no cycle figure published. E.
 */
export const X86_POSTED_DELIVERY: CostConstant = {
  value: 0,
  unit: 'cycles',
  status: 'E',
  source: 'estimate',
  note: 'posted-interrupt notification handled in non-root mode; 0 exits',
};

/**
 * What the resampling work costs in the EOI exit (ack notifier → resamplefd → VFIO unmask).
 * No figure published; priced as one more in-kernel exit's handling, as spec/costs.md does
 * for ARM (ARM_RESAMPLE_UNMASK). E.
 */
export const X86_RESAMPLE_UNMASK: CostConstant = {
  value: 2565,
  unit: 'cycles',
  status: 'E',
  source: 'estimate',
  note: 'alias of X86_EXIT_KERNEL_IO, by analogy with spec/costs.md ARM_RESAMPLE_UNMASK',
  ref: 'X86_EXIT_KERNEL_IO',
};

/**
 * What halt polling saves per wakeup: "a trip through the scheduler, normally on the order
 * of a few micro-seconds" (Documentation/virt/kvm/halt-polling.rst). HPOLL, E.
 */
export const X86_HALT_POLL_SAVE_NS: CostConstant = {
  value: 3000,
  unit: 'ns',
  status: 'E',
  source: 'HPOLL',
  note: '"a few micro-seconds", read as 3 µs',
};
