import type { Host, Machine, MachineCapabilities, TestScheduler } from '@irqkit/core';

/** A test function as vitest, `node:test` and mocha declare it. */
export type TestFn = (name: string, fn: () => void | Promise<void>) => unknown;

/**
 * The test runner the caller passes in, so the kit never imports a test framework: vitest's
 * and `node:test`'s `describe` / `it` both fit.
 */
export interface ConformanceRunner {
  /** Groups tests. */
  readonly describe: (name: string, fn: () => void) => unknown;
  /** Declares one test; `it.skip` (when present) declares a skipped one. */
  readonly it: TestFn & { readonly skip?: TestFn };
}

/** What the kit passes to a plugin's factory. */
export interface ConformanceOptions {
  /** Number of vCPUs the scenario needs. */
  readonly vcpus: number;
  /** The host to build on (its scheduler is a {@link TestScheduler}). */
  readonly host: Host;
}

/** A plugin under test: a name and a machine factory. */
export interface ConformancePlugin {
  /** Shown in test names and reports, e.g. `'x86 full'`. */
  readonly name: string;
  /** Builds a fresh machine on `options.host` with at least `options.vcpus` vCPUs. */
  create(options: ConformanceOptions): Machine;
}

/** Everything a scenario body gets. */
export interface ScenarioContext {
  /** The machine under test. */
  readonly machine: Machine;
  /** Its host's scheduler: tasks run only when the scenario calls `settle()`. */
  readonly scheduler: TestScheduler;
  /** The plugin (to build a second machine, e.g. for save/restore). */
  readonly plugin: ConformancePlugin;
  /** Runs every queued task. */
  settle(): void;
  /** The `i`-th usable line GSI. */
  line(i: number): number;
  /**
   * Takes and completes interrupts on `vcpu` until none is deliverable (at most 32).
   * @returns the tokens taken, in order.
   */
  drain(vcpu: number): number[];
  /** Builds another machine of the same plugin on its own host. */
  fresh(vcpus?: number): { machine: Machine; scheduler: TestScheduler };
}

/** One arch-neutral scenario. */
export interface Scenario {
  /** Stable id, e.g. `'CONF-02'` or `'HOST-S3'`; test names start with it. */
  readonly id: string;
  /** What it shows. */
  readonly title: string;
  /** The spec rules it checks. */
  readonly rules: readonly string[];
  /** vCPUs it needs (default 1). */
  readonly vcpus?: number;
  /** Why it cannot run on a machine with these capabilities, or null if it can. */
  skip?(capabilities: MachineCapabilities, machine: Machine): string | null;
  /** The scenario; throws (node:assert) on failure. */
  run(ctx: ScenarioContext): void;
}

/** The outcome of one scenario in a report. */
export interface ScenarioResult {
  /** Scenario id. */
  readonly id: string;
  /** Scenario title. */
  readonly title: string;
  /** Rules covered. */
  readonly rules: readonly string[];
  /** Outcome. */
  readonly status: 'passed' | 'failed' | 'skipped';
  /** Failure message, or skip reason. */
  readonly error?: string;
}

/** A whole conformance run against one plugin. */
export interface ConformanceReport {
  /** Plugin name. */
  readonly plugin: string;
  /** Scenarios that passed. */
  readonly passed: number;
  /** Scenarios that failed. */
  readonly failed: number;
  /** Scenarios skipped for lack of a capability. */
  readonly skipped: number;
  /** Every scenario's outcome, in kit order. */
  readonly results: readonly ScenarioResult[];
}
