// Packs every workspace package, installs the tarballs into a throwaway consumer, and loads each
// one the way a user would: `import()` always, `require()` where the package ships CommonJS.
// Tests run against the TypeScript sources; this closes the gap to the shipped artefacts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const pkgsDir = join(root, 'packages');
const work = mkdtempSync(join(tmpdir(), 'irqkit-smoke-'));
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

try {
  const packages = readdirSync(pkgsDir).map((d) => {
    const dir = join(pkgsDir, d);
    return { dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) };
  });
  const tarballs = packages.map(({ dir }) => {
    const out = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], dir));
    return join(work, out[0].filename);
  });
  writeFileSync(
    join(work, 'package.json'),
    JSON.stringify({ name: 'smoke', private: true, type: 'module' }),
  );
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--legacy-peer-deps', '--prefer-offline', ...tarballs],
    work,
  );
  const checks = [];
  for (const { manifest } of packages) {
    const name = manifest.name;
    const hasCjs = JSON.stringify(manifest.exports ?? {}).includes('"require"');
    checks.push(
      `{ const m = await import(${JSON.stringify(name)}); if (Object.keys(m).length === 0) throw new Error('${name}: empty ESM'); }`,
    );
    if (hasCjs)
      checks.push(
        `{ const m = require(${JSON.stringify(name)}); if (Object.keys(m).length === 0) throw new Error('${name}: empty CJS'); }`,
      );
  }
  const script = `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);\n${checks.join('\n')}\nconsole.log('smoke: ${packages.length} packages load from their tarballs (ESM${''} + CJS where shipped)');\n`;
  writeFileSync(join(work, 'check.mjs'), script);
  process.stdout.write(run('node', ['check.mjs'], work));
  // The conformance kit must run under node:test from the published build (no vitest needed).
  const kit = [
    "import { describe, it } from 'node:test';",
    "import { describeConformance, referencePlugin } from '@irqkit/conformance';",
    'describeConformance({ describe, it }, referencePlugin);',
  ].join('\n');
  writeFileSync(join(work, 'kit.test.mjs'), `${kit}\n`);
  const out = run('node', ['--test', 'kit.test.mjs'], work);
  const pass = /^# pass (\d+)$/m.exec(out)?.[1];
  const fail = /^# fail (\d+)$/m.exec(out)?.[1];
  if (pass === undefined || Number(pass) === 0 || fail !== '0')
    throw new Error(`node:test run of the kit failed:\n${out}`);
  console.log(
    `smoke: conformance kit under node:test from the tarballs: ${pass} passed, ${fail} failed`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
