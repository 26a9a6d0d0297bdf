/**
 * # @irqkit/conformance — theory of operation
 *
 * Arch-neutral scenarios that any irqkit plugin must pass, driven only through the core
 * contracts: the machine's {@link GuestPort} (acting as the guest), its `Vm` (irqfds,
 * `irqLine`, routing), and the core host device models (VFIO-like INTx, MSI-X, platform IRQs).
 * Each scenario names the spec rules it checks; a plugin declares what it supports in
 * `machine.capabilities`, and scenarios it cannot run are skipped with the reason.
 *
 * **In:** a {@link ConformancePlugin} — a name and a factory `create({ vcpus, host })`. The kit
 * passes a `Host` whose scheduler is a `TestScheduler`, so deferred work runs only when a
 * scenario settles it. **Out:** tests declared with your runner ({@link describeConformance};
 * vitest or `node:test`, the kit imports neither) or a {@link ConformanceReport}
 * ({@link runConformance}, {@link formatReport}).
 *
 * The kit also ships the **reference plugin** ({@link createReferenceMachine}): a generic
 * interrupt controller with per-vCPU interfaces that passes every scenario — the worked
 * example for plugin authors and the fixture for the core's own tests.
 *
 * **Not covered here:** arch register semantics (each arch package tests its spec), timing.
 *
 * @packageDocumentation
 */

import type { GuestPort } from '@irqkit/core';
import { createReferenceMachine } from './reference-plugin/machine.js';
import type { ConformancePlugin } from './scenarios/types.js';

export * from './reference-plugin/index.js';
export {
  type ConformanceSelection,
  describeConformance,
  formatReport,
  runConformance,
  scenarioTestName,
} from './runner.js';
export { levelDevice } from './scenarios/delivery.js';
export { scenarios } from './scenarios/index.js';
export type {
  ConformanceOptions,
  ConformancePlugin,
  ConformanceReport,
  ConformanceRunner,
  Scenario,
  ScenarioContext,
  ScenarioResult,
  TestFn,
} from './scenarios/types.js';

/** The reference plugin as a {@link ConformancePlugin} (two controllers, so fan-out runs). */
export const referencePlugin: ConformancePlugin = {
  name: 'reference',
  create: (o) =>
    createReferenceMachine({ vcpus: Math.max(o.vcpus, 1), host: o.host, controllers: 2 }),
};

/** Re-exported so the theory of operation above can link it. */
export type { GuestPort };
