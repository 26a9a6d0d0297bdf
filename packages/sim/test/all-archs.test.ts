import { describe, expect, it } from 'vitest';
import {
  ChromeTrace,
  COST_MAPS,
  type Comparison,
  compare,
  defaultPlatform,
  defaultScenario,
  type Scenario,
} from '../src/index.js';
import { allPresets, smallScenario } from './helpers.js';

/** Every path of every architecture, as the CLI lists them. */
const presets = allPresets();
const archs = [...new Set(presets.map((p) => p.arch))];

describe('every architecture side by side', () => {
  it('the built-in scenario runs every path of x86, ARM, POWER and the reference plugin', () => {
    const c = compare({ ...defaultScenario(), durationMs: 5 }, presets);
    expect(archs).toEqual(['reference', 'x86', 'arm', 'power']);
    for (const p of c.paths) {
      expect(p.status, `${p.id}: ${p.reason}`).toBe('ok');
      expect(p.interrupts, p.id).toBeGreaterThan(50);
      expect(p.unknownInterrupts, p.id).toBe(0);
    }
    // Every architecture answers seed 004: at least one path names a baseline that ran.
    for (const arch of archs) {
      const withBaseline = c.paths.filter((p) => p.arch === arch && p.baseline !== undefined);
      expect(withBaseline.length, arch).toBeGreaterThan(0);
      for (const p of withBaseline) expect(c.paths.map((x) => x.id)).toContain(p.baseline);
    }
  });

  it('same seed → byte-identical results and trace, on every architecture', () => {
    const run = () => {
      const trace = new ChromeTrace();
      const c = compare(smallScenario({ durationMs: 5 }), presets, { trace });
      return JSON.stringify(c) + JSON.stringify(trace.toJSON());
    };
    expect(run()).toBe(run());
  });

  it('every built-in cost map prices counters its plugin really counts (no dead rules)', () => {
    // Run IPIs as well, so that the IPI exits are exercised.
    const s: Scenario = smallScenario({
      durationMs: 10,
      vcpus: 3,
      workloads: [
        { kind: 'request-response', name: 'rr', vcpu: 0, rttUs: 20, appUs: 2 },
        { kind: 'storage', name: 'disk', queues: 2, vcpus: [0, 1], burstGapUs: 100 },
        { kind: 'ipi-storm', senders: [0, 1, 2], gapUs: 30 },
      ],
    });
    const c = compare(s, presets);
    for (const arch of ['x86', 'arm']) {
      const moved = new Set<string>();
      for (const p of c.paths.filter((x) => x.arch === arch)) {
        for (const k of Object.keys(p.counters)) moved.add(k.replace(/^host\./, ''));
      }
      for (const rule of COST_MAPS[arch]!.rules) {
        // Exits these scenarios cannot cause (MMIO of GIC registers, interrupt windows, …).
        if (
          ['exits.mmio', 'exits.irqWindow', 'exits.tprBelowThreshold', 'exits.pio'].includes(
            rule.counter,
          )
        )
          continue;
        if (rule.counter.startsWith('userspace.') && rule.counter !== 'userspace.mmio') continue;
        if (rule.counter === 'guest.interrupted' || rule.counter === 'guest.pollWakeups') continue;
        expect(moved, `${arch}: ${rule.counter}`).toContain(rule.counter);
      }
    }
  });
});

describe('cost constants, every architecture', () => {
  const scenario = smallScenario({ durationMs: 5 });
  const base = compare(scenario, presets);
  const changedRun = (arch: string, constant: string): Comparison =>
    compare({ ...scenario, costs: { [arch]: { constants: { [constant]: 12_345 } } } }, presets);
  const cases: Array<[string, string]> = [
    ['x86', 'X86_EOI_EXIT'],
    ['x86', 'X86_EXIT_USERSPACE'],
    ['x86', 'X86_RESAMPLE_UNMASK'],
    ['arm', 'ARM_MAINT_IRQ_EXIT'],
    ['arm', 'ARM_RESAMPLE_UNMASK'],
    ['arm', 'HOST_IRQ_NS'],
    ['power', 'PPC_HCALL_REALMODE'],
  ];

  it.each(cases)('%s %s moves exactly the paths whose numbers use it', (arch, constant) => {
    const changed = changedRun(arch, constant);
    let moved = 0;
    base.paths.forEach((b, i) => {
      const a = changed.paths[i]!;
      const uses = b.arch === arch && b.constantsUsed.includes(constant);
      if (uses) {
        moved++;
        expect(JSON.stringify(a), `${constant} should move ${b.id}`).not.toBe(JSON.stringify(b));
      } else {
        expect(a, `${constant} must not move ${b.id}`).toEqual(b);
      }
    });
    expect(moved, constant).toBeGreaterThan(0);
  });

  it('each architecture is priced with its own platform', () => {
    for (const p of base.paths) expect(p.platform, p.id).toBe(defaultPlatform(p.arch)!.name);
  });
});
