import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compare, selectPresets } from '@irqkit/sim';
import { describe, expect, it } from 'vitest';
import { builtinPresets } from '../src/presets.js';
import { loadScenarioFile } from '../src/scenario-file.js';

const examples = fileURLToPath(new URL('../../sim/examples/', import.meta.url));

describe('the example scenarios of docs/cost-model.md', () => {
  it.each(readdirSync(examples).filter((f) => f.endsWith('.yaml')))(
    '%s is valid and runs',
    (file) => {
      const s = loadScenarioFile(file, examples);
      const presets = selectPresets(builtinPresets(), s.paths);
      expect(presets.length).toBeGreaterThan(0);
      const c = compare({ ...s, durationMs: 2 }, presets);
      expect(c.paths.every((p) => p.status === 'ok')).toBe(true);
    },
  );
});
