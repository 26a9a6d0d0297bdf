// Bundles tools/bench/run.ts into tools/bench/dist with tsup; @irqkit/* stay external, so the
// benchmarks load the packages' built `dist` exactly as a user would.
import { build } from 'tsup';

await build({
  entry: { run: 'tools/bench/run.ts' },
  outDir: 'tools/bench/dist',
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  external: [/^@irqkit\//],
  clean: true,
  silent: true,
});
