import { COST_MAPS, type CostMap } from '../cost/cost-map.js';
import { defaultPlatform, PLATFORMS } from '../cost/platforms.js';
import { PriceList } from '../cost/price-list.js';
import type { PathPreset } from '../presets/preset.js';
import type { Scenario } from '../scenario/scenario.js';
import type { ChromeTrace } from '../trace/chrome-trace.js';
import { createWorkload } from '../workloads/create.js';
import { round } from '../workloads/workload.js';
import { PathSimulation } from './path-sim.js';
import type { Comparison, PathResult } from './result.js';
import { type RunSetup, setUpPath, UnsupportedPathError } from './setup.js';
import { totalLatency } from './totals.js';

/** Options of {@link runPath} and {@link compare}. */
export interface RunOptions {
  /** Trace sink (each path becomes one process). */
  readonly trace?: ChromeTrace | null;
  /** Progress: path `index` of `count` is `fraction` done. */
  readonly onProgress?: (index: number, count: number, fraction: number) => void;
}

/**
 * The price list a preset runs with: the scenario's platform choice for its arch (or the
 * arch's default) with the scenario's overrides.
 * @throws Error for an unknown platform, a platform of another arch, or a bad override.
 */
export function priceListFor(preset: PathPreset, scenario: Scenario): PriceList {
  const arch = preset.arch;
  const chosen = scenario.platforms[arch];
  const platform = chosen === undefined ? defaultPlatform(arch) : PLATFORMS[chosen];
  if (platform === undefined) {
    throw new Error(
      chosen === undefined
        ? `no cost platform for architecture '${arch}'`
        : `platforms.${arch}: unknown platform '${chosen}' (known: ${Object.keys(PLATFORMS).join(', ')})`,
    );
  }
  if (platform.arch !== arch) {
    throw new Error(
      `platforms.${arch}: '${platform.name}' prices '${platform.arch}', not '${arch}'`,
    );
  }
  return new PriceList(platform, scenario.costs[arch] ?? {});
}

function costMapFor(preset: PathPreset): CostMap {
  const map = preset.costMap ?? COST_MAPS[preset.arch];
  if (map === undefined) throw new Error(`no cost map for architecture '${preset.arch}'`);
  return map;
}

/**
 * Selects presets by the scenario's `paths`: `all`, an architecture name, a preset id, or a
 * glob over ids (`*` matches anything: `x86/*`, `*-forwarded`). Order follows `presets`.
 * @throws Error naming a selector that matches nothing.
 */
export function selectPresets(
  presets: readonly PathPreset[],
  selectors: readonly string[],
): PathPreset[] {
  const glob = (sel: string) =>
    new RegExp(`^${sel.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  const matches = (p: PathPreset, sel: string): boolean =>
    sel === 'all' || sel === p.arch || sel === p.id || (sel.includes('*') && glob(sel).test(p.id));
  for (const sel of selectors) {
    if (!presets.some((p) => matches(p, sel))) {
      throw new Error(
        `paths: '${sel}' matches no path (available: all, ${[...new Set(presets.map((p) => p.arch))].join(', ')}, ${presets.map((p) => p.id).join(', ')})`,
      );
    }
  }
  return presets.filter((p) => selectors.some((sel) => matches(p, sel)));
}

function skipped(
  preset: PathPreset,
  status: 'unsupported' | 'error',
  reason: string,
  platform: string,
  cpuGHz: number,
): PathResult {
  return {
    id: preset.id,
    arch: preset.arch,
    label: preset.label,
    description: preset.description,
    ...(preset.baseline === undefined ? {} : { baseline: preset.baseline }),
    status,
    reason,
    platform,
    cpuGHz,
    simulatedNs: 0,
    raises: 0,
    interrupts: 0,
    emptyInterrupts: 0,
    unknownInterrupts: 0,
    latencyNs: { count: 0, min: 0, p50: 0, p99: 0, max: 0, mean: 0 },
    exitsPerInterrupt: 0,
    exitsByReason: {},
    hostShare: 0,
    time: { guestNs: 0, vcpuOverheadNs: 0, hostNs: 0, pollNs: 0, idleNs: 0 },
    priced: {},
    counters: {},
    constantsUsed: [],
    workloads: {},
    notApplicable: [],
    events: 0,
  };
}

/**
 * Runs one path under `scenario`. A preset that cannot run (missing capability, too few line
 * GSIs) or whose set-up fails yields a result with status `unsupported` / `error` and the
 * reason, so one bad path never stops a comparison. Cost errors (unknown platform or
 * constant) are the scenario's fault and are thrown.
 */
export function runPath(
  preset: PathPreset,
  scenario: Scenario,
  options: RunOptions & { readonly pid?: number } = {},
): PathResult {
  let sim: PathSimulation;
  try {
    sim = createPathSimulation(preset, scenario, options);
  } catch (e) {
    if (!(e instanceof PathSetupError)) throw e;
    return skipped(preset, e.status, e.message, e.platform, e.cpuGHz);
  }
  const prices = sim.prices;
  const durationNs = Math.round(scenario.durationMs * 1e6);
  const m = sim.setup.machine;
  const before = {
    machine: m.counters.snapshot(),
    host: m.host.counters.snapshot(),
    guest: sim.setup.guestCounters.snapshot(),
  };
  sim.run(durationNs, scenario.trace.windowUs * 1000, (f) => options.onProgress?.(0, 1, f));
  const counters: Record<string, number> = {};
  for (const [k, v] of Object.entries(m.counters.delta(before.machine))) counters[k] = v;
  for (const [k, v] of Object.entries(m.host.counters.delta(before.host)))
    counters[`host.${k}`] = v;
  for (const [k, v] of Object.entries(sim.setup.guestCounters.delta(before.guest))) counters[k] = v;
  return buildResult(preset, sim, prices, durationNs, counters);
}

/** A path that could not be set up (status `unsupported` or `error`). */
export class PathSetupError extends Error {
  /**
   * @param status - `unsupported` (a missing capability) or `error`.
   * @param message - why.
   * @param platform - the platform it would have been priced with.
   * @param cpuGHz - that platform's clock.
   */
  constructor(
    readonly status: 'unsupported' | 'error',
    message: string,
    readonly platform: string,
    readonly cpuGHz: number,
  ) {
    super(message);
    this.name = 'PathSetupError';
  }
}

/**
 * Builds one path's simulation for `scenario` without running it: machine wired and probed,
 * workloads created, meter ready. {@link runPath} runs it; benchmarks drive it step by step.
 * @throws PathSetupError when the path cannot be set up; Error for cost configuration errors.
 */
export function createPathSimulation(
  preset: PathPreset,
  scenario: Scenario,
  options: { readonly trace?: ChromeTrace | null; readonly pid?: number } = {},
): PathSimulation {
  const prices = priceListFor(preset, scenario);
  const map = costMapFor(preset);
  const workloads = scenario.workloads.map((w) => createWorkload(w, scenario.vcpus));
  const trace =
    options.trace === undefined || options.trace === null
      ? null
      : { sink: options.trace, pid: options.pid ?? 1 };
  try {
    const setup = setUpPath(preset, scenario.vcpus, workloads, {
      costMap: map,
      prices,
      trackLast: trace !== null,
    });
    const config = { seed: scenario.seed, haltPollNs: scenario.haltPollUs * 1000 };
    return new PathSimulation(preset, setup, workloads, config, trace, prices);
  } catch (e) {
    const status = e instanceof UnsupportedPathError ? 'unsupported' : 'error';
    const msg = e instanceof Error ? e.message : String(e);
    throw new PathSetupError(status, msg, prices.platform.name, prices.cpuGHz);
  }
}

function buildResult(
  preset: PathPreset,
  sim: PathSimulation,
  prices: PriceList,
  durationNs: number,
  counters: Record<string, number>,
): PathResult {
  const t = sim.totals;
  const meter = sim.meter;
  const irqs = t.interrupts;
  const per = (x: number) => (irqs === 0 ? 0 : round(x / irqs, 4));
  const exitsByReason: Record<string, number> = {};
  let exits = 0;
  meter.reasons.forEach((r, i) => {
    const n = meter.exits[i]!;
    if (n === 0) return;
    exitsByReason[r] = per(n);
    if (r !== 'halt') exits += n;
  });
  const priced: Record<string, { count: number; perInterrupt: number; ns: number }> = {};
  const used = new Set<string>();
  meter.ruleList.forEach((rule, i) => {
    const n = meter.ruleCounts[i]!;
    if (n === 0) return;
    const key = `${rule.scope === 'host' ? 'host.' : ''}${rule.counter}`;
    priced[key] = { count: n, perInterrupt: per(n), ns: Math.round(meter.ruleNsTotal[i]!) };
    for (const c of prices.ruleConstants(rule)) used.add(c);
  });
  const overhead = meter.vcpuNsTotal + meter.hostNsTotal + t.pollNs;
  const workloads: Record<string, Record<string, number>> = {};
  sim.workloads.forEach((w, i) => {
    if (!sim.setup.active[i]) return;
    const h = t.workloadLatency[i]!;
    workloads[w.name] = {
      ...w.metrics(durationNs),
      interrupts: h.count,
      latencyP50Ns: h.quantile(0.5),
      latencyP99Ns: h.quantile(0.99),
      latencyMaxNs: h.max,
    };
  });
  const lat = totalLatency(t);
  return {
    id: preset.id,
    arch: preset.arch,
    label: preset.label,
    description: preset.description,
    ...(preset.baseline === undefined ? {} : { baseline: preset.baseline }),
    status: 'ok',
    platform: prices.platform.name,
    cpuGHz: prices.cpuGHz,
    simulatedNs: durationNs,
    raises: t.raises,
    interrupts: irqs,
    emptyInterrupts: t.emptyInterrupts,
    unknownInterrupts: t.unknownInterrupts,
    latencyNs: {
      count: lat.count,
      min: lat.min,
      p50: lat.quantile(0.5),
      p99: lat.quantile(0.99),
      max: lat.max,
      mean: round(lat.mean, 1),
    },
    exitsPerInterrupt: per(exits),
    exitsByReason,
    hostShare: overhead === 0 ? 0 : round(overhead / (overhead + t.guestNs), 4),
    time: {
      guestNs: Math.round(t.guestNs),
      vcpuOverheadNs: Math.round(meter.vcpuNsTotal),
      hostNs: Math.round(meter.hostNsTotal),
      pollNs: Math.round(t.pollNs),
      idleNs: Math.round(t.idleNs),
    },
    priced,
    counters,
    constantsUsed: [...used].sort(),
    workloads,
    notApplicable: sim.setup.notApplicable,
    events: sim.engine.events,
  };
}

/**
 * Builds, wires and probes one path's machine for `scenario` without running it (what
 * `irqkit graph` draws).
 * @throws UnsupportedPathError, or Error when set-up fails.
 */
export function wirePath(preset: PathPreset, scenario: Scenario): RunSetup {
  const workloads = scenario.workloads.map((w) => createWorkload(w, scenario.vcpus));
  return setUpPath(preset, scenario.vcpus, workloads, {
    costMap: costMapFor(preset),
    prices: priceListFor(preset, scenario),
  });
}

/** Runs every preset under `scenario` (one after another, each on a fresh machine). */
export function compare(
  scenario: Scenario,
  presets: readonly PathPreset[],
  options: RunOptions = {},
): Comparison {
  const paths = presets.map((p, i) =>
    runPath(p, scenario, {
      ...options,
      pid: i + 1,
      onProgress: (_a, _b, f) => options.onProgress?.(i, presets.length, f),
    }),
  );
  return {
    scenario: scenario.name,
    description: scenario.description,
    seed: scenario.seed,
    vcpus: scenario.vcpus,
    durationMs: scenario.durationMs,
    paths,
  };
}
