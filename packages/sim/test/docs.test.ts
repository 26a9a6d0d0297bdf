import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COST_MAPS, PLATFORMS } from '../src/index.js';

const doc = readFileSync(
  fileURLToPath(new URL('../../../docs/cost-model.md', import.meta.url)),
  'utf8',
);

describe('docs/cost-model.md follows the data', () => {
  it('names every constant of every platform and every priced counter', () => {
    for (const p of Object.values(PLATFORMS)) {
      expect(doc, p.name).toContain(`\`${p.name}\``);
      for (const name of Object.keys(p.constants)) expect(doc, name).toContain(name);
    }
    for (const map of Object.values(COST_MAPS)) {
      for (const rule of map.rules)
        expect(doc, rule.counter).toContain(rule.counter.split('.').pop()!);
    }
  });
});
