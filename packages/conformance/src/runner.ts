import { freshMachine, scenarioContext } from './scenarios/context.js';
import { scenarios } from './scenarios/index.js';
import type {
  ConformancePlugin,
  ConformanceReport,
  ConformanceRunner,
  Scenario,
  ScenarioResult,
} from './scenarios/types.js';

/** Options of {@link describeConformance} and {@link runConformance}. */
export interface ConformanceSelection {
  /** Run only scenarios whose id is listed. */
  readonly only?: readonly string[];
}

function selected(selection: ConformanceSelection): readonly Scenario[] {
  const only = selection.only;
  return only === undefined ? scenarios : scenarios.filter((s) => only.includes(s.id));
}

function skipReason(plugin: ConformancePlugin, s: Scenario): string | null {
  if (s.skip === undefined) return null;
  const { machine } = freshMachine(plugin, Math.max(1, s.vcpus ?? 1));
  return s.skip(machine.capabilities, machine);
}

/** The test name of a scenario: its id first, then what it shows and the rules it covers. */
export function scenarioTestName(s: Scenario): string {
  return `${s.id}: ${s.title} (${s.rules.join(', ')})`;
}

/**
 * Declares the kit's scenarios as tests with the caller's `describe` / `it` (vitest,
 * `node:test`, …). Scenarios the plugin's capabilities rule out are declared with `it.skip`
 * when the runner has it, and otherwise left out.
 */
export function describeConformance(
  runner: ConformanceRunner,
  plugin: ConformancePlugin,
  selection: ConformanceSelection = {},
): void {
  runner.describe(`conformance: ${plugin.name}`, () => {
    for (const s of selected(selection)) {
      const reason = skipReason(plugin, s);
      const name = scenarioTestName(s);
      if (reason === null) {
        runner.it(name, () => s.run(scenarioContext(plugin, s)));
      } else if (runner.it.skip !== undefined) {
        runner.it.skip(`${name} — ${reason}`, () => {});
      }
    }
  });
}

/** Runs the kit without a test framework and returns a report. */
export async function runConformance(
  plugin: ConformancePlugin,
  selection: ConformanceSelection = {},
): Promise<ConformanceReport> {
  const results: ScenarioResult[] = [];
  for (const s of selected(selection)) {
    const base = { id: s.id, title: s.title, rules: s.rules };
    let reason: string | null;
    try {
      reason = skipReason(plugin, s);
    } catch (e) {
      results.push({ ...base, status: 'failed', error: message(e) });
      continue;
    }
    if (reason !== null) {
      results.push({ ...base, status: 'skipped', error: reason });
      continue;
    }
    try {
      await Promise.resolve(s.run(scenarioContext(plugin, s)));
      results.push({ ...base, status: 'passed' });
    } catch (e) {
      results.push({ ...base, status: 'failed', error: message(e) });
    }
  }
  const count = (st: ScenarioResult['status']) => results.filter((r) => r.status === st).length;
  return {
    plugin: plugin.name,
    passed: count('passed'),
    failed: count('failed'),
    skipped: count('skipped'),
    results,
  };
}

/** Formats a report as plain text, one line per scenario and a closing count line. */
export function formatReport(report: ConformanceReport): string {
  const mark = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip' } as const;
  const lines = [`conformance: ${report.plugin}`];
  for (const r of report.results) {
    lines.push(
      `  ${mark[r.status]} ${r.id}  ${r.title}${r.error === undefined ? '' : ` — ${r.error}`}`,
    );
  }
  lines.push(`${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped`);
  return lines.join('\n');
}

function message(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0]! : String(e);
}
