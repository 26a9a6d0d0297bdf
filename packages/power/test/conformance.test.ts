import { describeConformance } from '@irqkit/conformance';
import { describe, it } from 'vitest';
import { createPowerMachine } from '../src/index.js';

describeConformance(
  { describe, it },
  { name: 'power hv-realmode', create: (o) => createPowerMachine({ ...o }) },
);
describeConformance(
  { describe, it },
  { name: 'power virtual', create: (o) => createPowerMachine({ ...o, profile: 'virtual' }) },
);
