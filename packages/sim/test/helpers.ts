import { composeMsi, createReferenceMachine } from '@irqkit/conformance';
import {
  armPresets,
  type PathPreset,
  parseScenario,
  powerPresets,
  referencePresets,
  type Scenario,
  wireVfioIntx,
  x86Presets,
} from '../src/index.js';

/** The reference plugin's presets, as the CLI builds them. */
export function refPresets(): PathPreset[] {
  return referencePresets((o) => createReferenceMachine({ vcpus: o.vcpus, host: o.host }));
}

/** Every built-in preset of every architecture, in the CLI's order. */
export function allPresets(): PathPreset[] {
  return [...refPresets(), ...x86Presets(), ...armPresets(), ...powerPresets()];
}

/** One reference preset by its short id. */
export function refPreset(id: string): PathPreset {
  const p = refPresets().find((x) => x.id === `reference/${id}`);
  if (p === undefined) throw new Error(`no preset ${id}`);
  return p;
}

/** The vector test IPIs use. */
export const IPI_VECTOR = 0xe0;

/**
 * A test-only preset: the posted-MSI path plus an IPI hook that sends a message-signalled
 * interrupt to the target (what an x86 ICR write amounts to), so IPI storms can run.
 */
export function withIpi(base: PathPreset): PathPreset {
  return {
    ...base,
    id: `${base.id}+ipi`,
    ipi: {
      send: (machine, _from, to) => void machine.vm.signalMsi(composeMsi(to, IPI_VECTOR)),
    },
  };
}

/** A short scenario: the built-in workloads' shapes, small and fast. */
export function smallScenario(extra: Record<string, unknown> = {}): Scenario {
  return parseScenario({
    name: 'small',
    seed: 11,
    durationMs: 10,
    vcpus: 2,
    workloads: [
      { kind: 'request-response', name: 'rr', vcpu: 0, rttUs: 20, appUs: 2, jitter: 0.1 },
      { kind: 'storage', name: 'disk', queues: 2, vcpus: [0, 1], burstGapUs: 100, burstSize: 6 },
      { kind: 'timer', name: 'tick', periodUs: 1000, vcpus: [0, 1] },
    ],
    trace: { windowUs: 200 },
    ...extra,
  });
}

/** A test-only preset: every source is a PCI INTx behind VFIO through a resampling irqfd. */
export function intxPreset(): PathPreset {
  const base = refPreset('level-resample');
  return {
    ...base,
    id: 'reference/intx-resample',
    label: 'PCI INTx + resample',
    wire: wireVfioIntx,
  };
}
