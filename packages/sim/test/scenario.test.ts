import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCENARIO_INPUT,
  defaultScenario,
  parseScenario,
  ScenarioError,
} from '../src/index.js';

function issues(input: unknown) {
  try {
    parseScenario(input, 'test.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as ScenarioError).issues;
  }
  throw new Error('expected a ScenarioError');
}

describe('scenario schema', () => {
  it('fills in defaults and keeps what was given', () => {
    const s = parseScenario({ workloads: [{ kind: 'timer' }] });
    expect(s.seed).toBe(1);
    expect(s.vcpus).toBe(2);
    expect(s.paths).toEqual(['all']);
    expect(s.trace.windowUs).toBe(500);
    expect(s.workloads[0]).toMatchObject({ kind: 'timer', name: 'tick', periodUs: 4000 });
  });

  it('the built-in scenario is valid', () => {
    expect(defaultScenario().workloads.length).toBe(
      (DEFAULT_SCENARIO_INPUT.workloads as unknown[]).length,
    );
  });

  it('errors name the field path and the bad value', () => {
    const got = issues({
      seed: 'x',
      workloads: [{ kind: 'timer', periodUs: -5 }],
    });
    expect(got).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'seed', value: 'x' }),
        expect.objectContaining({ path: 'workloads[0].periodUs', value: -5 }),
      ]),
    );
  });

  it('the error message lists every issue with its value', () => {
    try {
      parseScenario({ durationMs: 0, workloads: [{ kind: 'timer' }] }, 'bad.json');
      expect.unreachable();
    } catch (e) {
      expect(String((e as Error).message)).toMatch(/^bad\.json: invalid scenario/);
      expect(String((e as Error).message)).toMatch(/durationMs: .* \(got 0\)/);
    }
  });

  it('rejects unknown keys, unknown workload kinds and missing workloads', () => {
    expect(issues({ workloads: [{ kind: 'timer', perodUs: 10 }] })[0]).toMatchObject({
      path: 'workloads[0].perodUs',
      message: 'unknown key',
      value: 10,
    });
    expect(issues({ workloads: [{ kind: 'disk' }] })[0]).toMatchObject({
      path: 'workloads[0].kind',
      value: 'disk',
    });
    expect(issues({})[0]!.path).toBe('workloads');
    expect(issues({ workloads: [{ kind: 'timer' }], bogus: 1 })[0]!.path).toBe('bogus');
  });

  it('rejects vCPU indices outside the machine and duplicate workload names', () => {
    const got = issues({
      vcpus: 2,
      workloads: [
        { kind: 'timer', vcpus: [0, 2] },
        { kind: 'request-response', name: 'tick', vcpu: 5 },
      ],
    });
    expect(got).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'workloads[0].vcpus[1]', value: 2 }),
        expect.objectContaining({ path: 'workloads[1].vcpu', value: 5 }),
        expect.objectContaining({ path: 'workloads[1].name', value: 'tick' }),
      ]),
    );
  });
});
