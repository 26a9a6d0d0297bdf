import { z } from 'zod';
import type { Scenario } from './scenario.js';

const pos = () => z.number().positive();
const nonneg = () => z.number().nonnegative();
const prio = () => z.number().int().min(0).max(11);
const vcpu = () => z.number().int().nonnegative();
const name = () =>
  z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only');

const requestResponse = z.strictObject({
  kind: z.literal('request-response'),
  name: name().default('netperf'),
  vcpu: vcpu().default(0),
  priority: prio().default(6),
  rttUs: pos().default(20),
  appUs: nonneg().default(2),
  handlerUs: nonneg().default(1),
  sessions: z.number().int().min(1).max(64).default(1),
  jitter: z.number().min(0).max(1).default(0),
});

const storage = z.strictObject({
  kind: z.literal('storage'),
  name: name().default('nvme'),
  queues: z.number().int().min(1).max(64).default(2),
  vcpus: z.array(vcpu()).min(1).default([0]),
  priority: prio().default(4),
  burstGapUs: pos().default(100),
  burstSize: z.number().int().min(1).max(4096).default(8),
  burstSpreadUs: nonneg().default(20),
  handlerUs: nonneg().default(0.5),
  perCompletionUs: nonneg().default(0.3),
});

const timer = z.strictObject({
  kind: z.literal('timer'),
  name: name().default('tick'),
  periodUs: pos().default(4000),
  vcpus: z.array(vcpu()).min(1).default([0]),
  priority: prio().default(2),
  handlerUs: nonneg().default(1.5),
});

const ipiStorm = z.strictObject({
  kind: z.literal('ipi-storm'),
  name: name().default('ipis'),
  senders: z.array(vcpu()).min(1).default([0]),
  gapUs: pos().default(50),
  sendUs: nonneg().default(0.2),
  handlerUs: nonneg().default(0.5),
  priority: prio().default(10),
});

const overrides = z.strictObject({
  cpuGHz: pos().optional(),
  constants: z.record(z.string(), z.number()).optional(),
});

const schema = z
  .strictObject({
    name: z.string().min(1).default('scenario'),
    description: z.string().default(''),
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    durationMs: pos().max(60_000).default(100),
    vcpus: z.number().int().min(1).max(64).default(2),
    haltPollUs: nonneg().max(1_000_000).default(0),
    paths: z.array(z.string().min(1)).default(['all']),
    platforms: z.record(z.string(), z.string()).default({}),
    costs: z.record(z.string(), overrides).default({}),
    workloads: z
      .array(z.discriminatedUnion('kind', [requestResponse, storage, timer, ipiStorm]))
      .min(1),
    trace: z.strictObject({ windowUs: nonneg().default(500) }).default({ windowUs: 500 }),
  })
  .superRefine((s, ctx) => {
    const check = (v: number, path: (string | number)[]) => {
      if (v >= s.vcpus) {
        ctx.addIssue({
          code: 'custom',
          path,
          input: v,
          message: `vCPU ${v} does not exist (the scenario has ${s.vcpus} vCPUs)`,
        });
      }
    };
    const names = new Set<string>();
    s.workloads.forEach((w, i) => {
      if (names.has(w.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['workloads', i, 'name'],
          input: w.name,
          message: 'duplicate workload name',
        });
      }
      names.add(w.name);
      if (w.kind === 'request-response') check(w.vcpu, ['workloads', i, 'vcpu']);
      if (w.kind === 'storage' || w.kind === 'timer') {
        for (const [j, v] of w.vcpus.entries()) check(v, ['workloads', i, 'vcpus', j]);
      }
      if (w.kind === 'ipi-storm') {
        for (const [j, v] of w.senders.entries()) check(v, ['workloads', i, 'senders', j]);
      }
    });
  });

/** One problem found in a scenario. */
export interface ScenarioIssue {
  /** Dotted path of the field, e.g. `workloads[1].periodUs`. */
  readonly path: string;
  /** What is wrong. */
  readonly message: string;
  /** The offending value, when there is one. */
  readonly value?: unknown;
}

/** A scenario failed validation; {@link ScenarioError.issues} names every bad field. */
export class ScenarioError extends Error {
  /** Every problem, in document order. */
  readonly issues: readonly ScenarioIssue[];

  /**
   * @param issues - the problems.
   * @param origin - where the scenario came from (a file name), for the message.
   */
  constructor(issues: readonly ScenarioIssue[], origin = 'scenario') {
    super(`${origin}: invalid scenario\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
    this.name = 'ScenarioError';
    this.issues = issues;
  }
}

/** `path: message (got value)`. */
export function formatIssue(issue: ScenarioIssue): string {
  const where = issue.path === '' ? '(top level)' : issue.path;
  const got = 'value' in issue ? ` (got ${showValue(issue.value)})` : '';
  return `${where}: ${issue.message}${got}`;
}

function showValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function dotted(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

function toIssues(i: z.core.$ZodIssue): ScenarioIssue[] {
  const raw = (i as { input?: unknown }).input;
  if (i.code === 'unrecognized_keys') {
    // One issue per unknown key, pointing at the key itself.
    const obj = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    return i.keys.map((k) => ({
      path: dotted([...i.path, k]),
      message: 'unknown key',
      value: obj[k],
    }));
  }
  let value = raw;
  // A discriminator or a nested check reports the enclosing object: show the field instead.
  const last = i.path[i.path.length - 1];
  if (typeof raw === 'object' && raw !== null && typeof last === 'string' && last in raw) {
    value = (raw as Record<string, unknown>)[last];
  }
  const path = dotted(i.path);
  if (value === undefined) return [{ path, message: `missing: ${i.message}` }];
  return [{ path, message: i.message, value }];
}

/**
 * Validates a scenario (already parsed from JSON or YAML) and fills in defaults.
 * @param origin - a file name for error messages.
 * @throws ScenarioError naming every bad field and its value.
 */
export function parseScenario(input: unknown, origin = 'scenario'): Scenario {
  const r = schema.safeParse(input, { reportInput: true });
  if (!r.success) throw new ScenarioError(r.error.issues.flatMap(toIssues), origin);
  const scenario: Scenario = r.data;
  return scenario;
}
