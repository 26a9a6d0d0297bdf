/**
 * # irqkit — the command line, theory of operation
 *
 * `irqkit` answers "what does each interrupt delivery path cost?" from a terminal, on top of
 * `@irqkit/sim` (simulation, cost model, traces) and `@irqkit/conformance` (the kit).
 *
 * - `irqkit compare`: the built-in scenario (netperf TCP_RR, storage bursts, a tick) on every
 *   available path, one table side by side, a Chrome/Perfetto trace written to a file.
 * - `irqkit simulate <scenario.json|yaml>`: a scenario file (validated; errors name the field
 *   and the bad value, exit code 2).
 * - `irqkit conformance <module>`: the conformance kit against a plugin module; exit 1 on
 *   failures.
 * - `irqkit graph`: a path's routing as Graphviz DOT or Mermaid.
 *
 * Every command has `--help`; the ones that print a table also take `--json`. A progress bar
 * appears on stderr for runs longer than a second, on a TTY only. Exit codes: {@link EXIT}.
 *
 * The same program is available as a function ({@link main}) for embedding and tests.
 *
 * @packageDocumentation
 */

export { findPlugin } from './commands/conformance.js';
export {
  applyFlags,
  defaultTracePath,
  type RunFlags,
  runComparison,
} from './commands/run-comparison.js';
export { EXIT, UsageError } from './errors.js';
export { formatComparison } from './format.js';
export { type Io, processIo } from './io.js';
export { buildProgram, main } from './main.js';
export { builtinPresets } from './presets.js';
export { Progress } from './progress.js';
export { loadScenarioFile } from './scenario-file.js';

/** The CLI's program name. */
export const PROGRAM_NAME: string = 'irqkit';
