import type { Workload, WorkloadContext, WorkloadSource } from './workload.js';
import { round } from './workload.js';

/** Parameters of {@link RequestResponse}. */
export interface RequestResponseSpec {
  /** `request-response`. */
  readonly kind: 'request-response';
  /** Workload name. */
  readonly name: string;
  /** vCPU that takes the receive interrupt and runs the server. */
  readonly vcpu: number;
  /** Priority of the receive interrupt (0..11). */
  readonly priority: number;
  /** Round trip on the wire, client turnaround included, µs. */
  readonly rttUs: number;
  /** Server work per transaction in the guest, µs. */
  readonly appUs: number;
  /** Receive interrupt handler time, µs. */
  readonly handlerUs: number;
  /** Concurrent transactions in flight (netperf TCP_RR: 1). */
  readonly sessions: number;
  /** Relative spread of the wire round trip (0 = fixed). */
  readonly jitter: number;
}

/**
 * netperf TCP_RR: a client keeps `sessions` one-byte transactions in flight. Each request
 * arrives as a receive interrupt on the NIC queue; the guest's handler picks it up, the server
 * works `appUs`, and the reply leaves; the next request arrives one wire round trip later.
 * So every nanosecond of interrupt delivery lowers transactions per second.
 */
export class RequestResponse implements Workload {
  readonly kind = 'request-response';
  readonly name: string;
  readonly sources: readonly WorkloadSource[];
  private ctx: WorkloadContext | null = null;
  private kArrive = -1;
  private transactions = 0;
  private inFlight = 0;
  /** Derived once from the spec (the per-transaction code reads plain fields). */
  private readonly appNs: number;
  private readonly rttNs: number;
  private readonly jitter: number;

  /** @param spec - parameters. */
  constructor(private readonly spec: RequestResponseSpec) {
    this.name = spec.name;
    this.appNs = spec.appUs * 1000;
    this.rttNs = spec.rttUs * 1000;
    this.jitter = spec.jitter;
    this.sources = [
      {
        name: 'rx',
        kind: 'device',
        target: spec.vcpu,
        priority: spec.priority,
        handlerNs: spec.handlerUs * 1000,
        perItemNs: 0,
      },
    ];
  }

  start(ctx: WorkloadContext): void {
    this.ctx = ctx;
    this.kArrive = ctx.register(() => ctx.raise(0));
    for (let i = 0; i < this.spec.sessions; i++) {
      ctx.at(ctx.now + this.wire(ctx) / 2 + i, this.kArrive);
    }
  }

  onServiced(_local: number, items: number, vcpu: number): void {
    const ctx = this.ctx!;
    // Each request found pending is one transaction for the server to answer.
    const appNs = this.appNs;
    for (let i = 0; i < items; i++) ctx.queueWork(vcpu, appNs, 0);
    this.inFlight += items;
  }

  onWorkDone(): void {
    const ctx = this.ctx!;
    this.inFlight--;
    this.transactions++;
    ctx.at(ctx.now + this.wire(ctx), this.kArrive);
  }

  metrics(durationNs: number): Record<string, number> {
    const s = durationNs / 1e9;
    return {
      transactions: this.transactions,
      transactionsPerSec: round(this.transactions / s, 1),
      usPerTransaction: this.transactions === 0 ? 0 : round((s * 1e6) / this.transactions, 3),
    };
  }

  private wire(ctx: WorkloadContext): number {
    const rtt = this.rttNs;
    return this.jitter > 0 ? ctx.rng.jitter(rtt, this.jitter) : rtt;
  }
}
