import { DEFAULT_SCENARIO_INPUT, defaultScenario, type PathPreset } from '@irqkit/sim';
import { type Command, Option } from 'commander';
import type { Io } from '../io.js';
import { addRunOptions } from './options.js';
import { type RunFlags, runComparison } from './run-comparison.js';

/**
 * `irqkit compare`: every x86, ARM and POWER path on the built-in scenario, one table per
 * architecture with each bypass path against its baseline (`--paths all` adds the reference
 * plugin).
 */
export function compareCommand(
  program: Command,
  io: Io,
  presets: () => PathPreset[],
  setExit: (code: number) => void,
): void {
  const cmd = program
    .command('compare')
    .description(
      'compare every x86, ARM and POWER delivery path on the built-in scenario (netperf TCP_RR, storage bursts, a tick): a table per architecture, each bypass path against its baseline (seed 004), and a Perfetto trace',
    )
    .addOption(new Option('--list', 'list the available paths and exit'))
    .addOption(new Option('--show-scenario', 'print the built-in scenario as JSON and exit'));
  addRunOptions(cmd).action((flags: RunFlags & { list?: boolean; showScenario?: boolean }) => {
    const all = presets();
    if (flags.list === true) {
      for (const p of all) io.stdout.write(`${p.id.padEnd(28)} ${p.label} — ${p.description}\n`);
      return;
    }
    if (flags.showScenario === true) {
      io.stdout.write(`${JSON.stringify(DEFAULT_SCENARIO_INPUT, null, 2)}\n`);
      return;
    }
    setExit(runComparison(defaultScenario(), flags, all, io));
  });
  cmd.addHelpText(
    'after',
    '\nExamples:\n  irqkit compare\n  irqkit compare --paths arm/spi-resample,arm/spi-forwarded --duration 500\n  irqkit compare --paths all          # the reference plugin too\n  irqkit compare --platform arm=arm-vhe --cost x86.X86_EOI_EXIT=1200 --json > results.json\n',
  );
}
