import { Histogram } from '../stats/histogram.js';

/** Figures a {@link PathSimulation} accumulated, read by the result builder. */
export interface SimTotals {
  /** Interrupt latency per workload (the total latency is their merge). */
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

/** Interrupt latency over every workload (one record per interrupt, merged at the end). */
export function totalLatency(totals: SimTotals): Histogram {
  const h = new Histogram();
  for (const w of totals.workloadLatency) h.merge(w);
  return h;
}
