import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints one plain line at the end of a run: `vitest: N passed, N failed, N skipped`.
 *
 * CI (`.ci/run`) reads this line instead of parsing vitest's own summary, whose format is
 * not a contract. A test file that fails to load counts as one failure, so a broken import
 * can never make the run look green.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<unknown>,
  ): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      let count = 0;
      for (const test of mod.children.allTests()) {
        count++;
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      const modState = mod.state();
      if (count === 0 && modState === 'failed') failed++;
      else if (modState === 'failed' && mod.errors().length > 0) failed++;
    }
    failed += unhandledErrors.length;
    process.stdout.write(`\nvitest: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
