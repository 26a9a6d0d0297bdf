import type { CostConstant } from './constant.js';

// POWER figures (spec/costs.md "POWER"): cycles of a POWER9 radix host, 2021 kernels.

/**
 * Guest → `try_real_mode` hcall handler → guest: the proxy for real-mode hcall and interrupt
 * handlers. P9PERF (POWER9 radix), M.
 */
export const PPC_HCALL_REALMODE: CostConstant = {
  value: 509,
  unit: 'cycles',
  status: 'M',
  source: 'P9PERF',
  note: 'POWER9 radix guest + radix host, Meltdown mitigations off',
};

/**
 * NULL hcall through a full exit to host kernel context: the proxy for virtual-mode hcalls,
 * upstream 2021. P9PERF, M.
 */
export const PPC_HCALL_VIRTMODE: CostConstant = {
  value: 9587,
  unit: 'cycles',
  status: 'M',
  source: 'P9PERF',
  note: 'optimised series: 5,754; v3: about 4,700 (P9OPT)',
};

/** Real-mode saving per XICS hcall: `PPC_HCALL_VIRTMODE − PPC_HCALL_REALMODE`. D. */
export const PPC_XICS_RM_SAVING: CostConstant = {
  value: 9587 - 509,
  unit: 'cycles',
  status: 'D',
  source: 'P9PERF',
  note: 'informational; the model charges the two hcall figures directly',
};

/**
 * A running vCPU interrupted by a host-side kick (an irqfd or `KVM_IRQ_LINE` injection for a
 * vCPU that is on a hardware thread): it exits to the host and re-enters with the interrupt
 * pending. No figure published; priced as a full exit to host kernel context. E.
 */
export const PPC_KICK_EXIT: CostConstant = {
  value: 9587,
  unit: 'cycles',
  status: 'E',
  source: 'estimate',
  note: 'alias of PPC_HCALL_VIRTMODE: a full exit and re-entry',
  ref: 'PPC_HCALL_VIRTMODE',
};
