import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parseScenario, type Scenario, ScenarioError } from '@irqkit/sim';
import { parse as parseYaml } from 'yaml';
import { UsageError } from './errors.js';

/**
 * Reads a scenario file (`.json`, or YAML for `.yaml` / `.yml` and anything else) and
 * validates it.
 * @throws UsageError naming the file and, for invalid scenarios, every bad field and value.
 */
export function loadScenarioFile(file: string, cwd: string): Scenario {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read scenario file ${file}${code === undefined ? '' : ` (${code})`}`,
    );
  }
  let data: unknown;
  try {
    data = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new UsageError(
      `${file}: not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  try {
    return parseScenario(data, file);
  } catch (e) {
    if (e instanceof ScenarioError) throw new UsageError(e.message);
    throw e;
  }
}
