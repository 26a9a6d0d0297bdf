import type { EventHandler } from '../engine/engine.js';
import type { Rng } from '../engine/rng.js';

/** One interrupt source a workload drives. */
export interface WorkloadSource {
  /** Name suffix (the source is called `<workload>.<name>`). */
  readonly name: string;
  /** `device`: wired by the path preset; `ipi`: a guest IPI to `target` (needs an IPI hook). */
  readonly kind: 'device' | 'ipi';
  /** Target vCPU. */
  readonly target: number;
  /** Guest priority 0..11. */
  readonly priority: number;
  /** Fixed handler time per interrupt, ns. */
  readonly handlerNs: number;
  /** Extra handler time per work item found pending (completions, packets), ns. */
  readonly perItemNs: number;
}

/** What the simulator offers a workload. */
export interface WorkloadContext {
  /** Current virtual time, ns. */
  readonly now: number;
  /** This workload's own random stream (identical on every path). */
  readonly rng: Rng;
  /** Number of vCPUs. */
  readonly vcpus: number;
  /** Registers a handler for the workload's own events; returns its kind. */
  register(handler: EventHandler): number;
  /** Schedules the workload's event `kind(a, b)` at absolute time `time`. */
  at(time: number, kind: number, a?: number, b?: number): void;
  /** The device behind source `local` has one more work item and raises its interrupt now. */
  raise(local: number): void;
  /** vCPU `from` sends an IPI to `to` (source `local`, an `ipi` source targeting `to`). */
  sendIpi(local: number, from: number): void;
  /** Queues `ns` of guest work on `vcpu`; {@link Workload.onWorkDone} gets `tag` at its end. */
  queueWork(vcpu: number, ns: number, tag: number): void;
}

/**
 * A load model: it raises device interrupts (or sends IPIs) over time, and reacts when the
 * guest has serviced them (request/response traffic waits for the guest's reply).
 */
export interface Workload {
  /** Scenario name of this workload. */
  readonly name: string;
  /** Its kind (`request-response`, `storage`, `timer`, `ipi-storm`). */
  readonly kind: string;
  /** The sources it drives, in local index order. */
  readonly sources: readonly WorkloadSource[];
  /** Schedules the first events. */
  start(ctx: WorkloadContext): void;
  /** The guest's handler for source `local` serviced `items` work items on `vcpu`. */
  onServiced?(local: number, items: number, vcpu: number): void;
  /** Guest work queued with `tag` finished on `vcpu`. */
  onWorkDone?(tag: number, vcpu: number): void;
  /** Figures for the report (rates per second of simulated time). */
  metrics(durationNs: number): Record<string, number>;
}

/** Rounds to `digits` decimals (reports stay short and stable). */
export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
