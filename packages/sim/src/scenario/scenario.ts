import type { CostOverrides } from '../cost/price-list.js';
import type { IpiStormSpec } from '../workloads/ipi-storm.js';
import type { RequestResponseSpec } from '../workloads/request-response.js';
import type { StorageSpec } from '../workloads/storage.js';
import type { TimerSpec } from '../workloads/timer.js';

/** One workload of a scenario. */
export type WorkloadSpec = RequestResponseSpec | StorageSpec | TimerSpec | IpiStormSpec;

/**
 * A simulation scenario, validated and with defaults filled in ({@link parseScenario}). Every
 * selected path runs the same workloads with the same seed.
 */
export interface Scenario {
  /** Scenario name (report title). */
  readonly name: string;
  /** What it models. */
  readonly description: string;
  /** RNG seed: same seed, same output, byte for byte. */
  readonly seed: number;
  /** Simulated time per path, ms. */
  readonly durationMs: number;
  /** vCPUs of every machine. */
  readonly vcpus: number;
  /**
   * KVM halt polling window, µs (`halt_poll_ns`; 0 = off, the default). An idle vCPU woken
   * within the window skips the scheduler (no `guest.wakeups` cost) but the window's time is
   * host CPU burnt. KVM grows the window adaptively up to 200 µs (x86) or 500 µs (arm64);
   * the model uses a fixed window.
   */
  readonly haltPollUs: number;
  /**
   * Paths to run: preset ids (`arm/spi-forwarded`), architectures (`arm`) or `all`.
   * Default: all available.
   */
  readonly paths: readonly string[];
  /** Platform per architecture (`{ arm: 'arm-vhe' }`); default: each arch's default. */
  readonly platforms: Readonly<Record<string, string>>;
  /** Cost overrides per architecture: `{ x86: { constants: { X86_EXIT_NULL: 1200 } } }`. */
  readonly costs: Readonly<Record<string, CostOverrides>>;
  /** The load. */
  readonly workloads: readonly WorkloadSpec[];
  /** Trace recording. */
  readonly trace: {
    /** Simulated time recorded per path, µs, from the start (0 = no trace events). */
    readonly windowUs: number;
  };
}
