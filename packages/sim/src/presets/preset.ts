import type { Host, Machine } from '@irqkit/core';
import type { CostMap } from '../cost/cost-map.js';

/** One interrupt source a workload needs (a NIC queue, a storage queue, a timer). */
export interface SourceSpec {
  /** Index among all sources of the run (0, 1, …). */
  readonly index: number;
  /** Name, e.g. `netperf.rx`, `nvme.q1` (used in traces and graphs). */
  readonly name: string;
  /** Target vCPU. */
  readonly target: number;
  /** Guest priority 0..11 (GuestPort's scale). */
  readonly priority: number;
}

/** A node of the routing graph (`irqkit graph`): one hop an interrupt takes. */
export interface GraphHop {
  /** Stable id, unique within the run. */
  readonly id: string;
  /** What the hop is, e.g. `VFIO MSI-X vector 0 (host irq 33)`, `eventfd`, `irqfd gsi 24`. */
  readonly label: string;
  /** Where it lives, for grouping. */
  readonly layer: 'device' | 'host' | 'kvm' | 'guest';
}

/** A source after a preset wired it: what the simulator drives, and what the graph shows. */
export interface WiredSource {
  /** The GSI the guest programmed. */
  readonly gsi: number;
  /** The device raises its interrupt: sends the MSI, or asserts its level line. */
  raise(): void;
  /** The guest's handler serviced the device: a level device drops its line. */
  service(): void;
  /** The hops from the device to the GSI, in order (the routing table takes it from there). */
  readonly hops: readonly GraphHop[];
  /** Short description of the path this source takes. */
  readonly describe: string;
  /**
   * Whether delivery currently bypasses the irqfd path: `posted` (the host MSI goes straight
   * to the vCPU), `forwarded` (the guest's EOI deactivates the host line), or null.
   */
  bypass(): 'posted' | 'forwarded' | null;
}

/** What {@link PathPreset.wire} gets besides the source. */
export interface WireContext {
  /** The machine {@link PathPreset.createMachine} built. */
  readonly machine: Machine;
  /** A GSI for a line source: the next unused one of `capabilities.lineGsis`. */
  lineGsi(): number;
  /** A GSI for a message-signalled source: the next number above every line GSI. */
  msiGsi(): number;
  /**
   * Runs `fn` once every source is wired (for set-up that later routing changes would undo,
   * e.g. reverting a posted IRTE to remapped format).
   */
  afterWiring(fn: () => void): void;
}

/**
 * An architecture hook for guest IPIs (x86 ICR write, GIC SGI register, XICS H_IPI). Only
 * presets whose architecture has one supply it; IPI-storm workloads need it.
 */
export interface IpiHook {
  /** vCPU `from` sends an IPI to vCPU `to` (the guest's register write or hcall). */
  send(machine: Machine, from: number, to: number): void;
  /**
   * Optional: what the target's IPI handler does at the source before its EOI (XICS: H_IPI
   * to itself with MFRR 0xFF, or the IPI would be presented again).
   */
  ack?(machine: Machine, vcpu: number): void;
}

/**
 * A delivery path: how to build the machine and how a device's interrupt reaches the guest.
 * The simulator drives the machine only through {@link WiredSource}, the machine's
 * `GuestPort`, `setRunState` and its counters, so one workload runs on every preset.
 */
export interface PathPreset {
  /** Architecture, as `Machine.arch` (selects the cost map and default platform). */
  readonly arch: string;
  /** Unique id, `<arch>/<path>`, e.g. `arm/spi-forwarded`. */
  readonly id: string;
  /** Column label, short: `forwarded SPI`. */
  readonly label: string;
  /** One or two sentences: what the path is, and the spec row it corresponds to. */
  readonly description: string;
  /** Builds a machine on `host` with `vcpus` vCPUs, configured for this path. */
  createMachine(options: { readonly host: Host; readonly vcpus: number }): Machine;
  /** Why this path cannot run on `machine` (a missing capability), or null. */
  unsupported?(machine: Machine): string | null;
  /** Wires `source` along this path (the guest's configuration included) and returns it. */
  wire(ctx: WireContext, source: SourceSpec): WiredSource;
  /** Guest IPIs, if the architecture's preset provides them. */
  readonly ipi?: IpiHook;
  /** Cost map to price this path with (default: the built-in map of `arch`). */
  readonly costMap?: CostMap;
  /**
   * Id of the path this one improves on (forwarded vs resampled, posted vs irqfd): reports
   * print the difference, which is how `irqkit compare` answers seed 004 per architecture.
   */
  readonly baseline?: string;
}
