import { CounterJournal, type Counters, type Machine } from '@irqkit/core';
import type { CostMap, CostRule } from './cost-map.js';
import type { PriceList } from './price-list.js';

/** The counter sets a {@link Meter} reads. */
export interface MeteredCounters {
  /** The machine (its `counters`, `vcpuCounters(v)` and `host.counters`). */
  readonly machine: Machine;
  /** The simulator's per-vCPU guest-model counters (`guest.halts`, …), children of `guestParent`. */
  readonly guest: readonly Counters[];
  /** The parent set of `guest`. */
  readonly guestParent: Counters;
}

/**
 * Prices what the plugins did. Each {@link Meter.charge} takes what was counted since the
 * previous charge and turns it into time: nanoseconds stolen from each vCPU
 * ({@link Meter.vcpuNs}) and nanoseconds of host-CPU work ({@link Meter.hostNs}).
 *
 * The meter watches exactly the counter slots its map prices (`Counters.watch`, resolved
 * once, which defines every priced name at 0): each increment the plugin, the core or the
 * guest model makes to one of them is logged in a {@link CounterJournal} with the rule and
 * the vCPU it belongs to, and a charge prices the log. So metering costs one log entry per
 * priced event, however many other counters move, and allocates nothing. A `vcpu`-scope
 * counter that a plugin counts only machine-wide is still priced (the machine set's slot is
 * watched for direct increments too): the acting vCPU pays.
 */
export class Meter {
  /** Stolen time per vCPU from the last charge, ns (unrounded). */
  readonly vcpuNs: Float64Array;
  /** Host-CPU time from the last charge, ns (unrounded). */
  hostNs = 0;
  /** Whether the last charge charged any vCPU (if not, {@link Meter.vcpuNs} is all 0). */
  vcpuPaid = false;
  /** Increments per rule in the last charge (kept only when constructed with `trackLast`). */
  readonly lastRuleCounts: Float64Array;
  /** Totals per rule since the start (or {@link Meter.resetTotals}). */
  readonly ruleCounts: Float64Array;
  /** Total ns per rule since the start. */
  readonly ruleNsTotal: Float64Array;
  /** Exit reasons in report order. */
  readonly reasons: readonly string[];
  /** Exits per reason since the start. */
  readonly exits: Float64Array;
  /** Totals: [0] host ns, [1] vCPU ns. */
  private readonly sums = new Float64Array(2);

  private readonly vcpus: number;
  private readonly rules: readonly CostRule[];
  private readonly priceNs: Float64Array;
  private readonly payHost: Uint8Array;
  private readonly reasonOf: Int32Array;
  /** Whether {@link Meter.lastRuleCounts} is kept (only tracing needs it). */
  private readonly trackLast: boolean;
  /** Every watched increment since the last charge; tag = rule × (vCPUs + 1) + payer + 1. */
  private readonly journal = new CounterJournal();
  /** Rule of each journal tag (decoded once: no division per entry). */
  private readonly tagRule: Int32Array;
  /** Payer of each journal tag: a vCPU, or −1 for the acting vCPU. */
  private readonly tagPayer: Int32Array;

  /**
   * @param sets - the counters to read.
   * @param map - the architecture's counter → constant map.
   * @param prices - the platform with overrides.
   * @param trackLast - keep {@link Meter.lastRuleCounts} (labels of trace spans).
   * @throws Error when a counter set already feeds another meter's journal.
   */
  constructor(sets: MeteredCounters, map: CostMap, prices: PriceList, trackLast = false) {
    this.trackLast = trackLast;
    const m = sets.machine;
    const n = m.vcpus;
    this.vcpus = n;
    this.rules = map.rules;
    const nRules = map.rules.length;
    this.priceNs = new Float64Array(nRules);
    this.payHost = new Uint8Array(nRules);
    this.reasonOf = new Int32Array(nRules).fill(-1);
    this.ruleCounts = new Float64Array(nRules);
    this.lastRuleCounts = new Float64Array(nRules);
    this.ruleNsTotal = new Float64Array(nRules);
    this.vcpuNs = new Float64Array(n);
    const reasons: string[] = [];
    const journal = this.journal;
    // payer −1: the acting vCPU of the charge.
    const watch = (set: Counters, rule: CostRule, ri: number, payer: number) =>
      set.watch(set.id(rule.counter), journal, ri * (n + 1) + payer + 1);
    map.rules.forEach((r, ri) => {
      this.priceNs[ri] = prices.ruleNs(r);
      this.payHost[ri] = r.on === 'host' ? 1 : 0;
      if (r.exit !== undefined) {
        if (!reasons.includes(r.exit)) reasons.push(r.exit);
        this.reasonOf[ri] = reasons.indexOf(r.exit);
      }
      switch (r.scope) {
        case 'vcpu':
          for (let v = 0; v < n; v++) watch(m.vcpuCounters(v), r, ri, v);
          watch(m.counters, r, ri, -1);
          break;
        case 'guest':
          for (let v = 0; v < n; v++) {
            const gc = sets.guest[v];
            if (gc === undefined) throw new Error(`no guest counters for vCPU ${v}`);
            watch(gc, r, ri, v);
          }
          watch(sets.guestParent, r, ri, -1);
          break;
        case 'machine':
          watch(m.counters, r, ri, -1);
          break;
        case 'host':
          watch(m.host.counters, r, ri, -1);
          break;
      }
    });
    this.reasons = reasons;
    this.exits = new Float64Array(reasons.length);
    const stride = n + 1;
    this.tagRule = new Int32Array(nRules * stride);
    this.tagPayer = new Int32Array(nRules * stride);
    for (let tag = 0; tag < nRules * stride; tag++) {
      const ri = (tag / stride) | 0;
      this.tagRule[tag] = ri;
      this.tagPayer[tag] = tag - ri * stride - 1;
    }
  }

  /**
   * Prices everything counted since the previous charge. `actor` is the vCPU whose action
   * this was (the target of a device interrupt, the vCPU that EOIed, …); it pays for
   * machine- and host-level counters priced `on: 'vcpu'`.
   */
  charge(actor: number): void {
    const vcpuNs = this.vcpuNs;
    if (this.vcpuPaid === true) {
      // A loop, not fill(): a builtin call costs more than a few stores.
      for (let v = 0; v < vcpuNs.length; v++) vcpuNs[v] = 0;
      this.vcpuPaid = false;
    }
    this.hostNs = 0;
    if (this.trackLast === true) this.lastRuleCounts.fill(0);
    const j = this.journal;
    const len = j.length;
    if (len === 0) return;
    const tags = j.tags;
    const amounts = j.amounts;
    const tagRule = this.tagRule;
    const tagPayer = this.tagPayer;
    const price = this.priceNs;
    const payHost = this.payHost;
    const reasonOf = this.reasonOf;
    const ruleCounts = this.ruleCounts;
    const ruleNs = this.ruleNsTotal;
    const exits = this.exits;
    const last = this.trackLast === true ? this.lastRuleCounts : null;
    let host = 0;
    let stolen = 0;
    let paid = false;
    for (let i = 0; i < len; i++) {
      const tag = tags[i]!;
      const ri = tagRule[tag]!;
      const d = amounts[i]!;
      const ns = d * price[ri]!;
      if (last !== null) last[ri]! += d;
      ruleCounts[ri]! += d;
      ruleNs[ri]! += ns;
      const reason = reasonOf[ri]!;
      if (reason >= 0) exits[reason]! += d;
      if (payHost[ri] === 1) {
        host += ns;
      } else {
        const payer = tagPayer[tag]!;
        vcpuNs[payer < 0 ? actor : payer]! += ns;
        stolen += ns;
        paid = true;
      }
    }
    j.length = 0;
    if (paid === true) this.vcpuPaid = true;
    this.hostNs = host;
    this.sums[0]! += host;
    this.sums[1]! += stolen;
  }

  /**
   * Forgets everything counted so far (call after set-up so that only the measured run is
   * priced): re-reads every counter as the new baseline and zeroes the totals.
   */
  resetTotals(): void {
    this.journal.clear();
    this.ruleCounts.fill(0);
    this.ruleNsTotal.fill(0);
    this.exits.fill(0);
    this.sums.fill(0);
    this.vcpuNs.fill(0);
    this.hostNs = 0;
    this.vcpuPaid = false;
  }

  /** Total stolen vCPU ns since the start. */
  get vcpuNsTotal(): number {
    return this.sums[1]!;
  }

  /** Total host ns since the start. */
  get hostNsTotal(): number {
    return this.sums[0]!;
  }

  /** The rules, in the order of {@link Meter.ruleCounts}. */
  get ruleList(): readonly CostRule[] {
    return this.rules;
  }
}
