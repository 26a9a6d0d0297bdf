import { describe, expect, it } from 'vitest';
import { compare, parseScenario, runPath, X86_SKYLAKE_SP, x86Presets } from '../src/index.js';
import { smallScenario } from './helpers.js';

const preset = (id: string) => x86Presets().find((p) => p.id === `x86/${id}`)!;
const ns = (name: string) => {
  const c = X86_SKYLAKE_SP.constants[name]!;
  const v = c.ref === undefined ? c.value : X86_SKYLAKE_SP.constants[c.ref]!.value;
  return c.unit === 'ns' ? v : v / X86_SKYLAKE_SP.cpuGHz;
};

/** One vCPU, a tick every millisecond: every interrupt finds its vCPU halted. */
const tickOnly = () =>
  parseScenario({
    seed: 3,
    durationMs: 10,
    vcpus: 1,
    workloads: [{ kind: 'timer', periodUs: 1000, vcpus: [0], handlerUs: 2 }],
  });

/** A vCPU kept busy by server work: the tick catches it in the guest. */
const busy = () =>
  parseScenario({
    seed: 1,
    durationMs: 5,
    vcpus: 1,
    workloads: [
      { kind: 'request-response', vcpu: 0, rttUs: 1, appUs: 50, handlerUs: 0.5 },
      { kind: 'timer', periodUs: 500, vcpus: [0], handlerUs: 1 },
    ],
  });

describe('x86 presets (spec/x86.md §7) on @irqkit/x86', () => {
  const c = compare(smallScenario({ durationMs: 20 }), x86Presets());
  const path = (id: string) => c.paths.find((p) => p.id === `x86/${id}`)!;

  it('every x86 path runs; every token maps to a source', () => {
    expect(c.paths.map((p) => p.id)).toEqual([
      'x86/userspace-irqchip',
      'x86/ioapic-resample',
      'x86/msi-irqfd',
      'x86/msi-irqfd-apicv',
      'x86/posted',
    ]);
    for (const p of c.paths) {
      expect(p.status, `${p.id}: ${p.reason}`).toBe('ok');
      expect(p.unknownInterrupts).toBe(0);
      expect(p.interrupts).toBeGreaterThan(100);
    }
  });

  it('X86-7.2 P1: userspace irqchip — every EOI is an MMIO exit that goes on to the VMM', () => {
    const p = path('userspace-irqchip');
    expect(p.counters['exits.mmio']).toBe(p.counters['userspace.mmio']);
    expect(p.exitsByReason.mmio).toBeCloseTo(1, 2);
    // A running vCPU is signalled and injected with KVM_INTERRUPT: one per kick.
    expect(p.counters['userspace.intr']).toBe(p.counters['exits.kick']);
    expect(p.counters['host.hostIrqs'] ?? 0).toBe(0);
    expect(p.constantsUsed).toContain('X86_EXIT_USERSPACE');
  });

  it('X86-7.2 P4: IOAPIC level + resample — an EOI exit, an ack, a resamplefd signal, VFIO mask and unmask', () => {
    const p = path('ioapic-resample');
    const done = p.counters['exits.eoi']!;
    expect(p.interrupts - done).toBeGreaterThanOrEqual(0);
    expect(p.interrupts - done).toBeLessThanOrEqual(2);
    expect(p.counters.ackNotifications).toBe(done);
    expect(p.priced.resamplefdSignals!.count).toBe(done);
    expect(p.counters['host.vfioUnmasks']).toBe(done);
    expect(p.counters['host.vfioMasks']).toBe(p.interrupts);
    expect(p.counters.schedTasks).toBe(p.interrupts); // irqchip routes are deferred
  });

  it('X86-7.2 P2 / P9: MSI irqfd without APICv — a host IRQ per raise on the fast path, an exit per EOI', () => {
    const p = path('msi-irqfd');
    expect(p.counters['host.hostIrqs']).toBe(p.raises);
    expect(p.counters.fastPathInjections).toBe(p.raises);
    expect(p.exitsByReason.eoi).toBeCloseTo(1, 2);
    expect(p.counters.notifications ?? 0).toBe(0);
  });

  it('X86-7.2 P3: APICv — software posting instead of kicks, no EOI exits; the host IRQ stays', () => {
    const p = path('msi-irqfd-apicv');
    expect(p.counters['exits.kick'] ?? 0).toBe(0);
    expect(p.counters['exits.eoi'] ?? 0).toBe(0);
    expect(p.exitsPerInterrupt).toBe(0);
    expect(p.counters['host.hostIrqs']).toBe(p.raises);
    expect(p.counters.notifications).toBeGreaterThan(0);
  });

  it('X86-7.2 P8 / P8b: posted — no device host IRQ; only notification and wake-up vectors', () => {
    const p = path('posted');
    expect(p.baseline).toBe('x86/msi-irqfd');
    expect(p.exitsPerInterrupt).toBe(0);
    expect(p.counters.fastPathInjections ?? 0).toBe(0);
    // Every host IRQ is one the VM's PIDs caused: a wake-up vector for a blocked vCPU, or a
    // notification that found its vCPU in the host (inside an exit).
    expect(p.counters['host.hostIrqs']).toBe(p.counters.hostIrqs);
    expect(p.counters.hostIrqs).toBeGreaterThanOrEqual(p.counters.wakeups!);
    expect(p.counters.hostIrqs).toBeLessThan(p.raises);
    expect(p.workloads.rr!.transactionsPerSec).toBeGreaterThan(
      path('msi-irqfd').workloads.rr!.transactionsPerSec!,
    );
  });

  it('an idle vCPU: the latency is exactly the host side of the path plus the wake-up', () => {
    const wake = ns('HOST_WAKEUP_NS');
    const lat = (id: string) => runPath(preset(id), tickOnly()).latencyNs;
    expect(lat('userspace-irqchip').max).toBe(wake);
    expect(lat('ioapic-resample').max).toBe(ns('HOST_IRQ_NS') + ns('HOST_WORK_ITEM_NS') + wake);
    expect(lat('msi-irqfd').max).toBe(ns('HOST_IRQ_NS') + wake);
    expect(lat('posted').max).toBe(ns('HOST_IRQ_NS') + wake); // the wake-up vector
  });

  it('a busy vCPU: a kick exit on the irqfd path, none when posted (ELI, DID direction)', () => {
    const irqfd = runPath(preset('msi-irqfd'), busy());
    const posted = runPath(preset('posted'), busy());
    expect(irqfd.workloads.tick!.latencyP50Ns).toBe(
      Math.round(ns('HOST_IRQ_NS') + ns('X86_KICK_IPI')),
    );
    expect(posted.workloads.tick!.latencyP50Ns).toBe(0);
    expect(posted.counters.notifications).toBeGreaterThan(0);
  });

  it('X86-7.1 P10: IPIs are x2APIC ICR writes — an MSR exit without APICv, an APIC-write exit with it', () => {
    const s = parseScenario({
      durationMs: 5,
      vcpus: 3,
      workloads: [{ kind: 'ipi-storm', senders: [0, 1, 2], gapUs: 20 }],
    });
    for (const p of x86Presets()) {
      const r = runPath(p, s);
      expect(r.status, `${p.id}: ${r.reason}`).toBe('ok');
      const { ipisSent, ipisHandled } = r.workloads.ipis!;
      expect(ipisSent).toBeGreaterThan(100);
      expect(ipisHandled).toBeLessThanOrEqual(ipisSent!);
      expect(ipisHandled).toBeGreaterThanOrEqual(ipisSent! - 2 * s.vcpus);
      expect(r.unknownInterrupts).toBe(0);
      const apicv = p.id === 'x86/msi-irqfd-apicv' || p.id === 'x86/posted';
      const exits = r.counters[apicv ? 'exits.apicWrite' : 'exits.msr'];
      if (p.id === 'x86/userspace-irqchip') continue; // the VMM's LAPIC: an exit to user space
      expect(exits, p.id).toBe(ipisSent);
    }
  });
});
