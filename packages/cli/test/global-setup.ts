import { execSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The CLI tests run the built binary as a user would, so build it (and, through nx, every
 * package it depends on; cached when nothing changed) once before they start.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  execSync('npx nx run irqkit:build --output-style=static', {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
  });
}
