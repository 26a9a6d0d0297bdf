import { describe, expect, it } from 'vitest';
import { compare, POWER9_RADIX, parseScenario, powerPresets, runPath } from '../src/index.js';
import { smallScenario } from './helpers.js';

const preset = (id: string) => powerPresets().find((p) => p.id === `power/${id}`)!;
const ns = (name: string) => {
  const c = POWER9_RADIX.constants[name]!;
  const v = c.ref === undefined ? c.value : POWER9_RADIX.constants[c.ref]!.value;
  return c.unit === 'ns' ? v : v / POWER9_RADIX.cpuGHz;
};

describe('POWER presets (spec/power.md §7, §8) on @irqkit/power', () => {
  const c = compare(smallScenario({ durationMs: 20 }), powerPresets());
  const path = (id: string) => c.paths.find((p) => p.id === `power/${id}`)!;

  it('every POWER path runs; every token maps to a source', () => {
    for (const p of c.paths) {
      expect(p.status, `${p.id}: ${p.reason}`).toBe('ok');
      expect(p.unknownInterrupts).toBe(0);
      expect(p.interrupts).toBeGreaterThan(100);
    }
  });

  it('PWR-8.1: virtual mode exits for H_XIRR and H_EOI; real mode completes them', () => {
    const virt = path('virtual-hcalls');
    const rm = path('realmode-hcalls');
    expect(virt.exitsByReason.hcall).toBeCloseTo(2, 1);
    expect(virt.counters['hcalls.realmode'] ?? 0).toBe(0);
    expect(rm.exitsByReason.hcall ?? 0).toBe(0);
    expect(rm.exitsByReason['hcall.rm']).toBeCloseTo(2, 1);
    expect(rm.workloads.rr!.transactionsPerSec).toBeGreaterThan(
      virt.workloads.rr!.transactionsPerSec!,
    );
    expect(rm.hostShare).toBeLessThan(virt.hostShare);
  });

  it('PWR-7.9: passthrough skips the host handler while a vCPU runs', () => {
    const pt = path('realmode-passthrough');
    expect(pt.counters['passthru.realmode']).toBeGreaterThan(0);
    expect(pt.counters['host.hostIrqs'] ?? 0).toBeLessThan(pt.raises);
    expect(pt.counters['host.hostIrqs'] ?? 0).toBe(pt.counters['passthru.host'] ?? 0);
  });

  it('PWR-8.2: with a resampling irqfd every H_EOI of the LSI punts to virtual mode', () => {
    const lsi = path('lsi-resample');
    expect(lsi.counters['exits.notify-eoi']).toBe(lsi.counters.ackNotifications);
    expect(lsi.exitsByReason['notify-eoi']).toBeGreaterThan(1);
  });

  it('an idle vCPU: virtual-mode H_XIRR adds a full exit to the latency, real mode 509 cycles', () => {
    const s = parseScenario({
      durationMs: 10,
      vcpus: 1,
      workloads: [{ kind: 'timer', periodUs: 1000, vcpus: [0] }],
    });
    const wake = ns('HOST_WAKEUP_NS') + ns('HOST_IRQ_NS');
    expect(runPath(preset('virtual-hcalls'), s).latencyNs.max).toBe(
      Math.round(wake + ns('PPC_HCALL_VIRTMODE')),
    );
    expect(runPath(preset('realmode-hcalls'), s).latencyNs.max).toBe(
      Math.round(wake + ns('PPC_HCALL_REALMODE')),
    );
  });

  it('IPI storms run with H_IPI; the handler clears MFRR so nothing is presented twice', () => {
    const s = parseScenario({
      durationMs: 5,
      vcpus: 3,
      workloads: [{ kind: 'ipi-storm', senders: [0, 1, 2], gapUs: 20 }],
    });
    for (const p of powerPresets()) {
      const r = runPath(p, s);
      expect(r.status, `${p.id}: ${r.reason}`).toBe('ok');
      expect(r.workloads.ipis!.ipisSent).toBeGreaterThan(100);
      // Nothing is lost: whatever is not handled is still in flight at the end (at most a
      // couple per target vCPU: one being handled, one raised meanwhile).
      const { ipisSent, ipisHandled } = r.workloads.ipis!;
      expect(ipisHandled).toBeLessThanOrEqual(ipisSent!);
      expect(ipisHandled).toBeGreaterThanOrEqual(ipisSent! - 2 * s.vcpus);
      expect(r.unknownInterrupts).toBe(0);
    }
  });
});
