import type { Counters, Machine } from '@irqkit/core';
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
 * Prices what the plugins did. Each {@link Meter.charge} reads every priced counter, takes the
 * increase since the previous charge and turns it into time: nanoseconds stolen from each
 * vCPU ({@link Meter.vcpuNs}) and nanoseconds of host-CPU work ({@link Meter.hostNs}).
 *
 * Counter slots are resolved once (which defines every priced name at 0); a charge reads
 * typed arrays only and allocates nothing. A `vcpu`-scope counter that a plugin counts only
 * machine-wide is still priced: whatever the machine total grew beyond the per-vCPU sets is
 * charged to the acting vCPU.
 */
export class Meter {
  /** Stolen time per vCPU from the last charge, ns (unrounded). */
  readonly vcpuNs: Float64Array;
  /** Host-CPU time from the last charge, ns (unrounded). */
  hostNs = 0;
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
  /** Scratch and totals: [0] host ns of this charge, [1] host ns total, [2] vCPU ns total. */
  private readonly sums = new Float64Array(3);

  private readonly vcpus: number;
  private readonly rules: readonly CostRule[];
  private readonly priceNs: Float64Array;
  private readonly payHost: Uint8Array;
  private readonly reasonOf: Int32Array;
  /** Per-vCPU rule indices (scope vcpu or guest) and their slots: [v * nPer + k]. */
  private readonly perVcpuRule: Int32Array;
  private readonly perVcpuSets: Counters[];
  private readonly perVcpuIds: Int32Array;
  private readonly perVcpuLast: Float64Array;
  /** Parent-set slot of each per-vCPU rule (machine set, or the guest model's parent). */
  private readonly parentSets: Counters[];
  private readonly parentIds: Int32Array;
  private readonly parentLast: Float64Array;
  /** Gate (0 machine, 1 host, 2 guest) of each per-vCPU rule and each global rule. */
  private readonly perVcpuGate: Uint8Array;
  private readonly globalGate: Uint8Array;
  private readonly gateSets: Counters[];
  private readonly gateLast = new Float64Array(3);
  private readonly moved = new Uint8Array(3);
  /** Whether {@link Meter.lastRuleCounts} is kept (only tracing needs it). */
  private readonly trackLast: boolean;
  /** Rules read from one set (scope machine or host). */
  private readonly globalRule: Int32Array;
  private readonly globalSets: Counters[];
  private readonly globalIds: Int32Array;
  private readonly globalLast: Float64Array;

  /**
   * @param sets - the counters to read.
   * @param map - the architecture's counter → constant map.
   * @param prices - the platform with overrides.
   * @param trackLast - keep {@link Meter.lastRuleCounts} (labels of trace spans).
   */
  constructor(sets: MeteredCounters, map: CostMap, prices: PriceList, trackLast = false) {
    this.trackLast = trackLast;
    const m = sets.machine;
    this.vcpus = m.vcpus;
    this.rules = map.rules;
    const n = map.rules.length;
    this.priceNs = new Float64Array(n);
    this.payHost = new Uint8Array(n);
    this.reasonOf = new Int32Array(n).fill(-1);
    this.ruleCounts = new Float64Array(n);
    this.lastRuleCounts = new Float64Array(n);
    this.ruleNsTotal = new Float64Array(n);
    const reasons: string[] = [];
    const perVcpu: number[] = [];
    const global: number[] = [];
    map.rules.forEach((r, i) => {
      this.priceNs[i] = prices.ruleNs(r);
      this.payHost[i] = r.on === 'host' ? 1 : 0;
      if (r.exit !== undefined) {
        if (!reasons.includes(r.exit)) reasons.push(r.exit);
        this.reasonOf[i] = reasons.indexOf(r.exit);
      }
      if (r.scope === 'vcpu' || r.scope === 'guest') perVcpu.push(i);
      else global.push(i);
    });
    this.reasons = reasons;
    this.exits = new Float64Array(reasons.length);
    this.vcpuNs = new Float64Array(this.vcpus);

    const nPer = perVcpu.length;
    this.perVcpuRule = Int32Array.from(perVcpu);
    this.perVcpuSets = [];
    this.perVcpuIds = new Int32Array(nPer * this.vcpus);
    this.perVcpuLast = new Float64Array(nPer * this.vcpus);
    this.parentSets = [];
    this.parentIds = new Int32Array(nPer);
    this.parentLast = new Float64Array(nPer);
    this.perVcpuGate = new Uint8Array(nPer);
    this.gateSets = [m.counters, m.host.counters, sets.guestParent];
    for (let g = 0; g < 3; g++) this.gateLast[g] = -1; // the first charge reads everything
    for (let v = 0; v < this.vcpus; v++) {
      const vc = m.vcpuCounters(v);
      const gc = sets.guest[v];
      if (gc === undefined) throw new Error(`no guest counters for vCPU ${v}`);
      for (let k = 0; k < nPer; k++) {
        const rule = map.rules[perVcpu[k]!]!;
        const set = rule.scope === 'guest' ? gc : vc;
        this.perVcpuSets[v * nPer + k] = set;
        const id = set.id(rule.counter);
        this.perVcpuIds[v * nPer + k] = id;
        this.perVcpuLast[v * nPer + k] = set.value(id);
      }
    }
    for (let k = 0; k < nPer; k++) {
      const rule = map.rules[perVcpu[k]!]!;
      const parent = rule.scope === 'guest' ? sets.guestParent : m.counters;
      this.perVcpuGate[k] = rule.scope === 'guest' ? 2 : 0;
      const id = parent.id(rule.counter);
      this.parentSets[k] = parent;
      this.parentIds[k] = id;
      this.parentLast[k] = parent.value(id);
    }

    this.globalRule = Int32Array.from(global);
    this.globalGate = Uint8Array.from(global, (ri) => (map.rules[ri]!.scope === 'host' ? 1 : 0));
    this.globalSets = [];
    this.globalIds = new Int32Array(global.length);
    this.globalLast = new Float64Array(global.length);
    global.forEach((ri, k) => {
      const rule = map.rules[ri]!;
      const set = rule.scope === 'host' ? m.host.counters : m.counters;
      this.globalSets[k] = set;
      const id = set.id(rule.counter);
      this.globalIds[k] = id;
      this.globalLast[k] = set.value(id);
    });
  }

  /**
   * Prices everything counted since the previous charge. `actor` is the vCPU whose action
   * this was (the target of a device interrupt, the vCPU that EOIed, …); it pays for
   * machine- and host-level counters priced `on: 'vcpu'`.
   */
  charge(actor: number): void {
    const vcpuNs = this.vcpuNs;
    const n = this.vcpus;
    for (let v = 0; v < n; v++) vcpuNs[v] = 0;
    const trackLast = this.trackLast;
    if (trackLast) this.lastRuleCounts.fill(0);
    // Skip every rule of a counter set that saw no increment since the last charge.
    const moved = this.moved;
    const gateLast = this.gateLast;
    const gates = this.gateSets;
    let any = 0;
    for (let g = 0; g < 3; g++) {
      const c = gates[g]!.changes;
      const m = c === gateLast[g] ? 0 : 1;
      moved[g] = m;
      any |= m;
      gateLast[g] = c;
    }
    const sums = this.sums;
    sums[0] = 0;
    if (any !== 0) {
      this.chargePerVcpu(actor);
      this.chargeGlobal(actor);
    }
    const host = sums[0]!;
    let stolen = 0;
    for (let v = 0; v < n; v++) stolen += vcpuNs[v]!;
    sums[1]! += host;
    sums[2]! += stolen;
    this.hostNs = host;
  }

  /** Rules read per vCPU (scopes `vcpu` and `guest`). */
  private chargePerVcpu(actor: number): void {
    const n = this.vcpus;
    const nPer = this.perVcpuRule.length;
    const moved = this.moved;
    const gate = this.perVcpuGate;
    const parentSets = this.parentSets;
    const parentIds = this.parentIds;
    const parentLast = this.parentLast;
    const sets = this.perVcpuSets;
    const ids = this.perVcpuIds;
    const lastSeen = this.perVcpuLast;
    const vcpuNs = this.vcpuNs;
    const sums = this.sums;
    for (let k = 0; k < nPer; k++) {
      // Per-vCPU sets add into their parent (Machine.counters' contract): when the parent's
      // total did not move, no vCPU's did, and the per-vCPU reads are skipped.
      if (moved[gate[k]!] === 0) continue;
      const total = parentSets[k]!.value(parentIds[k]!);
      const grew = total - parentLast[k]!;
      if (grew === 0) continue;
      parentLast[k] = total;
      const ri = this.perVcpuRule[k]!;
      const price = this.priceNs[ri]!;
      const onHost = this.payHost[ri] === 1;
      let sum = 0;
      for (let v = 0; v < n; v++) {
        const j = v * nPer + k;
        const now = sets[j]!.value(ids[j]!);
        const d = now - lastSeen[j]!;
        if (d === 0) continue;
        lastSeen[j] = now;
        sum += d;
        if (onHost) sums[0]! += d * price;
        else vcpuNs[v]! += d * price;
      }
      // Counted machine-wide only (not in any vCPU's set): the acting vCPU pays.
      const rest = grew - sum;
      if (rest > 0) {
        if (onHost) sums[0]! += rest * price;
        else vcpuNs[actor]! += rest * price;
      }
      this.count(ri, grew, grew * price);
    }
  }

  /** Rules read from one set (scopes `machine` and `host`). */
  private chargeGlobal(actor: number): void {
    const nGlobal = this.globalRule.length;
    const moved = this.moved;
    const gate = this.globalGate;
    const sets = this.globalSets;
    const ids = this.globalIds;
    const lastSeen = this.globalLast;
    for (let k = 0; k < nGlobal; k++) {
      if (moved[gate[k]!] === 0) continue;
      const now = sets[k]!.value(ids[k]!);
      const d = now - lastSeen[k]!;
      if (d === 0) continue;
      lastSeen[k] = now;
      const ri = this.globalRule[k]!;
      const ns = d * this.priceNs[ri]!;
      this.count(ri, d, ns);
      if (this.payHost[ri] === 1) this.sums[0]! += ns;
      else this.vcpuNs[actor]! += ns;
    }
  }

  private count(ri: number, d: number, ns: number): void {
    if (this.trackLast) this.lastRuleCounts[ri] = d;
    this.ruleCounts[ri]! += d;
    this.ruleNsTotal[ri]! += ns;
    const reason = this.reasonOf[ri]!;
    if (reason >= 0) this.exits[reason]! += d;
  }

  /**
   * Forgets everything counted so far (call after set-up so that only the measured run is
   * priced): re-reads every counter as the new baseline and zeroes the totals.
   */
  resetTotals(): void {
    this.charge(0);
    this.ruleCounts.fill(0);
    this.ruleNsTotal.fill(0);
    this.exits.fill(0);
    this.sums.fill(0);
    this.vcpuNs.fill(0);
    this.hostNs = 0;
  }

  /** Total stolen vCPU ns since the start. */
  get vcpuNsTotal(): number {
    return this.sums[2]!;
  }

  /** Total host ns since the start. */
  get hostNsTotal(): number {
    return this.sums[1]!;
  }

  /** The rules, in the order of {@link Meter.ruleCounts}. */
  get ruleList(): readonly CostRule[] {
    return this.rules;
  }
}
