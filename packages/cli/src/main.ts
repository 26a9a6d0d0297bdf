import { readFileSync } from 'node:fs';
import type { PathPreset } from '@irqkit/sim';
import { Command, CommanderError } from 'commander';
import { compareCommand } from './commands/compare.js';
import { conformanceCommand } from './commands/conformance.js';
import { graphCommand } from './commands/graph.js';
import { simulateCommand } from './commands/simulate.js';
import { EXIT, UsageError } from './errors.js';
import { type Io, processIo } from './io.js';
import { builtinPresets } from './presets.js';

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    return String(pkg.version);
  } catch {
    return '0.0.0';
  }
}

/**
 * Builds the `irqkit` program (commander). Commands report their exit code through
 * `setExit`; parse errors surface as `CommanderError`s.
 */
export function buildProgram(
  io: Io,
  setExit: (code: number) => void,
  presets: () => PathPreset[] = builtinPresets,
): Command {
  const program = new Command('irqkit')
    .description(
      'irqkit: what does each interrupt delivery path cost? Simulate KVM-style delivery paths on real irqkit machines, run conformance, draw routing.',
    )
    .version(version(), '-V, --version')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  compareCommand(program, io, presets, setExit);
  simulateCommand(program, io, presets, setExit);
  conformanceCommand(program, io, setExit);
  graphCommand(program, io, presets);
  program.addHelpText('after', '\nStart with: irqkit compare   (npm start runs it)\n');
  return program;
}

/**
 * Runs the CLI on `argv` (without `node` and the script) and returns the exit code: 0 ok,
 * 1 failures (conformance), 2 usage errors (bad options, bad scenario file, unknown module).
 */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  if (argv.length === 0) {
    io.stdout.write(program.helpInformation());
    return EXIT.ok;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander printed the message (or the help) already.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof UsageError) {
      io.stderr.write(`irqkit: ${e.message}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`irqkit: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.failure;
  }
}
