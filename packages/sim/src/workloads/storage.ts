import type { Workload, WorkloadContext, WorkloadSource } from './workload.js';
import { round } from './workload.js';

/** Parameters of {@link StorageBursts}. */
export interface StorageSpec {
  /** `storage`. */
  readonly kind: 'storage';
  /** Workload name. */
  readonly name: string;
  /** Completion queues, one MSI-X vector each. */
  readonly queues: number;
  /** vCPU of each queue (queue i → `vcpus[i % vcpus.length]`). */
  readonly vcpus: readonly number[];
  /** Priority of the completion interrupts (0..11). */
  readonly priority: number;
  /** Mean gap between bursts (exponential), µs. */
  readonly burstGapUs: number;
  /** Completions per burst. */
  readonly burstSize: number;
  /** Completions of a burst arrive spread uniformly over this window, µs. */
  readonly burstSpreadUs: number;
  /** Handler time per interrupt, µs. */
  readonly handlerUs: number;
  /** Handler time per completion reaped, µs. */
  readonly perCompletionUs: number;
}

/**
 * Bursty storage completions (an NVMe-like device): bursts arrive as a Poisson process; each
 * brings `burstSize` completions spread over a short window, each on a random queue, and each
 * completion raises its queue's vector (no interrupt moderation). The handler reaps every
 * completion pending on its queue.
 */
export class StorageBursts implements Workload {
  readonly kind = 'storage';
  readonly name: string;
  readonly sources: readonly WorkloadSource[];
  private ctx: WorkloadContext | null = null;
  private kBurst = -1;
  private kComplete = -1;
  private completions = 0;
  private reaped = 0;
  /** Derived once from the spec (the per-burst code reads plain fields). */
  private readonly spreadNs: number;
  private readonly gapNs: number;

  /** @param spec - parameters. */
  constructor(private readonly spec: StorageSpec) {
    this.name = spec.name;
    this.spreadNs = spec.burstSpreadUs * 1000;
    this.gapNs = spec.burstGapUs * 1000;
    this.sources = Array.from({ length: spec.queues }, (_, q) => ({
      name: `q${q}`,
      kind: 'device' as const,
      target: spec.vcpus[q % spec.vcpus.length]!,
      priority: spec.priority,
      handlerNs: spec.handlerUs * 1000,
      perItemNs: spec.perCompletionUs * 1000,
    }));
  }

  start(ctx: WorkloadContext): void {
    this.ctx = ctx;
    this.kComplete = ctx.register((q) => {
      this.completions++;
      ctx.raise(q);
    });
    this.kBurst = ctx.register(() => this.burst());
    ctx.at(ctx.now + ctx.rng.exp(this.gapNs), this.kBurst);
  }

  onServiced(_local: number, items: number): void {
    this.reaped += items;
  }

  metrics(durationNs: number): Record<string, number> {
    const s = durationNs / 1e9;
    return {
      completions: this.completions,
      completionsPerSec: round(this.completions / s, 1),
      reaped: this.reaped,
    };
  }

  private burst(): void {
    const ctx = this.ctx!;
    const spread = this.spreadNs;
    const n = this.spec.burstSize;
    const queues = this.spec.queues;
    const rng = ctx.rng;
    const now = ctx.now;
    for (let i = 0; i < n; i++) {
      const q = rng.int(queues);
      ctx.at(now + rng.next() * spread, this.kComplete, q);
    }
    ctx.at(now + rng.exp(this.gapNs), this.kBurst);
  }
}
