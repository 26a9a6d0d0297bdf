/** Latency summary, ns. */
export interface LatencySummary {
  /** Interrupts measured. */
  readonly count: number;
  /** Minimum. */
  readonly min: number;
  /** Median. */
  readonly p50: number;
  /** 99th percentile. */
  readonly p99: number;
  /** Maximum. */
  readonly max: number;
  /** Mean. */
  readonly mean: number;
}

/** Where the vCPUs' and host's time went, ns of simulated time summed over CPUs. */
export interface TimeBreakdown {
  /** Guest code: interrupt handlers and workload work. */
  readonly guestNs: number;
  /** vCPU time spent outside the guest because of priced events (exits, wake-ups). */
  readonly vcpuOverheadNs: number;
  /** Host-CPU work (host IRQs, work items). */
  readonly hostNs: number;
  /** Host CPU spent halt-polling for the vCPUs (scenario `haltPollUs`). */
  readonly pollNs: number;
  /** vCPUs halted and asleep (polling excluded). */
  readonly idleNs: number;
}

/** One priced counter's total. */
export interface PricedCounter {
  /** Increments during the measured run. */
  readonly count: number;
  /** Per interrupt handled. */
  readonly perInterrupt: number;
  /** Total time charged, ns. */
  readonly ns: number;
}

/** What one path did under the scenario. */
export interface PathResult {
  /** Preset id. */
  readonly id: string;
  /** Architecture. */
  readonly arch: string;
  /** Column label. */
  readonly label: string;
  /** What the path is. */
  readonly description: string;
  /** The path this one is compared with (the preset's `baseline`), if any. */
  readonly baseline?: string;
  /** `ok`, or `unsupported` (a capability is missing) / `error` (set-up failed): see `reason`. */
  readonly status: 'ok' | 'unsupported' | 'error';
  /** Why the path did not run. */
  readonly reason?: string;
  /** Platform priced with. */
  readonly platform: string;
  /** Its clock, GHz. */
  readonly cpuGHz: number;
  /** Simulated time, ns. */
  readonly simulatedNs: number;
  /** Device raises and IPIs sent. */
  readonly raises: number;
  /** Interrupts the guest took (handler entries). */
  readonly interrupts: number;
  /** Of those, how many found no new work (the work was reaped by an earlier handler). */
  readonly emptyInterrupts: number;
  /** Interrupts whose token matched no source (should be 0). */
  readonly unknownInterrupts: number;
  /** Device assert → guest handler entry. */
  readonly latencyNs: LatencySummary;
  /** Guest exits per interrupt, halts excluded. */
  readonly exitsPerInterrupt: number;
  /** Guest exits per interrupt by reason (halts included, as `halt`). */
  readonly exitsByReason: Readonly<Record<string, number>>;
  /** Host CPU overhead share: (vCPU overhead + host work + polling) / (those + guest work). */
  readonly hostShare: number;
  /** Time breakdown. */
  readonly time: TimeBreakdown;
  /** Every priced counter that moved. */
  readonly priced: Readonly<Record<string, PricedCounter>>;
  /** Raw counter deltas of the run (machine, `host.` and `guest.` prefixed sets). */
  readonly counters: Readonly<Record<string, number>>;
  /** Cost constants this path's numbers depend on. */
  readonly constantsUsed: readonly string[];
  /** Workload figures (transactions per second, completions, ticks). */
  readonly workloads: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Workloads that could not run on this path (IPI storms without an IPI hook). */
  readonly notApplicable: readonly string[];
  /** Simulator events processed (for speed figures). */
  readonly events: number;
}

/** A comparison: one scenario, every selected path. */
export interface Comparison {
  /** Scenario name. */
  readonly scenario: string;
  /** Its description. */
  readonly description: string;
  /** Seed used. */
  readonly seed: number;
  /** vCPUs. */
  readonly vcpus: number;
  /** Simulated time per path, ms. */
  readonly durationMs: number;
  /** Results in preset order. */
  readonly paths: readonly PathResult[];
}
