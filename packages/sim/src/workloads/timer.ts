import type { Workload, WorkloadContext, WorkloadSource } from './workload.js';
import { round } from './workload.js';

/** Parameters of {@link PeriodicTimer}. */
export interface TimerSpec {
  /** `timer`. */
  readonly kind: 'timer';
  /** Workload name. */
  readonly name: string;
  /** Period, µs. */
  readonly periodUs: number;
  /** One timer interrupt per listed vCPU. */
  readonly vcpus: readonly number[];
  /** Priority (0..11). */
  readonly priority: number;
  /** Handler time, µs. */
  readonly handlerUs: number;
}

/**
 * A periodic timer device per vCPU (a guest tick): fires every `periodUs`, phase-shifted per
 * vCPU so the ticks do not line up.
 */
export class PeriodicTimer implements Workload {
  readonly kind = 'timer';
  readonly name: string;
  readonly sources: readonly WorkloadSource[];
  private ticks = 0;

  /** @param spec - parameters. */
  constructor(private readonly spec: TimerSpec) {
    this.name = spec.name;
    this.sources = spec.vcpus.map((v) => ({
      name: `cpu${v}`,
      kind: 'device' as const,
      target: v,
      priority: spec.priority,
      handlerNs: spec.handlerUs * 1000,
      perItemNs: 0,
    }));
  }

  start(ctx: WorkloadContext): void {
    const period = this.spec.periodUs * 1000;
    const kTick = ctx.register((i) => {
      this.ticks++;
      ctx.raise(i);
      ctx.at(ctx.now + period, kTick, i);
    });
    const n = this.sources.length;
    for (let i = 0; i < n; i++) ctx.at(ctx.now + (period * (i + 1)) / (n + 1), kTick, i);
  }

  metrics(durationNs: number): Record<string, number> {
    return { ticks: this.ticks, ticksPerSec: round(this.ticks / (durationNs / 1e9), 1) };
  }
}
