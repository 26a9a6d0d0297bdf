import type { Meter } from '../cost/meter.js';
import type { ChromeTrace } from '../trace/chrome-trace.js';

/**
 * What a {@link PathSimulation} records in a Chrome trace: one process per path and, in it,
 * one track per vCPU (guest work, halts), one per vCPU for its exits and other time out of
 * the guest, one for host CPU work, and one per interrupt source (raises), with flow arrows
 * from a raise to the handler it starts. Only the first `windowNs` of simulated time are
 * recorded; with no sink every call is a cheap no-op.
 */
export class SimTracer {
  private end = -1;
  private on = false;
  private readonly exitCursor: Float64Array;

  /**
   * @param sink - the trace, or null.
   * @param pid - this path's process id.
   * @param vcpus - number of vCPUs.
   * @param meter - for the labels of exit spans.
   */
  constructor(
    private readonly sink: ChromeTrace | null,
    private readonly pid: number,
    private readonly vcpus: number,
    private readonly meter: Meter,
  ) {
    this.exitCursor = new Float64Array(vcpus);
  }

  /** Starts recording: names the process and tracks; records `[0, windowNs]`. */
  start(windowNs: number, processName: string, sources: readonly string[]): void {
    if (this.sink === null) return;
    this.end = windowNs;
    this.on = windowNs > 0;
    const { sink, pid } = this;
    sink.process(pid, processName);
    for (let v = 0; v < this.vcpus; v++) {
      sink.thread(pid, this.vcpuTid(v), `vCPU ${v} (guest)`);
      sink.thread(pid, this.exitTid(v), `vCPU ${v} exits / host time`);
    }
    sink.thread(pid, this.hostTid(), 'host CPU work');
    for (const [i, name] of sources.entries())
      sink.thread(pid, this.sourceTid(i), `device ${name}`);
  }

  /** Whether {@link SimTracer.start} with this window will record anything. */
  recording(windowNs: number): boolean {
    return this.sink !== null && windowNs > 0;
  }

  /** True when an event at `t` is recorded. */
  at(t: number): boolean {
    return this.on && t <= this.end;
  }

  /** A device raise (or IPI send) of source `s` at `t`, with `hostNs` of host work. */
  raise(s: number, name: string, label: string, t: number, hostNs: number): void {
    if (!this.at(t)) return;
    this.sink!.span(this.pid, this.sourceTid(s), label, 'device', t, Math.max(1, hostNs));
    if (hostNs > 0) this.host(`host: ${name}`, t, hostNs);
  }

  /** Host CPU work. */
  host(name: string, t: number, ns: number): void {
    if (this.at(t)) this.sink!.span(this.pid, this.hostTid(), name, 'host', t, ns);
  }

  /** A guest span on vCPU `v` (handler, work, halt). */
  guest(v: number, name: string, cat: string, start: number, end: number): void {
    if (this.at(start)) this.sink!.span(this.pid, this.vcpuTid(v), name, cat, start, end - start);
  }

  /** The arrow from source `s`'s raise at `raisedAt` to its handler on `v` at `entry`. */
  flow(s: number, name: string, raisedAt: number, v: number, entry: number): void {
    if (this.at(raisedAt)) {
      this.sink!.flow(this.pid, name, this.sourceTid(s), raisedAt, this.vcpuTid(v), entry);
    }
  }

  /** `ns` of time out of the guest on `v` from `from`, labelled with the last charge's rules. */
  exit(v: number, from: number, ns: number): void {
    if (!this.at(from)) return;
    const at = Math.max(from, this.exitCursor[v]!);
    this.sink!.span(this.pid, this.exitTid(v), this.chargeLabel(), 'exit', at, ns);
    this.exitCursor[v] = at + ns;
  }

  private vcpuTid(v: number): number {
    return 1 + v;
  }

  private exitTid(v: number): number {
    return 1 + this.vcpus + v;
  }

  private hostTid(): number {
    return 1 + 2 * this.vcpus;
  }

  private sourceTid(s: number): number {
    return 2 + 2 * this.vcpus + s;
  }

  private chargeLabel(): string {
    const rules = this.meter.ruleList;
    const last = this.meter.lastRuleCounts;
    const names: string[] = [];
    for (let i = 0; i < rules.length; i++) {
      if (last[i]! > 0 && rules[i]!.on === 'vcpu') names.push(rules[i]!.exit ?? rules[i]!.counter);
    }
    return names.length === 0 ? 'exit' : names.join(' + ');
  }
}
