import { defineProject, mergeConfig } from 'vitest/config';
import shared from '../../tools/vitest.shared.ts';

export default mergeConfig(
  shared,
  defineProject({
    test: {
      name: 'cli',
      // The tests run the built `irqkit` binary; build it once first.
      globalSetup: ['./test/global-setup.ts'],
      testTimeout: 30_000,
      hookTimeout: 120_000,
    },
  }),
);
