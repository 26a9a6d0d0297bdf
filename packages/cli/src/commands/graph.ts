import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  defaultScenario,
  type PathPreset,
  renderDot,
  renderMermaid,
  routingGraph,
  type Scenario,
  UnsupportedPathError,
  wirePath,
} from '@irqkit/sim';
import { type Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { loadScenarioFile } from '../scenario-file.js';

interface GraphFlags {
  readonly path?: string;
  readonly format: 'dot' | 'mermaid';
  readonly output?: string;
  readonly allRoutes?: boolean;
}

/** `irqkit graph`: a path's routing as Graphviz DOT or Mermaid. */
export function graphCommand(program: Command, io: Io, presets: () => PathPreset[]): void {
  program
    .command('graph')
    .description(
      "print a path's interrupt routing — device → host → irqfd → GSI → routing entries → controller pins → vCPUs — as Graphviz DOT or Mermaid",
    )
    .argument(
      '[scenario]',
      'scenario file whose sources are wired (default: the built-in scenario)',
    )
    .option(
      '-p, --path <id>',
      'the path to draw (default: the first x86/ARM/POWER path; see compare --list)',
    )
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['dot', 'mermaid'])
        .default('dot'),
    )
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--all-routes', 'also draw routing-table entries no source uses')
    .addHelpText(
      'after',
      '\nExample:\n  irqkit graph --path reference/msi-posted | dot -Tsvg > routing.svg\n',
    )
    .action((file: string | undefined, flags: GraphFlags) => {
      const all = presets();
      const scenario: Scenario =
        file === undefined ? defaultScenario() : loadScenarioFile(file, io.cwd);
      // Default: the first real architecture's path (the reference plugin is the fallback).
      const preset =
        flags.path === undefined
          ? (all.find((p) => p.arch !== 'reference') ?? all[0])
          : all.find((p) => p.id === flags.path);
      if (preset === undefined) {
        throw new UsageError(
          `--path ${flags.path}: no such path (available: ${all.map((p) => p.id).join(', ')})`,
        );
      }
      let text: string;
      try {
        const g = routingGraph(`${preset.id} — ${preset.label}`, wirePath(preset, scenario), {
          allRoutes: flags.allRoutes === true,
        });
        text = flags.format === 'dot' ? renderDot(g) : renderMermaid(g);
      } catch (e) {
        if (e instanceof UnsupportedPathError) throw new UsageError(`${preset.id}: ${e.message}`);
        throw e;
      }
      if (flags.output === undefined) io.stdout.write(text);
      else writeFileSync(resolve(io.cwd, flags.output), text);
    });
}
