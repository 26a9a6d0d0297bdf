import type { Counters, Machine } from '@irqkit/core';
import type { Meter } from '../cost/meter.js';
import type { PriceList } from '../cost/price-list.js';
import { Engine, type EventHandler } from '../engine/engine.js';
import { Rng } from '../engine/rng.js';
import { WorkQueue } from '../guest/work-queue.js';
import type { PathPreset, WiredSource } from '../presets/preset.js';
import type { ChromeTrace } from '../trace/chrome-trace.js';
import type { Workload, WorkloadContext } from '../workloads/workload.js';
import type { RunSetup, RunSource } from './setup.js';
import { SimTracer } from './sim-tracer.js';
import { newTotals, type SimTotals } from './totals.js';

// Guest-model states of a vCPU (a `const enum`: the bundle writes literals, not context loads).
const enum St {
  /** Halted, vCPU thread asleep in the host. */
  BLOCKED = 0,
  /** In the guest (or in an exit): next, it takes an interrupt or runs work. */
  READY = 1,
  /** In an interrupt handler, interrupts off. */
  HANDLER = 2,
  /** Running workload work, interrupts on. */
  WORK = 3,
}

/**
 * One path under one scenario: the guest model of every vCPU driving a real machine.
 *
 * Each vCPU repeatedly takes the highest-priority interrupt (`GuestPort.take`), runs its
 * handler for the source's service time, services the device and EOIs; between interrupts it
 * runs queued workload work; with nothing to do it halts (`setRunState('blocked')`) until an
 * interrupt or work arrives. After every machine operation the {@link Meter} prices what the
 * plugin counted: vCPU-paid costs stall that vCPU (the current handler or work runs longer,
 * or the next one starts later), host-paid costs on the delivery path delay the interrupt.
 */
export class PathSimulation {
  /** The engine (its clock is the simulated time). */
  readonly engine: Engine = new Engine();
  /** The cost meter. */
  readonly meter: Meter;
  /** Totals. */
  readonly totals: SimTotals;

  private readonly m: Machine;
  private readonly n: number;
  private readonly state: Uint8Array;
  private readonly gen: Int32Array;
  private readonly freeAt: Float64Array;
  private readonly segStart: Float64Array;
  private readonly segWork: Float64Array;
  private readonly segStall: Float64Array;
  /**
   * The time {@link PathSimulation.dispatch} acts at on each vCPU, read by the helpers it
   * calls. Times travel in typed arrays and fields rather than as arguments: V8 boxes a double
   * passed to a call it does not inline (a heap number per call, several per interrupt).
   */
  private readonly actAt: Float64Array;
  /** Where {@link PathSimulation.applyStalls} starts (see {@link PathSimulation.actAt}). */
  private stallStart = 0;
  private readonly curSource: Int32Array;
  private readonly curToken: Int32Array;
  private readonly wakePending: Uint8Array;
  private readonly haltedAt: Float64Array;
  /** Latest time an interrupt raised for the vCPU becomes visible to it (host path done). */
  private readonly arrival: Float64Array;
  /** End of the vCPU's latest exit (out of guest mode until then). */
  private readonly exitEnd: Float64Array;
  /** 1 while the simulator holds the machine's vCPU in run state `host` (inside an exit). */
  private readonly outside: Uint8Array;
  private readonly work: WorkQueue[];
  private readonly items: Float64Array;
  private readonly assertAt: Float64Array;
  private readonly kStep: number;
  private readonly kWake: number;
  private readonly cHalt: number;
  private readonly cWake: number;
  private readonly cPollWake: number;
  private readonly cInterrupted: number;
  private readonly tr: SimTracer;
  /** Whether trace calls can record anything (a sink, and the window not yet over). */
  private tracing = false;
  /** vCPUs in state BLOCKED (wake-ups by the plugin are looked for only when some are). */
  private blocked = 0;
  /** Token → source, per vCPU: `tokenBase[v] + token` indexes `tokenSource` (−1: none). */
  private readonly tokenSource: Int32Array;
  private readonly tokenSpan: number;
  // Hot-path copies of the setup (typed arrays and direct references: no property chains).
  private readonly port: Machine['guest'];
  private readonly sources: readonly RunSource[];
  private readonly wired: readonly (WiredSource | null)[];
  private readonly srcTarget: Int32Array;
  private readonly srcWorkload: Int32Array;
  private readonly srcLocal: Int32Array;
  private readonly srcHandlerNs: Float64Array;
  private readonly srcPerItemNs: Float64Array;
  private readonly guestSets: readonly Counters[];
  /** The scenario's halt-polling window, ns. */
  private readonly haltPollNs: number;

  /**
   * @param preset - the path.
   * @param setup - the wired machine ({@link setUpPath}).
   * @param workloads - the workload instances (same order as in the setup).
   * @param config - the scenario seed (workload `i` uses RNG stream `i + 1`) and the halt
   * polling window, ns (0 = off).
   * @param trace - trace sink and its process id, or null.
   * @param prices - the price list the setup's meter uses (reported with the results).
   */
  constructor(
    readonly preset: PathPreset,
    readonly setup: RunSetup,
    readonly workloads: readonly Workload[],
    private readonly config: { readonly seed: number; readonly haltPollNs: number },
    trace: { readonly sink: ChromeTrace; readonly pid: number } | null,
    readonly prices: PriceList,
  ) {
    const m = setup.machine;
    this.m = m;
    const n = m.vcpus;
    this.n = n;
    this.meter = setup.meter;
    this.state = new Uint8Array(n).fill(St.READY);
    this.gen = new Int32Array(n);
    this.freeAt = new Float64Array(n);
    this.segStart = new Float64Array(n);
    this.segWork = new Float64Array(n);
    this.segStall = new Float64Array(n);
    this.actAt = new Float64Array(n);
    this.curSource = new Int32Array(n).fill(-1);
    this.curToken = new Int32Array(n);
    this.wakePending = new Uint8Array(n);
    this.haltedAt = new Float64Array(n);
    this.arrival = new Float64Array(n);
    this.exitEnd = new Float64Array(n);
    this.outside = new Uint8Array(n);
    this.work = Array.from({ length: n }, () => new WorkQueue());
    const s = setup.sources.length;
    this.items = new Float64Array(s);
    this.assertAt = new Float64Array(s).fill(-1);
    this.totals = newTotals(workloads.length);
    this.port = m.guest;
    const sources = setup.sources;
    this.sources = sources;
    this.wired = sources.map((x) => x.wired);
    this.srcTarget = Int32Array.from(sources, (x) => x.target);
    this.srcWorkload = Int32Array.from(sources, (x) => x.workload);
    this.srcLocal = Int32Array.from(sources, (x) => x.local);
    this.srcHandlerNs = Float64Array.from(sources, (x) => x.handlerNs);
    this.srcPerItemNs = Float64Array.from(sources, (x) => x.perItemNs);
    this.guestSets = setup.guestVcpuCounters;
    this.haltPollNs = config.haltPollNs;
    this.tr = new SimTracer(trace?.sink ?? null, trace?.pid ?? 1, n, this.meter);
    // Tokens are small integers on every plugin (vectors, INTIDs, XISRs): a flat table beats
    // a Map per interrupt. A token beyond the table (none so far) falls back to the Map.
    let maxToken = 0;
    for (const map of setup.tokens)
      for (const tok of map.keys()) maxToken = Math.max(maxToken, tok);
    this.tokenSpan = Math.min(maxToken + 1, 1 << 16);
    this.tokenSource = new Int32Array(n * this.tokenSpan).fill(-1);
    setup.tokens.forEach((map, v) => {
      for (const [tok, src] of map) {
        if (tok >= 0 && tok < this.tokenSpan) this.tokenSource[v * this.tokenSpan + tok] = src;
      }
    });
    this.kStep = this.engine.register((v, g) => this.step(v, g));
    this.kWake = this.engine.register((v, g) => this.wake(v, g));
    this.cHalt = setup.guestVcpuCounters[0]!.id('guest.halts');
    this.cWake = setup.guestVcpuCounters[0]!.id('guest.wakeups');
    this.cPollWake = setup.guestVcpuCounters[0]!.id('guest.pollWakeups');
    this.cInterrupted = setup.guestVcpuCounters[0]!.id('guest.interrupted');
    for (const c of setup.guestVcpuCounters) {
      c.id('guest.halts');
      c.id('guest.wakeups');
      c.id('guest.pollWakeups');
      c.id('guest.interrupted');
    }
  }

  /**
   * Runs `durationNs` of simulated time: {@link PathSimulation.start}, then
   * the engine to the end, then {@link PathSimulation.finish}.
   * @param onProgress - called with the fraction done, about every simulated millisecond.
   */
  run(durationNs: number, traceWindowNs: number, onProgress?: (fraction: number) => void): void {
    this.start(traceWindowNs);
    const chunk = 1_000_000;
    for (let t = chunk; ; t += chunk) {
      const until = Math.min(t, durationNs);
      this.runUntil(until);
      if (until > traceWindowNs) this.tracing = false; // nothing later is recorded
      onProgress?.(until / durationNs);
      if (until >= durationNs) break;
    }
    this.finish(durationNs);
  }

  /**
   * Starts the run at time 0: forgets the set-up's counts, lets every vCPU look for work (and
   * halt), and starts the workloads.
   * @param traceWindowNs - simulated time recorded in the trace, from 0.
   */
  start(traceWindowNs = 0): void {
    this.meter.resetTotals();
    this.tracing = this.tr.recording(traceWindowNs);
    this.tr.start(
      traceWindowNs,
      `${this.preset.id} — ${this.preset.label}`,
      this.setup.sources.map((s) => s.name),
    );
    for (let v = 0; v < this.n; v++) this.dispatch(v);
    this.workloads.forEach((w, i) => {
      if (this.setup.active[i]) w.start(this.context(i));
    });
  }

  /**
   * Processes events until `n` more interrupts have been taken (a benchmark's unit of work).
   * @returns false if the simulation ran out of events first.
   */
  advanceInterrupts(n: number): boolean {
    const totals = this.totals;
    const target = totals.interrupts + n;
    while (totals.interrupts < target) if (!this.nextEvent()) return false;
    return true;
  }

  /** Processes every event up to `until`; the clock then stands at `until` (as `Engine.run`). */
  private runUntil(until: number): void {
    const e = this.engine;
    while (e.nextEventTime() <= until) this.nextEvent();
    e.run(until); // nothing left to process: moves the clock
  }

  /**
   * Processes the earliest event: the guest model's own kinds by a direct call (one
   * monomorphic call per event, not a closure through the handler table).
   * @returns false when nothing was queued.
   */
  private nextEvent(): boolean {
    const e = this.engine;
    const kind = e.next();
    if (kind === this.kStep) this.step(e.lastA, e.lastB);
    else if (kind === this.kWake) this.wake(e.lastA, e.lastB);
    else if (kind >= 0) e.handle(kind);
    else return false;
    return true;
  }

  /** Closes the books at `endNs`: halted vCPUs' idle time up to the end. */
  finish(endNs: number): void {
    const poll = this.config.haltPollNs;
    for (let v = 0; v < this.n; v++) {
      if (this.state[v] !== St.BLOCKED) continue;
      const halted = Math.max(0, endNs - this.haltedAt[v]!);
      this.totals.pollNs += Math.min(poll, halted);
      this.totals.idleNs += Math.max(0, halted - poll);
    }
  }

  // ---- events ------------------------------------------------------------------------------

  /** A device raises source `s` now. */
  raise(s: number): void {
    const t = this.engine.now;
    const target = this.srcTarget[s]!;
    this.items[s]!++;
    this.totals.raises++;
    if (this.assertAt[s]! < 0) this.assertAt[s] = t;
    this.syncRunState(target);
    this.wired[s]!.raise();
    this.countInterrupted(target);
    const meter = this.meter;
    meter.charge(target);
    const h = meter.hostNs;
    if (this.tracing === true) this.tr.raise(s, this.sources[s]!.name, 'raise', t, h);
    this.applyStalls(t + h);
    this.arrive(target, t + h);
    this.noticeWakeups();
  }

  /** vCPU `from` sends the IPI of source `s`. */
  sendIpi(s: number, from: number): void {
    const t = this.engine.now;
    const target = this.srcTarget[s]!;
    this.items[s]!++;
    this.totals.raises++;
    if (this.assertAt[s]! < 0) this.assertAt[s] = t;
    this.toGuest(from);
    this.syncRunState(target);
    this.preset.ipi!.send(this.m, from, target);
    this.countInterrupted(target);
    this.meter.charge(from);
    const h = this.meter.hostNs;
    if (this.tracing === true && this.tr.at(t)) {
      this.tr.raise(s, this.sources[s]!.name, `ipi from vCPU ${from}`, t, h);
    }
    this.applyStalls(t);
    this.arrive(target, t + h);
    this.noticeWakeups();
  }

  /** Queues guest work on `v` for workload `owner`. */
  queueWork(v: number, ns: number, owner: number, tag: number): void {
    this.work[v]!.push(ns, owner, tag);
    if (this.state[v] === St.BLOCKED) this.scheduleWake(v, this.engine.now);
  }

  private step(v: number, g: number): void {
    if (g !== this.gen[v]) return;
    const st = this.state[v];
    if (st === St.HANDLER || st === St.WORK) {
      const t = this.engine.now;
      const end = Math.round(this.segStart[v]! + this.segWork[v]! + this.segStall[v]!);
      if (st === St.HANDLER && t < end) {
        this.engine.at(end, this.kStep, v, g); // stalled by an exit meanwhile
        return;
      }
      if (st === St.HANDLER) this.finishHandler(v);
      else if (t < end) this.preemptWork(v);
      else this.finishWork(v);
    }
    this.dispatch(v);
  }

  private wake(v: number, g: number): void {
    if (g !== this.gen[v]) return;
    const t = this.engine.now;
    this.wakePending[v] = 0;
    const halted = this.haltedAt[v]!;
    const poll = this.haltPollNs;
    const totals = this.totals;
    // KVM's halt polling: the host spins up to `poll` before scheduling the vCPU thread out;
    // an interrupt inside that window resumes the vCPU without a trip through the scheduler.
    const polled = poll > 0 && t - halted <= poll;
    if (polled) {
      totals.pollNs += t - halted;
    } else {
      totals.pollNs += poll;
      totals.idleNs += t - halted - poll;
    }
    if (this.tracing === true)
      this.tr.guest(v, polled ? 'halted (polling)' : 'halted', 'idle', halted, t);
    this.state[v] = St.READY;
    this.blocked--;
    this.m.setRunState(v, 'guest');
    // Priced together with the take that follows (one meter charge).
    this.guestSets[v]!.add(polled ? this.cPollWake : this.cWake);
    this.dispatch(v);
  }

  // ---- the guest model ---------------------------------------------------------------------

  private dispatch(v: number): void {
    let t = this.engine.now;
    const free = this.freeAt[v]!;
    if (free > t + 0.5) {
      // Still in an exit. If nothing else can happen before it ends, carry on from there
      // without a round trip through the event queue (same result, one event fewer).
      if (this.engine.nextEventTime() <= free) {
        this.engine.at(free, this.kStep, v, ++this.gen[v]!);
        return;
      }
      t = free;
    }
    this.actAt[v] = t;
    this.toGuest(v);
    const q = this.work[v]!;
    const pendingUntil = this.arrival[v]!;
    if (pendingUntil > t + 0.5) {
      // An interrupt for this vCPU is still on its host path (the machine already holds it):
      // do not let the guest see it early. Run work until then, or idle until it lands.
      if (q.size > 0) {
        this.segStart[v] = t;
        this.segWork[v] = q.headRemaining;
        this.beginSegment(v, St.WORK, true);
      } else {
        this.halt(v);
        this.scheduleWake(v, pendingUntil);
      }
      return;
    }
    const token = this.port.take(v);
    if (token !== null) {
      this.chargeAt(v);
      this.enterHandler(v, token);
      return;
    }
    if (q.size > 0) {
      this.chargeAt(v);
      this.segStart[v] = Math.max(t, this.freeAt[v]!);
      this.segWork[v] = q.headRemaining;
      this.beginSegment(v, St.WORK, false);
      return;
    }
    this.halt(v);
  }

  /** Enters the handler of `token` on `v` at dispatch's time, or when its exit ends. */
  private enterHandler(v: number, token: number): void {
    const entry = Math.max(this.actAt[v]!, this.freeAt[v]!);
    const s =
      token >= 0 && token < this.tokenSpan
        ? this.tokenSource[v * this.tokenSpan + token]!
        : (this.setup.tokens[v]!.get(token) ?? -1);
    const totals = this.totals;
    totals.interrupts++;
    let work = 1000;
    if (s < 0) {
      totals.unknownInterrupts++;
    } else {
      const items = this.items[s]!;
      if (items === 0) totals.emptyInterrupts++;
      work = this.srcHandlerNs[s]! + this.srcPerItemNs[s]! * items;
      const at = this.assertAt[s]!;
      if (at >= 0) {
        totals.workloadLatency[this.srcWorkload[s]!]!.record(entry - at);
        if (this.tracing === true) this.tr.flow(s, this.sources[s]!.name, at, v, entry);
        this.assertAt[s] = -1;
      }
    }
    this.curSource[v] = s;
    this.curToken[v] = token;
    this.segStart[v] = entry;
    this.segWork[v] = work;
    this.beginSegment(v, St.HANDLER, false);
  }

  /**
   * Starts the handler or piece of work the caller put in `segStart` / `segWork`;
   * `lookAtArrival` schedules an earlier look (preemption) when the pending arrival lands.
   */
  private beginSegment(v: number, state: St, lookAtArrival: boolean): void {
    this.state[v] = state;
    this.segStall[v] = 0;
    const end = this.segStart[v]! + this.segWork[v]!;
    const at = lookAtArrival === true ? Math.min(end, this.arrival[v]!) : end;
    this.engine.at(at, this.kStep, v, ++this.gen[v]!);
  }

  private finishHandler(v: number): void {
    const t = this.engine.now;
    const s = this.curSource[v]!;
    this.totals.guestNs += this.segWork[v]!;
    if (this.tracing === true && this.tr.at(this.segStart[v]!)) {
      const name = s < 0 ? `irq token ${this.curToken[v]}` : `irq ${this.sources[s]!.name}`;
      this.tr.guest(v, name, 'guest', this.segStart[v]!, t);
    }
    this.state[v] = St.READY;
    let items = 0;
    if (s >= 0) {
      // The handler reaps every work item pending now, including ones raised after entry:
      // their interrupt, if any, will find nothing (an empty interrupt, no latency sample).
      items = this.items[s]!;
      this.items[s] = 0;
      this.assertAt[s] = -1;
      const wired = this.wired[s]!;
      if (wired !== null) wired.service();
      else this.preset.ipi?.ack?.(this.m, v);
    }
    this.toGuest(v);
    this.port.eoi(v, this.curToken[v]!);
    this.noticeWakeups();
    const meter = this.meter;
    meter.charge(v);
    const h = meter.hostNs;
    if (h > 0 && this.tracing === true) this.tr.host('host: after EOI', t, h);
    this.applyStalls(t);
    if (s >= 0) this.workloads[this.srcWorkload[s]!]!.onServiced?.(this.srcLocal[s]!, items, v);
  }

  private preemptWork(v: number): void {
    const t = this.engine.now;
    const done = Math.min(this.segWork[v]!, Math.max(0, t - this.segStart[v]! - this.segStall[v]!));
    this.totals.guestNs += done;
    const q = this.work[v]!;
    q.headRemaining = this.segWork[v]! - done;
    this.traceWork(v, q.headOwner);
    this.state[v] = St.READY;
  }

  private finishWork(v: number): void {
    const q = this.work[v]!;
    this.totals.guestNs += this.segWork[v]!;
    const owner = q.headOwner;
    const tag = q.headTag;
    q.shift();
    this.traceWork(v, owner);
    this.state[v] = St.READY;
    this.workloads[owner]!.onWorkDone?.(tag, v);
  }

  /** Halts `v` at dispatch's time. */
  private halt(v: number): void {
    const t = this.actAt[v]!;
    this.toGuest(v);
    this.m.setRunState(v, 'blocked');
    if (this.m.runState(v) !== 'blocked') {
      // The plugin already holds an interrupt the simulator still has on its host path, so
      // its WFI / HLT would not block. In simulated time nothing is pending yet: the vCPU
      // thread waits out of guest mode, where an arrival wakes it without a kick.
      this.m.setRunState(v, 'host');
    }
    this.guestSets[v]!.add(this.cHalt);
    this.chargeAt(v);
    this.state[v] = St.BLOCKED;
    this.blocked++;
    this.haltedAt[v] = Math.max(t, this.freeAt[v]!);
  }

  /** An interrupt is on its way to `v` now while it runs guest code (priced by some maps). */
  private countInterrupted(v: number): void {
    const t = this.engine.now;
    if (this.state[v] !== St.BLOCKED && this.exitEnd[v]! <= t + 0.5) {
      this.guestSets[v]!.add(this.cInterrupted);
    }
  }

  /**
   * Before something reaches vCPU `v` now: a vCPU inside an exit is out of guest mode —
   * KVM queues the interrupt and the next entry injects it, with no kick (arm.md §7 "if it is
   * in the host, by nothing") — so the machine is told (`setRunState('host')`) for as long as
   * the exit lasts; once it is over the vCPU is back in the guest.
   */
  private syncRunState(v: number): void {
    if (this.state[v] === St.BLOCKED) return;
    if (this.exitEnd[v]! > this.engine.now + 0.5) {
      if (this.outside[v] === 0) {
        this.outside[v] = 1;
        this.m.setRunState(v, 'host');
      }
    } else {
      this.toGuest(v);
    }
  }

  /**
   * A plugin may wake a halted vCPU that has nothing to take (ARM kicks every vCPU when the
   * first SPI becomes active, ARM-3.8): the guest model wakes it too, finds nothing and
   * halts again — a spurious wake-up, priced as one.
   */
  private noticeWakeups(): void {
    if (this.blocked === 0) return;
    const m = this.m;
    for (let v = 0; v < this.n; v++) {
      if (this.state[v] === St.BLOCKED && this.wakePending[v] === 0 && m.runState(v) === 'guest') {
        this.scheduleWake(v, this.engine.now);
      }
    }
  }

  /** The vCPU re-enters the guest (after an exit {@link syncRunState} made visible). */
  private toGuest(v: number): void {
    if (this.outside[v] === 0) return;
    this.outside[v] = 0;
    this.m.setRunState(v, 'guest');
  }

  /** Something for `v` arrives at `at`: wake it, or preempt its workload work. */
  private arrive(v: number, at: number): void {
    if (at > this.arrival[v]!) this.arrival[v] = at;
    const st = this.state[v];
    if (st === St.BLOCKED) this.scheduleWake(v, at);
    else if (st === St.WORK)
      this.engine.at(Math.max(at, this.engine.now), this.kStep, v, ++this.gen[v]!);
  }

  private scheduleWake(v: number, at: number): void {
    if (this.wakePending[v] === 1) return;
    this.wakePending[v] = 1;
    const t = Math.max(at, this.freeAt[v]!, this.haltedAt[v]!, this.engine.now);
    this.engine.at(t, this.kWake, v, ++this.gen[v]!);
  }

  /**
   * Prices what was counted since the last charge ({@link Meter.charge}) and applies its
   * stalls from dispatch's time on `actor`.
   */
  private chargeAt(actor: number): void {
    this.meter.charge(actor);
    this.applyStalls(this.actAt[actor]!);
  }

  /** Applies the last charge's per-vCPU costs, from `start` (nothing when no vCPU paid). */
  private applyStalls(start: number): void {
    if (this.meter.vcpuPaid !== true) return;
    this.stallStart = start;
    this.applyStallsFrom();
  }

  private applyStallsFrom(): void {
    const start = this.stallStart;
    const ns = this.meter.vcpuNs;
    for (let v = 0; v < this.n; v++) {
      const d = ns[v]!;
      if (d === 0) continue;
      let from: number;
      const st = this.state[v];
      if (st === St.HANDLER && start < this.segStart[v]! + this.segWork[v]! + this.segStall[v]!) {
        // An exit while the handler runs (interrupts off) makes the handler take longer.
        this.segStall[v]! += d;
        from = start; // the tracer places it after earlier exit spans
        this.exitEnd[v] = Math.max(this.exitEnd[v]!, start) + d;
      } else {
        // Otherwise the vCPU is out of the guest from `start`; workload work is preempted
        // there (an arrival always accompanies such a cost) and resumes after the exit.
        from = Math.max(this.freeAt[v]!, start);
        this.freeAt[v] = from + d;
        this.exitEnd[v] = from + d;
      }
      if (this.tracing === true) this.tr.exit(v, from, d);
    }
  }

  // ---- workloads ---------------------------------------------------------------------------

  private context(i: number): WorkloadContext {
    return new SimContext(
      this,
      this.engine,
      new Rng(this.config.seed, i + 1),
      Int32Array.from(this.setup.sourceIndex[i]!),
      i,
    );
  }

  // ---- trace -------------------------------------------------------------------------------

  /** The piece of work that ends (or is preempted) now. */
  private traceWork(v: number, owner: number): void {
    if (this.tracing === true && this.tr.at(this.segStart[v]!)) {
      const t = this.engine.now;
      this.tr.guest(v, `work ${this.workloads[owner]!.name}`, 'guest', this.segStart[v]!, t);
    }
  }
}

/**
 * What a workload sees of its path simulation: one class (not an object literal of closures)
 * so that the workloads' calls stay monomorphic and inline.
 */
class SimContext implements WorkloadContext {
  readonly vcpus: number;

  constructor(
    private readonly sim: PathSimulation,
    private readonly engine: Engine,
    readonly rng: Rng,
    /** Global source index of each of the workload's local sources. */
    private readonly index: Int32Array,
    private readonly owner: number,
  ) {
    this.vcpus = sim.setup.machine.vcpus;
  }

  get now(): number {
    return this.engine.now;
  }

  register(handler: EventHandler): number {
    return this.engine.register(handler);
  }

  at(time: number, kind: number, a = 0, b = 0): void {
    this.engine.at(time, kind, a, b);
  }

  raise(local: number): void {
    this.sim.raise(this.index[local]!);
  }

  sendIpi(local: number, from: number): void {
    this.sim.sendIpi(this.index[local]!, from);
  }

  queueWork(vcpu: number, ns: number, tag: number): void {
    this.sim.queueWork(vcpu, ns, this.owner, tag);
  }
}
