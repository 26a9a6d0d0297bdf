// `npm start`: bundles the irqkit CLI straight from the TypeScript sources of every package
// (one esbuild pass through tsup, no type declarations — a second or two, where the full
// `nx` build with declarations takes most of a minute) and runs `irqkit compare` with any
// extra arguments (`npm start -- --paths arm`). `npm run build` still builds the packages'
// `dist` as published; this bundle is the same code.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';

const cli = fileURLToPath(new URL('..', import.meta.url));
// Outside `dist` (which is what gets packed and published), in the usual cache directory.
const out = fileURLToPath(new URL('../../../node_modules/.cache/irqkit-start/', import.meta.url));
const started = performance.now();
await build({
  entry: { 'irqkit-start': `${cli}src/bin.ts` },
  outDir: out,
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  // The workspace packages come from source (their `@irqkit/source` export condition);
  // third-party dependencies stay imports.
  noExternal: [/^@irqkit\//],
  external: ['commander', 'yaml', 'zod', 'cli-progress'],
  esbuildOptions(options) {
    options.conditions = ['@irqkit/source'];
  },
  // `.mjs` whatever the caller's directory (tsup picks the extension from the cwd's package).
  outExtension: () => ({ js: '.mjs' }),
  clean: false,
  dts: false,
  sourcemap: false,
  silent: true,
});
process.stderr.write(
  `irqkit: built the CLI from source in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
);
const run = spawnSync(
  process.execPath,
  [`${out}irqkit-start.mjs`, 'compare', ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
process.exit(run.status ?? 1);
