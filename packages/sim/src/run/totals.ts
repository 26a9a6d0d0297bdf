import { Histogram } from '../stats/histogram.js';

/** Figures a {@link PathSimulation} accumulated, read by the result builder. */
export interface SimTotals {
  /** Interrupt latency histogram. */
  readonly latency: Histogram;
  /** Interrupt latency per workload. */
  readonly workloadLatency: Histogram[];
  /** Handler entries. */
  interrupts: number;
  /** Handler entries that found no new work. */
  emptyInterrupts: number;
  /** Handler entries whose token matched no source. */
  unknownInterrupts: number;
  /** Raises and IPIs. */
  raises: number;
  /** Guest work done, ns. */
  guestNs: number;
  /** Halted time, ns (halt polling excluded). */
  idleNs: number;
  /** Host CPU time spent halt-polling, ns. */
  pollNs: number;
}

/** Empty totals for `workloads` workloads. */
export function newTotals(workloads: number): SimTotals {
  return {
    latency: new Histogram(),
    workloadLatency: Array.from({ length: workloads }, () => new Histogram()),
    interrupts: 0,
    emptyInterrupts: 0,
    unknownInterrupts: 0,
    raises: 0,
    guestNs: 0,
    idleNs: 0,
    pollNs: 0,
  };
}
