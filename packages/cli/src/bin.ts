#!/usr/bin/env node
import { main } from './main.js';

// `irqkit graph | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`irqkit: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
