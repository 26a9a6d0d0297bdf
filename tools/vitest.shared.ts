import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings, merged into every package's `vitest.config.ts`.
 *
 * The private `@irqkit/source` export condition makes workspace packages resolve to their
 * TypeScript sources, so tests never need a build first. Vitest's node environment reads
 * `ssr.resolve.conditions` (the top-level `resolve.conditions` only applies to client envs).
 */
export default defineConfig({
  resolve: { conditions: ['@irqkit/source'] },
  ssr: { resolve: { conditions: ['@irqkit/source'] } },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    benchmark: { include: ['bench/**/*.bench.ts'] },
  },
});
