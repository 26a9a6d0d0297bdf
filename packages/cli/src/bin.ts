#!/usr/bin/env node
process.stdout.write('irqkit: the CLI lands with the sim/CLI issue; run `npm test` meanwhile.\n');
