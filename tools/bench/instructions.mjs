// `npm run bench:instructions [-- <filter>] [--cycles N] [--warmup N]`: instructions per cycle of
// the benchmark cycle cases, counted by valgrind (cachegrind without cache simulation).
//
// Why: time on a shared machine moves by ±15% between runs, and V8 compiles a hot path
// differently from one process to the next. An instruction count under
// `node --single-threaded` (no concurrent compilation) repeats to within a few instructions,
// so it shows what one change did. It is not a speed: read cycles/s from `npm run bench`.
//
// Each case runs twice in its own process (tools/bench/dist/run.js with IRQKIT_BENCH_CASE):
// the same set-up and warm-up, then 0 or N cycles. The difference of the two counts over N is
// the instructions of one cycle, set-up and warm-up cancelling out. Needs valgrind on PATH.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const usage =
  'usage: node tools/bench/instructions.mjs [filter] [--cycles N (default 1000000)] [--warmup N (default 300000)]';

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      cycles: { type: 'string', default: '1000000' },
      warmup: { type: 'string', default: '300000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (e) {
  process.stderr.write(`${e.message}\n${usage}\n`);
  process.exit(2);
}
if (args.values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const cycles = Number(args.values.cycles);
const warmup = Number(args.values.warmup);
if (!Number.isInteger(cycles) || cycles < 1 || !Number.isInteger(warmup) || warmup < 0) {
  process.stderr.write(
    `--cycles must be a positive integer and --warmup a non-negative one\n${usage}\n`,
  );
  process.exit(2);
}
const filter = args.positionals[0];

const run = fileURLToPath(new URL('./dist/run.js', import.meta.url));
if (!existsSync(run)) {
  process.stderr.write(
    'tools/bench/dist/run.js is missing: run `node tools/bench/build.mjs` first\n',
  );
  process.exit(2);
}
if (spawnSync('valgrind', ['--version']).error !== undefined) {
  process.stderr.write('valgrind is not installed (it counts the instructions)\n');
  process.exit(2);
}

const listed = spawnSync(process.execPath, [run], {
  env: { ...process.env, IRQKIT_BENCH_LIST: '1' },
  encoding: 'utf8',
});
const cases = listed.stdout
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line))
  .filter((c) => c.kind === 'cycles')
  .filter((c) => filter === undefined || `${c.group} ${c.name}`.includes(filter));
if (cases.length === 0) {
  process.stderr.write(`no cycle case matches '${filter}'\n`);
  process.exit(2);
}

/** Instructions of one process: the case's set-up, warm-up and `n` cycles. */
function count(index, n) {
  const r = spawnSync(
    'valgrind',
    [
      '--tool=cachegrind',
      '--cache-sim=no',
      '--cachegrind-out-file=/dev/null',
      process.execPath,
      '--single-threaded',
      run,
    ],
    {
      env: {
        ...process.env,
        IRQKIT_BENCH_CASE: String(index),
        IRQKIT_BENCH_CYCLES: String(n),
        IRQKIT_BENCH_WARMUP: String(warmup),
      },
      encoding: 'utf8',
      maxBuffer: 16 << 20,
    },
  );
  const m = /I\s+refs:\s+([\d,]+)/.exec(r.stderr);
  if (r.status !== 0 || m === null) {
    throw new Error(`case ${index} failed under valgrind (exit ${r.status}):\n${r.stderr}`);
  }
  return Number(m[1].replaceAll(',', ''));
}

process.stdout.write(
  `instructions per cycle (valgrind, node --single-threaded, ${warmup.toLocaleString('en-US')} warm-up + ${cycles.toLocaleString('en-US')} cycles)\n\n| case | instructions/cycle |\n|---|---:|\n`,
);
for (const c of cases) {
  const per = (count(c.index, cycles) - count(c.index, 0)) / cycles;
  process.stdout.write(`| ${c.group}: ${c.name} | ${Math.round(per).toLocaleString('en-US')} |\n`);
}
