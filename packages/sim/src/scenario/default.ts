import type { Scenario } from './scenario.js';
import { parseScenario } from './schema.js';

/**
 * The built-in scenario `irqkit compare` runs: the question of seed 004 — does delivering a
 * device interrupt without the hypervisor (forwarding, posting) lower latency and host CPU
 * overhead, "measurable with something like netperf TCP_RR"? — with the rest of a small
 * server's interrupt load around it: bursty storage completions on two MSI-X queues and a
 * 250 Hz tick on each vCPU. Every path of x86, ARM and POWER.
 */
export const DEFAULT_SCENARIO_INPUT: Readonly<Record<string, unknown>> = {
  name: 'netperf TCP_RR + storage + tick',
  description:
    'netperf TCP_RR on vCPU 0 (20 µs wire round trip, 2 µs server work), NVMe-like bursts on two queues, a 250 Hz tick per vCPU; 2 vCPUs',
  seed: 4,
  durationMs: 200,
  vcpus: 2,
  workloads: [
    { kind: 'request-response', name: 'netperf', vcpu: 0, rttUs: 20, appUs: 2, jitter: 0.1 },
    {
      kind: 'storage',
      name: 'nvme',
      queues: 2,
      vcpus: [0, 1],
      burstGapUs: 200,
      burstSize: 8,
      burstSpreadUs: 20,
    },
    { kind: 'timer', name: 'tick', periodUs: 4000, vcpus: [0, 1] },
  ],
  // The three architectures; `--paths all` adds the conformance kit's reference plugin.
  paths: ['x86', 'arm', 'power'],
  trace: { windowUs: 400 },
};

/** The built-in scenario, validated. */
export function defaultScenario(): Scenario {
  return parseScenario(DEFAULT_SCENARIO_INPUT, 'built-in scenario');
}
