import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type ConformancePlugin,
  type ConformanceReport,
  formatReport,
  runConformance,
} from '@irqkit/conformance';
import type { Command } from 'commander';
import { EXIT, UsageError } from '../errors.js';
import type { Io } from '../io.js';

type Create = ConformancePlugin['create'];

function isPlugin(x: unknown): x is { name?: unknown; create: Create } {
  return (
    typeof x === 'object' && x !== null && typeof (x as { create?: unknown }).create === 'function'
  );
}

/**
 * Finds the plugin a module exports: `plugin` or the default export (a `{ name, create }`
 * object or a bare `create` function), a `create` export, or the single export ending in
 * `Plugin`.
 * @throws UsageError listing the exports when none fits.
 */
export function findPlugin(mod: Record<string, unknown>, fallbackName: string): ConformancePlugin {
  const named = (x: { name?: unknown; create: Create }): ConformancePlugin => ({
    name: typeof x.name === 'string' && x.name !== '' ? x.name : fallbackName,
    create: x.create,
  });
  for (const key of ['plugin', 'default']) {
    const x = mod[key];
    if (isPlugin(x)) return named(x);
    if (typeof x === 'function') return { name: fallbackName, create: x as Create };
  }
  if (typeof mod.create === 'function') {
    const name = typeof mod.name === 'string' ? mod.name : fallbackName;
    return { name, create: mod.create as Create };
  }
  const candidates = Object.entries(mod).filter(([k, v]) => k.endsWith('Plugin') && isPlugin(v));
  if (candidates.length === 1) return named(candidates[0]![1] as { create: Create });
  throw new UsageError(
    `the module exports no plugin: expected 'plugin', a default export or 'create' ({ name, create(o: { vcpus, host }) }) — it exports: ${Object.keys(mod).join(', ') || 'nothing'}`,
  );
}

async function importModule(spec: string, cwd: string): Promise<Record<string, unknown>> {
  const looksLikePath =
    spec.startsWith('.') ||
    isAbsolute(spec) ||
    /\.(m?js|cjs)$/.test(spec) ||
    existsSync(resolve(cwd, spec));
  let url: string;
  if (looksLikePath) {
    const file = resolve(cwd, spec);
    if (!existsSync(file)) throw new UsageError(`module ${spec} not found (looked at ${file})`);
    url = pathToFileURL(file).href;
  } else {
    try {
      url = pathToFileURL(createRequire(resolve(cwd, 'noop.js')).resolve(spec)).href;
    } catch {
      throw new UsageError(`cannot resolve module '${spec}' from ${cwd}`);
    }
  }
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`cannot load ${spec}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** `irqkit conformance <module>`: the conformance kit against a third-party plugin. */
export function conformanceCommand(
  program: Command,
  io: Io,
  setExit: (code: number) => void,
): void {
  program
    .command('conformance')
    .description(
      'run the conformance kit against a plugin module and print a report (exit 1 on failures)',
    )
    .argument(
      '<module>',
      'file or package exporting a plugin ({ name, create }) or a create function',
    )
    .option('--only <ids>', 'comma-separated scenario ids to run')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nThe module may export: `plugin` / default = { name, create(o: { vcpus, host }): Machine },\na default create function, or `create` (+ optional `name`).\n',
    )
    .action(async (spec: string, flags: { only?: string; json?: boolean }) => {
      const mod = await importModule(spec, io.cwd);
      const plugin = findPlugin(mod, basename(spec).replace(/\.[^.]*$/, ''));
      const only = flags.only
        ?.split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      const report: ConformanceReport = await runConformance(
        plugin,
        only === undefined ? {} : { only },
      );
      if (only !== undefined && report.results.length === 0) {
        throw new UsageError(`--only ${flags.only}: no scenario has that id`);
      }
      io.stdout.write(
        flags.json === true ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`,
      );
      setExit(report.failed > 0 ? EXIT.failure : EXIT.ok);
    });
}
