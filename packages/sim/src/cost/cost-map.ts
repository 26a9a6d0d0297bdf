/**
 * Where a counter lives: `vcpu` — the plugin's per-vCPU set (`machine.vcpuCounters(v)`);
 * `machine` — the machine set (`machine.counters`, the core's `schedTasks`, …); `host` — the
 * host kernel's set (`machine.host.counters`: `hostIrqs`, VFIO events); `guest` — the
 * simulator's own per-vCPU guest-model events (`guest.halts`, `guest.wakeups`).
 */
export type CounterScope = 'vcpu' | 'machine' | 'host' | 'guest';

/** One term of a rule's price: `factor` × the named constant. */
export type CostTerm = readonly [constant: string, factor: number];

/**
 * How one counter is priced. Every increment of `counter` costs the sum of its terms, paid
 * by the vCPU (time stolen from the guest: it delays what that vCPU does next) or by a host
 * CPU (in parallel with the guest; on the delivery path it delays the interrupt).
 */
export interface CostRule {
  /** The counter's name, exactly as the plugin (or core, or the simulator) counts it. */
  readonly counter: string;
  /** Which counter set it is read from. */
  readonly scope: CounterScope;
  /** The price of one increment: a constant's name, or a sum of weighted terms. */
  readonly cost: string | readonly CostTerm[];
  /**
   * Who pays: `vcpu` — the vCPU the counter belongs to (for `machine` / `host` counters, the
   * vCPU whose action caused it); `host` — a host CPU.
   */
  readonly on: 'vcpu' | 'host';
  /** Counts as one guest exit with this reason (for "exits per interrupt by reason"). */
  readonly exit?: string;
}

/** An architecture's counter → constant map: data, not code, so presets can share it. */
export interface CostMap {
  /** Architecture name, as `Machine.arch`. */
  readonly arch: string;
  /** The rules, in report order. Counters not listed are reported but not priced. */
  readonly rules: readonly CostRule[];
}

/** The rules every architecture shares: core plumbing, host work, guest-model events. */
function commonRules(exitNull: string): CostRule[] {
  return [
    { counter: 'hostIrqs', scope: 'host', cost: 'HOST_IRQ_NS', on: 'host' },
    { counter: 'schedTasks', scope: 'machine', cost: 'HOST_WORK_ITEM_NS', on: 'host' },
    { counter: 'guest.halts', scope: 'guest', cost: exitNull, on: 'vcpu', exit: 'halt' },
    { counter: 'guest.wakeups', scope: 'guest', cost: 'HOST_WAKEUP_NS', on: 'vcpu' },
  ];
}

function x86Rules(haltCost: string): CostRule[] {
  return [
    { counter: 'exits.kick', scope: 'vcpu', cost: 'X86_KICK_IPI', on: 'vcpu', exit: 'kick' },
    { counter: 'exits.eoi', scope: 'vcpu', cost: 'X86_EOI_EXIT', on: 'vcpu', exit: 'eoi' },
    { counter: 'exits.mmio', scope: 'vcpu', cost: 'X86_EXIT_KERNEL_IO', on: 'vcpu', exit: 'mmio' },
    { counter: 'exits.pio', scope: 'vcpu', cost: 'X86_EXIT_KERNEL_IO', on: 'vcpu', exit: 'pio' },
    { counter: 'exits.msr', scope: 'vcpu', cost: 'X86_EXIT_NULL', on: 'vcpu', exit: 'msr' },
    {
      counter: 'exits.apicWrite',
      scope: 'vcpu',
      cost: 'X86_EXIT_NULL',
      on: 'vcpu',
      exit: 'apicWrite',
    },
    {
      counter: 'exits.irqWindow',
      scope: 'vcpu',
      cost: 'X86_EXIT_NULL',
      on: 'vcpu',
      exit: 'irqWindow',
    },
    {
      counter: 'exits.tprBelowThreshold',
      scope: 'vcpu',
      cost: 'X86_EXIT_NULL',
      on: 'vcpu',
      exit: 'tpr',
    },
    ...['userspace.mmio', 'userspace.ioapicEoi', 'userspace.irqWindowOpen', 'userspace.intr'].map(
      (counter): CostRule => ({
        counter,
        scope: 'vcpu',
        cost: [
          ['X86_EXIT_USERSPACE', 1],
          ['X86_EXIT_KERNEL_IO', -1],
        ],
        on: 'vcpu',
      }),
    ),
    { counter: 'notifications', scope: 'vcpu', cost: 'X86_POSTED_DELIVERY', on: 'vcpu' },
    { counter: 'resamplefdSignals', scope: 'machine', cost: 'X86_RESAMPLE_UNMASK', on: 'vcpu' },
    ...commonRules(haltCost),
  ];
}

/**
 * x86 (spec/x86.md §7, `@irqkit/x86`'s counters): exits by reason; user-space trips add the
 * difference between a user-space and an in-kernel exit to an exit counted already; posted
 * notifications cost nothing by default; the resampler's work runs inside the EOI exit
 * (X86-7.2 P4). `exits.hlt` and `wakeups` are left unpriced because the guest model's
 * `guest.halts` and `guest.wakeups` price the same events; the per-vCPU `hostIrqs`
 * (notification and wake-up vectors) are already in the host's `hostIrqs`; `posted` counts
 * PIR writes, whose cost is the notification's.
 */
export const X86_COST_MAP: CostMap = { arch: 'x86', rules: x86Rules('X86_EXIT_NULL') };

/**
 * x86 without an in-kernel irqchip (X86-7.2 P1): as {@link X86_COST_MAP}, but a HLT exits to
 * the VMM (KVM_EXIT_HLT: the VMM's LAPIC decides when the vCPU runs again), so a halt costs a
 * user-space exit.
 */
export const X86_USERSPACE_IRQCHIP_COST_MAP: CostMap = {
  arch: 'x86',
  rules: x86Rules('X86_EXIT_USERSPACE'),
};

/**
 * ARM (spec/arm.md §7, `@irqkit/arm`'s counters): kicks, maintenance interrupts, trapped GIC
 * MMIO and system registers; the resampler's work inside the maintenance exit (ARM-7.4). A
 * GICv4 doorbell is a host IRQ the VGIC raises itself: the plugin counts it on the vCPU
 * (`doorbells`, `hostIrqs`) and on the host's `hostIrqs`, which prices it — so neither
 * per-vCPU counter is priced again. `exits.wfi` / `exits.userspace` / `exits.preempt`
 * (counted by `setRunState`) are left to the guest model's `guest.halts`.
 */
export const ARM_COST_MAP: CostMap = {
  arch: 'arm',
  rules: [
    { counter: 'exits.kick', scope: 'vcpu', cost: 'ARM_KICK_IPI', on: 'vcpu', exit: 'kick' },
    {
      counter: 'exits.maintenance',
      scope: 'vcpu',
      cost: 'ARM_MAINT_IRQ_EXIT',
      on: 'vcpu',
      exit: 'maintenance',
    },
    { counter: 'exits.mmio', scope: 'vcpu', cost: 'ARM_GICD_TRAP', on: 'vcpu', exit: 'mmio' },
    { counter: 'exits.sysreg', scope: 'vcpu', cost: 'ARM_EXIT_NULL', on: 'vcpu', exit: 'sysreg' },
    { counter: 'resamplefdSignals', scope: 'machine', cost: 'ARM_RESAMPLE_UNMASK', on: 'vcpu' },
    ...commonRules('ARM_EXIT_NULL'),
  ],
};

function powerRules(interrupted: CostRule | null): CostRule[] {
  const exit = (counter: string, reason: string): CostRule => ({
    counter,
    scope: 'vcpu',
    cost: 'PPC_HCALL_VIRTMODE',
    on: 'vcpu',
    exit: reason,
  });
  return [
    exit('exits.hcall', 'hcall'),
    exit('exits.rtas', 'rtas'),
    exit('exits.kick', 'kick'),
    exit('exits.notify-eoi', 'notify-eoi'),
    exit('exits.user', 'user'),
    {
      counter: 'hcalls.realmode',
      scope: 'vcpu',
      cost: 'PPC_HCALL_REALMODE',
      on: 'vcpu',
      exit: 'hcall.rm',
    },
    ...(interrupted === null ? [] : [interrupted]),
    ...commonRules('PPC_HCALL_VIRTMODE'),
  ];
}

/**
 * POWER (spec/power.md §8, `@irqkit/power`'s counters): every exit to the host kernel
 * (virtual-mode hcall, RTAS, a kick or notify-EOI punted by real mode, a call to QEMU — the
 * last a lower bound) costs a virtual-mode round trip; an hcall completed in real mode costs
 * the real-mode figure and is reported as exit reason `hcall.rm`. The plugin counts host-side
 * `kicks` whether or not the target runs, so the target's cost is priced from the guest model
 * instead: `guest.interrupted` (an interrupt reached a vCPU in the guest) costs a full exit
 * (`PPC_KICK_EXIT`); a halted target pays the wake-up. H_CEDE (idle) is a virtual-mode hcall.
 */
export const POWER_COST_MAP: CostMap = {
  arch: 'power',
  rules: powerRules({
    counter: 'guest.interrupted',
    scope: 'guest',
    cost: 'PPC_KICK_EXIT',
    on: 'vcpu',
    exit: 'kick',
  }),
};

/**
 * POWER with real-mode passthrough (PWR-7.9): the paired host MSI interrupts a running vCPU
 * thread and is handled there in real mode (`passthru.realmode`, priced as a real-mode round
 * trip on the target), so the interruption is not priced again from the guest model.
 */
export const POWER_PASSTHROUGH_COST_MAP: CostMap = {
  arch: 'power',
  rules: powerRules({
    counter: 'passthru.realmode',
    scope: 'machine',
    cost: 'PPC_HCALL_REALMODE',
    on: 'vcpu',
  }),
};

/**
 * The conformance kit's reference plugin: per-vCPU `exits.kick`, `exits.eoi` (every guest EOI
 * exits, as on x86 without APICv) and `posted` (bypassed MSIs, no exit), priced with the x86
 * figures (see `REFERENCE_PLATFORM`); the resampler's work runs in the EOI exit.
 */
export const REFERENCE_COST_MAP: CostMap = {
  arch: 'reference',
  rules: [
    { counter: 'exits.kick', scope: 'vcpu', cost: 'X86_KICK_IPI', on: 'vcpu', exit: 'kick' },
    { counter: 'exits.eoi', scope: 'vcpu', cost: 'X86_EOI_EXIT', on: 'vcpu', exit: 'eoi' },
    { counter: 'posted', scope: 'vcpu', cost: 'X86_POSTED_DELIVERY', on: 'vcpu' },
    { counter: 'resamplefdSignals', scope: 'machine', cost: 'X86_RESAMPLE_UNMASK', on: 'vcpu' },
    ...commonRules('X86_EXIT_NULL'),
  ],
};

/** The built-in cost maps by architecture. */
export const COST_MAPS: Readonly<Record<string, CostMap>> = {
  reference: REFERENCE_COST_MAP,
  x86: X86_COST_MAP,
  arm: ARM_COST_MAP,
  power: POWER_COST_MAP,
};
