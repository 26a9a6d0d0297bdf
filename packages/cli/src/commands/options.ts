import { type Command, InvalidArgumentError } from 'commander';

function int(name: string, min: number, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}, got '${raw}'`);
    }
    return n;
  };
}

function positive(name: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!(n > 0) || !Number.isFinite(n)) {
      throw new InvalidArgumentError(`${name} must be a positive number, got '${raw}'`);
    }
    return n;
  };
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Adds the options `compare` and `simulate` share. */
export function addRunOptions(cmd: Command): Command {
  return cmd
    .option(
      '-p, --paths <list>',
      'comma-separated paths: ids (reference/msi-posted), architectures (arm), prefixes (x86/*) or all',
    )
    .option('-s, --seed <n>', 'RNG seed (same seed, same output)', int('--seed', 0, 0xffffffff))
    .option('-d, --duration <ms>', 'simulated time per path, ms', positive('--duration'))
    .option('--vcpus <n>', 'vCPUs per machine', int('--vcpus', 1, 64))
    .option(
      '-c, --cost <[arch.]NAME=value>',
      'override a cost constant (cycles or ns, as the constant) or cpuGHz; repeatable',
      collect,
    )
    .option(
      '--platform <arch=name>',
      'price an architecture with another platform; repeatable',
      collect,
    )
    .option(
      '-t, --trace <file>',
      'where to write the Chrome/Perfetto trace (default: <tmpdir>/irqkit-trace.json)',
    )
    .option('--no-trace', 'do not write a trace')
    .option('--json', 'print the results as JSON instead of the table');
}
