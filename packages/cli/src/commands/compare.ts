import { DEFAULT_SCENARIO_INPUT, defaultScenario, type PathPreset } from '@irqkit/sim';
import { type Command, Option } from 'commander';
import type { Io } from '../io.js';
import { addRunOptions } from './options.js';
import { type RunFlags, runComparison } from './run-comparison.js';

/** `irqkit compare`: every available path on the built-in scenario, side by side. */
export function compareCommand(
  program: Command,
  io: Io,
  presets: () => PathPreset[],
  setExit: (code: number) => void,
): void {
  const cmd = program
    .command('compare')
    .description(
      'compare every delivery path on the built-in scenario (netperf TCP_RR, storage bursts, a tick) and write a Perfetto trace',
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
    '\nExamples:\n  irqkit compare\n  irqkit compare --paths reference/level-resample,reference/level-forwarded --duration 500\n  irqkit compare --cost X86_EXIT_NULL=1200 --json > results.json\n',
  );
}
