import { Counters, Host, type Machine } from '@irqkit/core';
import type { CostMap } from '../cost/cost-map.js';
import { Meter } from '../cost/meter.js';
import type { PriceList } from '../cost/price-list.js';
import type { PathPreset, SourceSpec, WireContext, WiredSource } from '../presets/preset.js';
import type { Workload } from '../workloads/workload.js';

/** A source of the run after wiring and probing. */
export interface RunSource {
  /** The preset's wiring (null for IPI sources). */
  readonly wired: WiredSource | null;
  /** Full name `<workload>.<source>`. */
  readonly name: string;
  /** Target vCPU. */
  readonly target: number;
  /** Workload index. */
  readonly workload: number;
  /** Index within the workload. */
  readonly local: number;
  /** Handler time, ns. */
  readonly handlerNs: number;
  /** Handler time per pending item, ns. */
  readonly perItemNs: number;
  /** The token `take` returns for it on its target. */
  readonly token: number;
}

/** The machine and sources of one path, ready to run. */
export interface RunSetup {
  /** The machine. */
  readonly machine: Machine;
  /** Sources, by global index. */
  readonly sources: readonly RunSource[];
  /** Token → source index, per vCPU. */
  readonly tokens: readonly Map<number, number>[];
  /** Workloads that take part (others were dropped, see `notApplicable`). */
  readonly active: readonly boolean[];
  /** Names of dropped workloads. */
  readonly notApplicable: readonly string[];
  /** Global index of each (workload, local source), −1 when dropped. */
  readonly sourceIndex: readonly (readonly number[])[];
  /** The simulator's guest-model counters: machine-wide and per vCPU. */
  readonly guestCounters: Counters;
  /** Per-vCPU children of `guestCounters`. */
  readonly guestVcpuCounters: readonly Counters[];
  /** The cost meter (created before anything is counted). */
  readonly meter: Meter;
}

/** How {@link setUpPath} prices the run. */
export interface SetupPricing {
  /** Counter → constant map. */
  readonly costMap: CostMap;
  /** Platform with overrides. */
  readonly prices: PriceList;
  /** Keep per-charge rule counts (for trace labels). */
  readonly trackLast?: boolean;
}

/** Thrown when a preset cannot run on its machine (a missing capability). */
export class UnsupportedPathError extends Error {}

function wireContext(machine: Machine, after: (() => void)[]): WireContext {
  const lines = [...machine.capabilities.lineGsis];
  let nextLine = 0;
  let nextMsi = lines.length === 0 ? 32 : Math.max(...lines) + 1;
  return {
    machine,
    lineGsi() {
      const g = lines[nextLine++];
      if (g === undefined) {
        throw new UnsupportedPathError(
          `${machine.arch} offers ${lines.length} line GSIs; the scenario needs more`,
        );
      }
      return g;
    },
    msiGsi: () => nextMsi++,
    afterWiring: (fn) => after.push(fn),
  };
}

/**
 * Builds the machine, wires every workload source along the preset's path, and probes each
 * source once (raise → take → service → EOI on its target) to learn the token the guest will
 * see for it. The probe leaves the machine idle and unmasked.
 * @throws UnsupportedPathError when the preset cannot run; Error when the wiring misbehaves.
 */
export function setUpPath(
  preset: PathPreset,
  vcpus: number,
  workloads: readonly Workload[],
  pricing: SetupPricing,
): RunSetup {
  const host = new Host();
  const machine = preset.createMachine({ host, vcpus });
  if (machine.vcpus !== vcpus) {
    throw new Error(`${preset.id}: asked for ${vcpus} vCPUs, got ${machine.vcpus}`);
  }
  const why = preset.unsupported?.(machine) ?? null;
  if (why !== null) throw new UnsupportedPathError(why);
  // The meter resolves (defines) every priced counter before the plugin counts anything.
  const guestCounters = new Counters();
  const guestVcpuCounters = Array.from({ length: vcpus }, () => new Counters(guestCounters));
  const meter = new Meter(
    { machine, guest: guestVcpuCounters, guestParent: guestCounters },
    pricing.costMap,
    pricing.prices,
    pricing.trackLast ?? false,
  );
  for (let v = 0; v < vcpus; v++) machine.setRunState(v, 'guest');

  const after: (() => void)[] = [];
  const ctx = wireContext(machine, after);
  const sources: RunSource[] = [];
  const pending: Array<Omit<RunSource, 'token'> & { spec: SourceSpec | null }> = [];
  const active: boolean[] = [];
  const notApplicable: string[] = [];
  const sourceIndex: number[][] = [];
  workloads.forEach((w, wi) => {
    const needsIpi = w.sources.some((s) => s.kind === 'ipi');
    const ok = !needsIpi || (preset.ipi !== undefined && vcpus >= 2);
    active.push(ok);
    if (!ok) notApplicable.push(w.name);
    sourceIndex.push(
      w.sources.map((s, local) => {
        if (!ok) return -1;
        const index = pending.length;
        const name = `${w.name}.${s.name}`;
        const spec: SourceSpec = { index, name, target: s.target, priority: s.priority };
        pending.push({
          wired: s.kind === 'device' ? preset.wire(ctx, spec) : null,
          spec: s.kind === 'device' ? spec : null,
          name,
          target: s.target,
          workload: wi,
          local,
          handlerNs: s.handlerNs,
          perItemNs: s.perItemNs,
        });
        return index;
      }),
    );
  });
  for (const fn of after) fn();

  const tokens = Array.from({ length: vcpus }, () => new Map<number, number>());
  pending.forEach((p, index) => {
    const token = probe(preset, machine, p.wired, p.target, p.name);
    const map = tokens[p.target]!;
    const clash = map.get(token);
    if (clash !== undefined && p.wired !== null) {
      throw new Error(
        `${preset.id}: ${p.name} and ${pending[clash]!.name} share token ${token} on vCPU ${p.target}`,
      );
    }
    if (clash === undefined) map.set(token, index);
    const { spec: _spec, ...rest } = p;
    sources.push({ ...rest, token });
  });

  return {
    meter,
    machine,
    sources,
    tokens,
    active,
    notApplicable,
    sourceIndex,
    guestCounters,
    guestVcpuCounters,
  };
}

function probe(
  preset: PathPreset,
  machine: Machine,
  wired: WiredSource | null,
  target: number,
  name: string,
): number {
  if (wired === null) {
    const from = (target + 1) % machine.vcpus;
    preset.ipi!.send(machine, from, target);
  } else {
    wired.raise();
  }
  const token = machine.guest.take(target);
  if (token === null) {
    throw new Error(`${preset.id}: ${name} was raised but vCPU ${target} had nothing to take`);
  }
  if (wired === null) preset.ipi!.ack?.(machine, target);
  else wired.service();
  machine.guest.eoi(target, token);
  const extra = machine.guest.take(target);
  if (extra !== null) {
    machine.guest.eoi(target, extra);
    throw new Error(`${preset.id}: probing ${name} left token ${extra} pending on vCPU ${target}`);
  }
  return token;
}
