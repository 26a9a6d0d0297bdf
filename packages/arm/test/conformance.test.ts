import { describeConformance } from '@irqkit/conformance';
import { describe, it } from 'vitest';
import { type ArmMachineOptions, createArmMachine } from '../src/index.js';

// The arch-neutral kit (packages/conformance) on the four ARM configurations of issue 4. The
// kit's forwarding scenarios include automatic pairing (HOST-4.4), which on ARM is the
// `forwardSpis` model extension (ARM-6.4), so it is switched on here.
const configs: Array<[string, Partial<ArmMachineOptions>]> = [
  ['arm v2', { gic: 'v2' }],
  ['arm v3', { gic: 'v3' }],
  ['arm v3+ITS', { gic: 'v3', its: true }],
  ['arm v3+ITS+v4.1', { gic: 'v3', its: true, gicv4: '4.1' }],
];

for (const [name, cfg] of configs) {
  describeConformance(
    { describe, it },
    { name, create: (o) => createArmMachine({ ...o, ...cfg, forwardSpis: true }) },
  );
}
