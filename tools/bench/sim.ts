/**
 * Simulator benchmarks: simulated interrupts per second of wall time on the built-in scenario
 * (netperf TCP_RR + storage bursts + tick, 2 vCPUs) — what `irqkit compare` runs: every x86,
 * ARM and POWER path, each interrupt driven through a real machine and priced by the meter.
 * The reference plugin's paths are measured too (a near-free plugin: the simulator's own cost).
 */
import { createReferenceMachine } from '@irqkit/conformance';
import {
  armPresets,
  compare,
  createPathSimulation,
  DEFAULT_SCENARIO_INPUT,
  Engine,
  type PathPreset,
  parseScenario,
  powerPresets,
  referencePresets,
  x86Presets,
} from '@irqkit/sim';
import type { Bench } from './harness.js';

/** The paths `irqkit compare` runs by default. */
const defaultPresets = (): PathPreset[] => [...x86Presets(), ...armPresets(), ...powerPresets()];
const reference = (): PathPreset[] =>
  referencePresets((o) => createReferenceMachine({ vcpus: o.vcpus, host: o.host }));
const scenario = (durationMs: number) => parseScenario({ ...DEFAULT_SCENARIO_INPUT, durationMs });

/** One cycle = one more interrupt taken by the guest on `preset`, in steady state. */
function perPath(preset: () => PathPreset): Bench {
  const id = preset().id;
  return {
    kind: 'cycles',
    group: 'sim',
    name: `default scenario, ${id}: one simulated interrupt`,
    target: 2_000_000,
    setup() {
      const sim = createPathSimulation(preset(), scenario(1));
      sim.start();
      sim.advanceInterrupts(10_000);
      return () => {
        sim.advanceInterrupts(1);
      };
    },
  };
}

export const simBenches: Bench[] = [
  {
    kind: 'once',
    group: 'sim',
    name: 'irqkit compare: default scenario, every x86, ARM and POWER path (200 ms simulated each)',
    run() {
      // Warm-up: the first comparison in a process runs mostly in the interpreter and the
      // baseline compiler (about 6× slower), and each new architecture's machines deoptimise
      // code the previous ones warmed; V8 is still recompiling in the third run (--trace-opt:
      // ~70 ms of TurboFan work, 0.56–0.75 M interrupts/s against 0.80–0.85 from the fourth
      // on). Four runs reach steady state; the figures are the median of three more.
      const sc = scenario(200);
      for (let i = 0; i < 4; i++) compare(sc, defaultPresets());
      const runs: Record<string, number>[] = [];
      for (let i = 0; i < 3; i++) {
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const c = compare(sc, defaultPresets());
        const wall = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        const irqs = c.paths.reduce((a, p) => a + p.interrupts, 0);
        const events = c.paths.reduce((a, p) => a + p.events, 0);
        runs.push({
          paths: c.paths.length,
          interrupts: irqs,
          interruptsPerSec: irqs / wall,
          interruptsPerCpuSec: irqs / ((cpu.user + cpu.system) / 1e6),
          eventsPerInterrupt: events / irqs,
          wallMs: wall * 1000,
        });
      }
      runs.sort((a, b) => a.interruptsPerSec! - b.interruptsPerSec!);
      return runs[1]!;
    },
  },
  ...[...defaultPresets(), ...reference()].map((p) =>
    perPath(() => [...defaultPresets(), ...reference()].find((x) => x.id === p.id)!),
  ),
  {
    kind: 'cycles',
    group: 'sim',
    name: 'engine: schedule + dispatch one event (heap of 1,000)',
    setup() {
      const e = new Engine();
      let t = 0;
      const k = e.register(() => {});
      for (let i = 0; i < 1000; i++) e.at(i * 7, k);
      return () => {
        e.at(e.now + 7000 + (t++ % 13), k);
        e.step();
      };
    },
  },
];
