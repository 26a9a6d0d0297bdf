// The main job until the simulator and CLI land: run the conformance kit against every plugin
// that exists in this checkout and print the report. Loads the built packages (`npm start`
// builds them first).
import { createReferenceMachine, formatReport, runConformance } from '@irqkit/conformance';

const plugins = [
  { name: 'reference', create: (o) => createReferenceMachine({ ...o, controllers: 2 }) },
];
const archs = [
  ['@irqkit/x86', 'createX86Machine'],
  ['@irqkit/arm', 'createArmMachine'],
  ['@irqkit/power', 'createPowerMachine'],
];
for (const [pkg, factory] of archs) {
  const mod = await import(pkg);
  if (typeof mod[factory] === 'function')
    plugins.push({ name: pkg, create: (o) => mod[factory](o) });
}

let failed = 0;
for (const plugin of plugins) {
  const report = await runConformance(plugin);
  failed += report.failed;
  console.log(`${formatReport(report)}\n`);
}
process.exitCode = failed === 0 ? 0 : 1;
