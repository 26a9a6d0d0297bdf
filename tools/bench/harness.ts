/**
 * Benchmark harness shared by every package's cases (`tools/bench/<area>.ts`).
 *
 * Two kinds of case:
 * - `cycles`: `setup()` returns one full cycle (e.g. assert → deliver → take → EOI); the harness
 *   reports cycles per second and bytes allocated per cycle in steady state.
 * - `once`: a one-off measurement (memory of a large machine, cost of a big table replace)
 *   that returns named figures.
 *
 * Runs on the built packages (`dist`), with `node --expose-gc`, each case in its own process.
 * Figures are for reading side by side within one run; nothing here is a pass/fail assertion.
 * `tools/bench/instructions.mjs` counts a cycle case's instructions per cycle instead (valgrind),
 * which, unlike time, does not move between runs.
 */
import { spawnSync } from 'node:child_process';

/** A repeated full cycle. */
export interface CycleBench {
  readonly kind: 'cycles';
  /** Group name, for side-by-side ratios (e.g. `x86`). */
  readonly group: string;
  /** What one cycle does. */
  readonly name: string;
  /** Optional target in cycles per second, printed next to the result. */
  readonly target?: number;
  /** Builds the fixture; returns the cycle function. */
  setup(): () => void;
}

/** A one-off measurement. */
export interface OnceBench {
  readonly kind: 'once';
  readonly group: string;
  readonly name: string;
  /** Returns named figures (numbers are printed with units taken from the key suffix). */
  run(): Record<string, number | string>;
}

export type Bench = CycleBench | OnceBench;

/** Result of a cycle benchmark. */
export interface CycleResult {
  readonly group: string;
  readonly name: string;
  readonly cyclesPerSecond: number;
  /** Least heap growth per cycle over the allocation rounds; null if every round saw a scavenge. */
  readonly bytesPerCycle: number | null;
  readonly target?: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Heap bytes currently used (after a full GC when available). */
export function heapUsed(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Measures one cycle benchmark: warm-up, then timed batches and allocation batches. */
export function measureCycles(b: CycleBench, seconds = 1): CycleResult {
  const cycle = b.setup();
  // Warm up until the JIT has settled.
  let n = 1000;
  const warmEnd = performance.now() + 300;
  while (performance.now() < warmEnd) for (let i = 0; i < n; i++) cycle();
  // Throughput: batches of ~50 ms, median rate.
  const rates: number[] = [];
  const end = performance.now() + seconds * 1000;
  n = 10_000;
  while (performance.now() < end) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) cycle();
    const dt = performance.now() - t0;
    rates.push((n / dt) * 1000);
    if (dt < 20) n *= 2;
  }
  // Allocation: heap growth over a batch small enough not to trigger a scavenge. Each round
  // collects, re-warms with one batch (a collection can drop optimized code, and re-optimizing
  // writes code and feedback to the heap: up to 300 KB, which read as bytes per cycle before),
  // then measures the next batch. A round whose heap shrank saw a scavenge and is skipped.
  // (Halving the batch after such a round keeps heavy allocators, e.g. the simulator at about
  // 150 bytes per interrupt, below a scavenge.)
  const allocs: number[] = [];
  let k = 20_000;
  for (let r = 0; r < 12 && allocs.length < 5; r++) {
    heapUsed();
    for (let i = 0; i < k; i++) cycle();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < k; i++) cycle();
    const after = process.memoryUsage().heapUsed;
    if (after >= before) allocs.push((after - before) / k);
    else k = Math.max(500, k >> 1);
  }
  const result: CycleResult = {
    group: b.group,
    name: b.name,
    cyclesPerSecond: median(rates),
    // The least growth of the five rounds: a per-cycle allocation shows in every round, while
    // one-off heap use (code and feedback the JIT writes while the case settles) does not.
    bytesPerCycle: allocs.length === 0 ? null : Math.min(...allocs),
  };
  return b.target === undefined ? result : { ...result, target: b.target };
}

function fmtRate(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : `${(x / 1e3).toFixed(1)} k/s`;
}

/** What a case's own process reports back (one JSON line on stdout). */
type CaseOutput =
  | { readonly kind: 'cycles'; readonly result: CycleResult }
  | { readonly kind: 'once'; readonly figures: Record<string, number | string> };

const ONLY = 'IRQKIT_BENCH_CASE';
/** With {@link ONLY}: run exactly this many cycles after a fixed warm-up, and nothing else. */
const CYCLES = 'IRQKIT_BENCH_CYCLES';
/** Cycles of that warm-up (default 300,000). */
const WARMUP = 'IRQKIT_BENCH_WARMUP';
/** Set: print the cases as JSON lines (index, kind, group, name) instead of running them. */
const LIST = 'IRQKIT_BENCH_LIST';

// A fixed number of cycles after a fixed warm-up, untimed: what an instruction counter
// (tools/bench/instructions.mjs, under valgrind) needs — two runs that differ only in the
// number of measured cycles, so the difference of their counts is that many cycles' worth.
function runFixed(b: CycleBench, cycles: number): void {
  const cycle = b.setup();
  const warm = Number(process.env[WARMUP] ?? 300_000);
  for (let i = 0; i < warm; i++) cycle();
  for (let i = 0; i < cycles; i++) cycle();
  process.stdout.write(`${JSON.stringify({ kind: 'fixed', warmup: warm, cycles })}\n`);
}

// Each case runs in a fresh Node process (like JMH's forks): a VMM loads one architecture, so
// a case must not inherit the type feedback of the cases that ran before it in the same
// isolate (shared core functions go polymorphic and the later cases measure that instead).
function runInChild(index: number): CaseOutput {
  const script = process.argv[1]!;
  const r = spawnSync(process.execPath, [...process.execArgv, script], {
    env: { ...process.env, [ONLY]: String(index) },
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) {
    throw new Error(`bench case ${index} failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
  }
  return JSON.parse(line) as CaseOutput;
}

/** Processes per cycle case; the table shows the median fork. */
const FORKS = 3;

// V8 does not compile a hot path the same way in every process (concurrent recompilation races
// the feedback), so one process can land 30% off: run FORKS and keep the median one.
function forkMedian(index: number): CaseOutput {
  const runs: CycleResult[] = [];
  for (let i = 0; i < FORKS; i++) {
    const out = runInChild(index);
    if (out.kind !== 'cycles') return out;
    runs.push(out.result);
  }
  runs.sort((x, y) => x.cyclesPerSecond - y.cyclesPerSecond);
  return { kind: 'cycles', result: runs[Math.floor(FORKS / 2)]! };
}

function runHere(b: Bench): CaseOutput {
  return b.kind === 'once'
    ? { kind: 'once', figures: b.run() }
    : { kind: 'cycles', result: measureCycles(b) };
}

/**
 * Runs `benches` (those whose `group name` contains `filter`) and prints one table per group,
 * with ratios to the group's first case. Every case runs in its own Node processes (a cycle
 * case in {@link FORKS} of them, reporting the median).
 */
export function runBenches(benches: readonly Bench[], filter?: string): void {
  if (process.env[LIST] !== undefined) {
    benches.forEach((b, index) => {
      process.stdout.write(
        `${JSON.stringify({ index, kind: b.kind, group: b.group, name: b.name })}\n`,
      );
    });
    return;
  }
  const only = process.env[ONLY];
  if (only !== undefined) {
    // A child: run the one case and report it.
    const b = benches[Number(only)];
    if (b === undefined) throw new Error(`no bench case ${only}`);
    const fixed = process.env[CYCLES];
    if (fixed !== undefined) {
      if (b.kind !== 'cycles') throw new Error(`bench case ${only} is not a cycle case`);
      runFixed(b, Number(fixed));
      return;
    }
    process.stdout.write(`${JSON.stringify(runHere(b))}\n`);
    return;
  }
  if (gc === undefined) process.stdout.write('note: run with --expose-gc for allocation figures\n');
  const groups = new Map<string, number[]>();
  benches.forEach((b, i) => {
    if (filter !== undefined && !`${b.group} ${b.name}`.includes(filter)) return;
    groups.set(b.group, [...(groups.get(b.group) ?? []), i]);
  });
  for (const [group, list] of groups) {
    process.stdout.write(
      `\n## ${group}\n\n| case | cycles/s | ratio | bytes/cycle | target |\n|---|---:|---:|---:|---:|\n`,
    );
    let base = 0;
    for (const index of list) {
      const b = benches[index]!;
      const out = b.kind === 'once' ? runInChild(index) : forkMedian(index);
      if (out.kind === 'once') {
        const text = Object.entries(out.figures)
          .map(
            ([k, v]) =>
              `${k} = ${typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : v}`,
          )
          .join(', ');
        process.stdout.write(`| ${b.name} | ${text} | | | |\n`);
        continue;
      }
      const r = out.result;
      if (base === 0) base = r.cyclesPerSecond;
      const target =
        r.target === undefined
          ? ''
          : `≥ ${fmtRate(r.target)} ${r.cyclesPerSecond >= r.target ? '✓' : '✗'}`;
      process.stdout.write(
        `| ${r.name} | ${fmtRate(r.cyclesPerSecond)} | ${(r.cyclesPerSecond / base).toFixed(2)} | ${r.bytesPerCycle === null ? 'n/a' : r.bytesPerCycle.toFixed(1)} | ${target} |\n`,
      );
    }
  }
}
