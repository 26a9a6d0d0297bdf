import type { Host } from '../host/host.js';
import type { Counters } from '../obs/counters.js';
import type { Trace } from '../obs/trace.js';
import type { Vm, VmSnapshot } from './vm.js';

/** Where a vCPU is when an interrupt arrives; decides what a delivery costs (kick, wakeup, …). */
export type VcpuRunState = 'guest' | 'host' | 'preempted' | 'blocked';

/** Edge- or level-triggered. */
export type Trigger = 'edge' | 'level';

/** How the guest programs one interrupt line (design.md GuestPort). */
export interface LineConfig {
  /** Trigger mode. */
  readonly trigger: Trigger;
  /** Target vCPU index. */
  readonly target: number;
  /** Priority 0..11, larger is more urgent; each arch maps it onto its own scale. */
  readonly priority: number;
}

/** How the guest programs a message-signalled interrupt (`GuestPort.configureMsi`). */
export interface MsiConfig {
  /** Target vCPU index. */
  readonly target: number;
  /** Priority 0..11, larger is more urgent. */
  readonly priority: number;
}

/**
 * Arch-neutral guest verbs (design.md): what the conformance kit and the simulator use to
 * act as the guest's interrupt-handling code. Each arch implements them with its own
 * registers (IOAPIC redirection entries, GIC distributor registers, RTAS calls).
 */
export interface GuestPort {
  /** Programs the controller input behind `gsi` (left masked or unmasked as it was). */
  configure(gsi: number, config: LineConfig): void;
  /** Masks the input behind `gsi`. */
  mask(gsi: number): void;
  /** Unmasks the input behind `gsi`. */
  unmask(gsi: number): void;
  /**
   * Acknowledges the highest-priority deliverable interrupt of `vcpu`.
   * @returns its token (vector, INTID, XIRR source), or null when none is deliverable.
   */
  take(vcpu: number): number | null;
  /** Completes the interrupt `token` on `vcpu`. */
  eoi(vcpu: number, token: number): void;
  /**
   * Optional: routes `gsi` as a message-signalled interrupt to `config.target` (what a guest
   * and its VMM do together when the guest programs a device's MSI capability), unmasked.
   * Present when `capabilities.msi` is true.
   */
  configureMsi?(gsi: number, config: MsiConfig): void;
}

/** What a plugin declares it supports; the conformance kit reads this (style.md). */
export interface MachineCapabilities {
  /** GSIs wired to controller inputs that `configure` accepts (at least four). */
  readonly lineGsis: readonly number[];
  /** Level lines work with resampling irqfds (spec/core.md §6). */
  readonly resample: boolean;
  /** `GuestPort.configureMsi` exists. */
  readonly msi: boolean;
  /**
   * What pairing a host MSI vector's eventfd with an irqfd does: `'post'` = delivery skips the
   * irqfd path (x86 posted, GICv4 vLPI, POWER real-mode passthrough); `'none'` = nothing.
   */
  readonly msiBypass: 'post' | 'none';
  /** Host level IRQs can be forwarded to the guest (HW-mapped; spec/host.md §4). */
  readonly forwarding: boolean;
  /** `save()` / `restore()` are implemented. */
  readonly saveRestore: boolean;
  /** Largest vCPU count the plugin supports. */
  readonly maxVcpus: number;
  /**
   * What an edge raised while its input is masked becomes: `'latched'` — pending, delivered
   * once on unmask (GIC pending state, XICS masked-pending, the reference plugin); `'lost'` —
   * dropped, as an x86 IOAPIC does (x86.md X86-2.11, X86-2.19). Default `'latched'`.
   */
  readonly maskedEdge?: 'latched' | 'lost';
}

/** A JSON-serialisable value (snapshots are plain data). */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** A machine's saved state: the core's part plus the arch's own. */
export interface MachineSnapshot {
  /** Which arch wrote it. */
  readonly arch: string;
  /** The core's part. */
  readonly vm: VmSnapshot;
  /** The arch's controllers and vCPU interfaces. */
  readonly state: JsonValue;
}

/**
 * What an arch plugin's `create…Machine(options)` returns (design.md): the core plumbing, the
 * controllers behind it, vCPUs, counters, trace, save/restore, and the {@link GuestPort}.
 */
export interface Machine {
  /** Architecture name (`'x86'`, `'arm'`, `'power'`, `'reference'`). */
  readonly arch: string;
  /** The host kernel it runs on. */
  readonly host: Host;
  /** The VM's interrupt plumbing (routing, irqfds, `irqLine`, …). */
  readonly vm: Vm;
  /** Number of vCPUs. */
  readonly vcpus: number;
  /** Machine-wide counters (per-vCPU sets add into them). */
  readonly counters: Counters;
  /** Machine trace. */
  readonly trace: Trace;
  /** The guest verbs. */
  readonly guest: GuestPort;
  /** Declared capabilities. */
  readonly capabilities: MachineCapabilities;
  /** The counters of one vCPU. */
  vcpuCounters(vcpu: number): Counters;
  /** Where `vcpu` is now. */
  runState(vcpu: number): VcpuRunState;
  /** Moves `vcpu` to `state` (entering the guest syncs pending interrupts, etc.). */
  setRunState(vcpu: number, state: VcpuRunState): void;
  /** Saves the whole interrupt state. */
  save(): MachineSnapshot;
  /** Restores a snapshot taken from a machine created with the same options. */
  restore(snapshot: MachineSnapshot): void;
}
