import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts'],
    reporters: ['default', './tools/vitest-summary-reporter.ts'],
    coverage: { provider: 'v8', include: ['packages/*/src/**'] },
  },
});
