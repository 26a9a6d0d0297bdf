import { describe, expect, it } from 'vitest';
import { ARM_SPLIT_MODE, armPresets, compare, parseScenario, runPath } from '../src/index.js';
import { smallScenario } from './helpers.js';

const preset = (id: string) => armPresets().find((p) => p.id === `arm/${id}`)!;
const ns = (name: string) => {
  const c = ARM_SPLIT_MODE.constants[name]!;
  const v = c.ref === undefined ? c.value : ARM_SPLIT_MODE.constants[c.ref]!.value;
  return c.unit === 'ns' ? v : v / ARM_SPLIT_MODE.cpuGHz;
};

/** One vCPU, a tick every millisecond: every interrupt finds its vCPU halted. */
const tickOnly = (vcpus = 1) =>
  parseScenario({
    seed: 3,
    durationMs: 10,
    vcpus,
    workloads: [{ kind: 'timer', periodUs: 1000, vcpus: [0], handlerUs: 2 }],
  });

describe('ARM presets (spec/arm.md §7) on @irqkit/arm', () => {
  const c = compare(smallScenario({ durationMs: 20 }), armPresets());
  const path = (id: string) => c.paths.find((p) => p.id === `arm/${id}`)!;

  it('every ARM path runs; every token maps to a source', () => {
    expect(c.paths.map((p) => p.id)).toEqual([
      'arm/spi-resample',
      'arm/spi-forwarded',
      'arm/lpi-irqfd',
      'arm/vlpi',
    ]);
    for (const p of c.paths) {
      expect(p.status, `${p.id}: ${p.reason}`).toBe('ok');
      expect(p.unknownInterrupts).toBe(0);
      expect(p.interrupts).toBeGreaterThan(100);
    }
  });

  it('P4: level SPI + resample — per interrupt one maintenance exit, ack, resamplefd signal, VFIO mask and unmask', () => {
    const p = path('spi-resample');
    // One per completed interrupt: a handler may still run at the end (at most one per vCPU).
    const done = p.counters['exits.maintenance']!;
    expect(p.interrupts - done).toBeGreaterThanOrEqual(0);
    expect(p.interrupts - done).toBeLessThanOrEqual(2);
    expect(p.exitsByReason.maintenance).toBeCloseTo(1, 2);
    expect(p.counters.ackNotifications).toBe(done);
    expect(p.priced.resamplefdSignals!.count).toBe(done);
    expect(p.counters['host.vfioUnmasks']).toBe(done);
    expect(p.counters['host.vfioMasks']).toBe(p.interrupts);
  });

  it('P5: forwarded SPI — no maintenance, ack, resample or VFIO mask; host IRQ and work item stay', () => {
    const p = path('spi-forwarded');
    for (const k of [
      'exits.maintenance',
      'ackNotifications',
      'resamplefdSignals',
      'host.vfioMasks',
      'host.vfioUnmasks',
    ]) {
      expect(p.counters[k] ?? 0, k).toBe(0);
    }
    expect(p.counters['host.hostIrqs']).toBe(p.interrupts);
    expect(p.counters.schedTasks).toBe(p.interrupts);
  });

  it('ARM-7.4: seed 004 on ARM — forwarding removes the maintenance exit and the resample cost', () => {
    const fwd = path('spi-forwarded');
    const res = path('spi-resample');
    expect(fwd.baseline).toBe('arm/spi-resample');
    expect(res.exitsPerInterrupt - fwd.exitsPerInterrupt).toBeGreaterThanOrEqual(1);
    expect(fwd.hostShare).toBeLessThan(res.hostShare);
    expect(fwd.workloads.rr!.transactionsPerSec).toBeGreaterThan(
      res.workloads.rr!.transactionsPerSec!,
    );
    expect(res.constantsUsed).toEqual(
      expect.arrayContaining(['ARM_MAINT_IRQ_EXIT', 'ARM_RESAMPLE_UNMASK']),
    );
    expect(fwd.constantsUsed).not.toContain('ARM_MAINT_IRQ_EXIT');
  });

  it('P6: ITS LPI via irqfd — one host IRQ per raise, injected from the signalling context', () => {
    const p = path('lpi-irqfd');
    expect(p.counters['host.hostIrqs']).toBe(p.raises);
    expect(p.counters.fastPathInjections).toBe(p.raises);
    expect(p.counters.schedTasks ?? 0).toBe(0);
  });

  it('P7 / P7d: GICv4 vLPI — no exits; the only host IRQs are doorbells, one per wake-up from WFI', () => {
    const p = path('vlpi');
    expect(p.baseline).toBe('arm/lpi-irqfd');
    expect(p.exitsPerInterrupt).toBe(0);
    expect(p.counters['exits.kick'] ?? 0).toBe(0);
    expect(p.counters.doorbells).toBeGreaterThan(0);
    expect(p.counters['host.hostIrqs']).toBe(p.counters.doorbells);
    expect(p.counters.doorbells).toBeLessThanOrEqual(p.counters.wakeups!);
    // A doorbell is priced once, as the host IRQ it is.
    expect(p.priced['host.hostIrqs']!.count).toBe(p.counters.doorbells);
    expect(p.priced.doorbells).toBeUndefined();
  });

  it('an idle vCPU: the latency is exactly the host side of the path plus the wake-up', () => {
    const wake = ns('HOST_WAKEUP_NS');
    const hostIrq = ns('HOST_IRQ_NS');
    const work = ns('HOST_WORK_ITEM_NS');
    const lat = (id: string) => runPath(preset(id), tickOnly()).latencyNs;
    for (const id of ['spi-resample', 'spi-forwarded']) {
      expect(lat(id).max, id).toBe(hostIrq + work + wake);
    }
    expect(lat('lpi-irqfd').max).toBe(hostIrq + wake);
    expect(lat('vlpi').max).toBe(hostIrq + wake); // the doorbell
    expect(lat('vlpi').min).toBe(hostIrq + wake);
  });

  it('ARM-3.8: the first active SPI kicks every vCPU — a halted one wakes for nothing and halts again', () => {
    const r = runPath(preset('spi-resample'), tickOnly(2));
    expect(r.interrupts).toBe(10);
    // vCPU 0 wakes for its tick, vCPU 1 because activeSpis went 0 → 1; both halt again.
    expect(r.counters['guest.wakeups']).toBe(20);
    expect(r.counters.wakeups).toBe(20);
    const fwd = runPath(preset('spi-forwarded'), tickOnly(2));
    // A forwarded SPI's deactivation is not folded, so activeSpis stays above 0 after the first.
    expect(fwd.counters['guest.wakeups']).toBeLessThanOrEqual(11);
  });

  it('P8: IPI storms run with SGIs — one sysreg exit on the sender per IPI', () => {
    const s = parseScenario({
      durationMs: 5,
      vcpus: 3,
      workloads: [{ kind: 'ipi-storm', senders: [0, 1, 2], gapUs: 20 }],
    });
    for (const p of armPresets()) {
      const r = runPath(p, s);
      expect(r.status, `${p.id}: ${r.reason}`).toBe('ok');
      const { ipisSent, ipisHandled } = r.workloads.ipis!;
      expect(ipisSent).toBeGreaterThan(100);
      expect(r.counters['exits.sysreg']).toBe(ipisSent);
      expect(ipisHandled).toBeLessThanOrEqual(ipisSent!);
      expect(ipisHandled).toBeGreaterThanOrEqual(ipisSent! - 2 * s.vcpus);
      expect(r.unknownInterrupts).toBe(0);
    }
  });
});
