import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import {
  ChromeTrace,
  type Comparison,
  compare,
  defaultPlatform,
  type PathPreset,
  PLATFORMS,
  priceListFor,
  type Scenario,
  selectPresets,
} from '@irqkit/sim';
import { EXIT, UsageError } from '../errors.js';
import { formatComparison } from '../format.js';
import type { Io } from '../io.js';
import { Progress } from '../progress.js';

/** Options shared by `compare` and `simulate`. */
export interface RunFlags {
  /** Comma-separated path selectors. */
  readonly paths?: string;
  /** Seed override. */
  readonly seed?: number;
  /** Simulated ms per path. */
  readonly duration?: number;
  /** vCPU count override. */
  readonly vcpus?: number;
  /** `[arch.]NAME=value` cost overrides. */
  readonly cost?: readonly string[];
  /** `arch=platform` choices. */
  readonly platform?: readonly string[];
  /** Trace file, or false for none. */
  readonly trace?: string | false;
  /** Print JSON instead of the table. */
  readonly json?: boolean;
}

/** The default trace file: in the OS temporary directory, so runs never litter a checkout. */
export function defaultTracePath(): string {
  return resolve(tmpdir(), 'irqkit-trace.json');
}

function parseAssignments(flag: string, items: readonly string[]): Array<[string, string]> {
  return items.map((item) => {
    const i = item.indexOf('=');
    if (i <= 0 || i === item.length - 1) {
      throw new UsageError(`${flag} expects NAME=value, got '${item}'`);
    }
    return [item.slice(0, i), item.slice(i + 1)];
  });
}

/** Applies command-line overrides to a scenario. @throws UsageError for malformed values */
export function applyFlags(
  scenario: Scenario,
  flags: RunFlags,
  presets: readonly PathPreset[],
): Scenario {
  let s: Scenario = scenario;
  if (flags.seed !== undefined) s = { ...s, seed: flags.seed };
  if (flags.duration !== undefined) s = { ...s, durationMs: flags.duration };
  if (flags.vcpus !== undefined) s = { ...s, vcpus: flags.vcpus };
  if (flags.paths !== undefined) {
    s = {
      ...s,
      paths: flags.paths
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== ''),
    };
  }
  if (flags.platform !== undefined && flags.platform.length > 0) {
    const platforms = { ...s.platforms };
    for (const [arch, name] of parseAssignments('--platform', flags.platform))
      platforms[arch] = name;
    s = { ...s, platforms };
  }
  if (flags.cost !== undefined && flags.cost.length > 0) {
    const costs: Record<string, { cpuGHz?: number; constants: Record<string, number> }> = {};
    for (const [arch, o] of Object.entries(s.costs)) {
      costs[arch] = {
        ...(o.cpuGHz === undefined ? {} : { cpuGHz: o.cpuGHz }),
        constants: { ...(o.constants ?? {}) },
      };
    }
    const archs = [...new Set(presets.map((p) => p.arch))];
    const platformOf = (arch: string) => {
      const chosen = s.platforms[arch];
      return chosen === undefined ? defaultPlatform(arch) : PLATFORMS[chosen];
    };
    for (const [key, raw] of parseAssignments('--cost', flags.cost)) {
      const value = Number(raw);
      if (!Number.isFinite(value)) throw new UsageError(`--cost ${key}: '${raw}' is not a number`);
      const dot = key.indexOf('.');
      const name = dot < 0 ? key : key.slice(dot + 1);
      // A bare NAME applies to every architecture whose platform has that constant.
      const targets =
        dot >= 0
          ? [key.slice(0, dot)]
          : archs.filter((a) => name === 'cpuGHz' || platformOf(a)?.constants[name] !== undefined);
      if (targets.length === 0) {
        throw new UsageError(`--cost ${key}: no platform in use has a constant '${name}'`);
      }
      for (const arch of targets) {
        const entry = costs[arch] ?? { constants: {} };
        if (name === 'cpuGHz') entry.cpuGHz = value;
        else entry.constants[name] = value;
        costs[arch] = entry;
      }
    }
    s = { ...s, costs };
  }
  return s;
}

/**
 * Runs a comparison and prints it: the table (or JSON with `--json`) on stdout, where the
 * trace went on stderr (stdout with the table).
 * @returns the exit code (1 when a path failed to set up for another reason than a missing
 * capability).
 */
export function runComparison(
  scenario: Scenario,
  flags: RunFlags,
  allPresets: readonly PathPreset[],
  io: Io,
): number {
  const s = applyFlags(scenario, flags, allPresets);
  let presets: PathPreset[];
  try {
    presets = selectPresets(allPresets, s.paths);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  // Cost configuration problems are the scenario's: report them before running anything.
  for (const p of presets) {
    try {
      priceListFor(p, s);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const trace = flags.trace === false ? null : new ChromeTrace();
  const progress = new Progress(io, 'simulating');
  let result: Comparison;
  try {
    result = compare(s, presets, {
      trace,
      onProgress: (i, n, f) => progress.update(i, n, f, presets[i]?.id ?? ''),
    });
  } finally {
    progress.stop();
  }
  let traceNote = '';
  if (trace !== null) {
    const file = resolve(
      io.cwd,
      typeof flags.trace === 'string' ? flags.trace : defaultTracePath(),
    );
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(
      file,
      JSON.stringify(
        trace.toJSON({
          tool: 'irqkit',
          scenario: s.name,
          seed: s.seed,
          windowUs: s.trace.windowUs,
        }),
      ),
    );
    traceNote =
      `trace: ${file} (${trace.size} events, first ${s.trace.windowUs} µs of each path)\n` +
      '  open it at https://ui.perfetto.dev ("Open trace file"), or in chrome://tracing\n';
  }
  if (flags.json === true) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    io.stderr.write(traceNote);
  } else {
    io.stdout.write(formatComparison(result));
    if (traceNote !== '') io.stdout.write(`\n${traceNote}`);
  }
  return result.paths.some((p) => p.status === 'error') ? EXIT.failure : EXIT.ok;
}
