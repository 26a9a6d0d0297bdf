import type { Workload, WorkloadContext, WorkloadSource } from './workload.js';
import { round } from './workload.js';

/** Parameters of {@link IpiStorm}. */
export interface IpiStormSpec {
  /** `ipi-storm`. */
  readonly kind: 'ipi-storm';
  /** Workload name. */
  readonly name: string;
  /** vCPUs that send (each to a random other vCPU). */
  readonly senders: readonly number[];
  /** Mean gap between one sender's IPIs (exponential), µs. */
  readonly gapUs: number;
  /** Guest time to decide and send one IPI, µs (runs on the sender). */
  readonly sendUs: number;
  /** IPI handler time, µs. */
  readonly handlerUs: number;
  /** Priority of the IPI (0..11; presets may ignore it). */
  readonly priority: number;
}

/**
 * IPI storms (reschedule / TLB-shootdown style): each sender, at Poisson times, runs a short
 * piece of guest code that sends an IPI to a random other vCPU. Needs the preset's IPI hook;
 * paths without one report the workload as not applicable.
 */
export class IpiStorm implements Workload {
  readonly kind = 'ipi-storm';
  readonly name: string;
  readonly sources: readonly WorkloadSource[];
  private ctx: WorkloadContext | null = null;
  private kSend = -1;
  private sent = 0;
  private handled = 0;

  /**
   * @param spec - parameters.
   * @param vcpus - number of vCPUs (one IPI source per vCPU).
   */
  constructor(
    private readonly spec: IpiStormSpec,
    vcpus: number,
  ) {
    this.name = spec.name;
    this.sources = Array.from({ length: vcpus }, (_, v) => ({
      name: `ipi${v}`,
      kind: 'ipi' as const,
      target: v,
      priority: spec.priority,
      handlerNs: spec.handlerUs * 1000,
      perItemNs: 0,
    }));
  }

  start(ctx: WorkloadContext): void {
    this.ctx = ctx;
    this.kSend = ctx.register((from) => {
      ctx.queueWork(from, this.spec.sendUs * 1000, from);
      ctx.at(ctx.now + ctx.rng.exp(this.spec.gapUs * 1000), this.kSend, from);
    });
    for (const s of this.spec.senders) {
      ctx.at(ctx.now + ctx.rng.exp(this.spec.gapUs * 1000), this.kSend, s);
    }
  }

  onWorkDone(from: number): void {
    const ctx = this.ctx!;
    const n = this.sources.length;
    if (n < 2) return;
    let to = ctx.rng.int(n - 1);
    if (to >= from) to++;
    this.sent++;
    ctx.sendIpi(to, from);
  }

  onServiced(_local: number, items: number): void {
    this.handled += items;
  }

  metrics(durationNs: number): Record<string, number> {
    return {
      ipisSent: this.sent,
      ipisPerSec: round(this.sent / (durationNs / 1e9), 1),
      ipisHandled: this.handled,
    };
  }
}
