import { EventFd, PciDevice, VfioMsiDevice, VfioPciIntx } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { APIC_DEFAULT_BASE as A, IOAPIC_DEFAULT_BASE as B, type X86Machine } from '../src/index.js';
import { apicWrite, inIrr, ipi, mk, msi, msiRoute, program, takeEoi, toX2apic } from './helpers.js';

/** Counter changes while `fn` runs (machine-wide). */
function delta(m: X86Machine, fn: () => void): Record<string, number> {
  const before = m.counters.snapshot();
  fn();
  return m.counters.delta(before);
}

/** Only the exit-ish counters of a delta. */
function exitsOf(d: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(d).filter(([k]) =>
      /^(exits|userspace)\.|^(notifications|hostIrqs|wakeups)$/.test(k),
    ),
  );
}

describe('X86 §7 exits and cost model', () => {
  it('X86-7.1: EOI: traps without APICv; with APICv only vectors in ioapicHandled exit', () => {
    for (const apicv of [false, true]) {
      const m = mk({ apicv });
      program(m, 10, { vector: 0x5a, level: true });
      m.vm.signalMsi(msi(0, 0x41));
      m.guest.take(0);
      expect(exitsOf(delta(m, () => m.guest.eoi(0, 0x41)))).toEqual(
        apicv ? {} : { 'exits.eoi': 1 },
      );
      m.vm.setIrq(0, 10, true);
      m.vm.setIrq(0, 10, false);
      m.guest.take(0);
      expect(exitsOf(delta(m, () => m.guest.eoi(0, 0x5a)))).toEqual({ 'exits.eoi': 1 });
    }
  });

  it('X86-7.1: TPR writes are absorbed, except a TPR-below-threshold exit that unmasks a pending interrupt', () => {
    const m = mk();
    expect(exitsOf(delta(m, () => m.setTpr(0, 0x50)))).toEqual({});
    m.vm.signalMsi(msi(0, 0x41)); // pending, masked by TPR
    expect(exitsOf(delta(m, () => apicWrite(m, 0, 0x80, 0x20)))).toEqual({
      'exits.tprBelowThreshold': 1,
    });
    const v = mk({ apicv: true });
    v.setTpr(0, 0x50);
    v.vm.signalMsi(msi(0, 0x41));
    expect(exitsOf(delta(v, () => v.setTpr(0, 0x20)))).toEqual({});
  });

  it('X86-7.1: ICR writes: mmio/msr without APICv, apicWrite with APICv, nothing with IPIv', () => {
    const m = mk();
    expect(exitsOf(delta(m, () => apicWrite(m, 0, 0x300, 0x41 | (1 << 18))))).toMatchObject({
      'exits.mmio': 1,
    });
    toX2apic(m, 0);
    expect(exitsOf(delta(m, () => m.wrmsr(0, 0x830, 0x42 | (1 << 18))))).toMatchObject({
      'exits.msr': 1,
    });
    const v = mk({ apicv: true });
    expect(exitsOf(delta(v, () => ipi(v, 0, 0x43, 2)))).toEqual({
      'exits.apicWrite': 2,
      notifications: 1,
    });
    const i = mk({ apicv: true, ipiv: true });
    const d = delta(i, () => apicWrite(i, 0, 0x300, 0x44)); // dest 0 (ICR2 = 0), physical, fixed
    expect(exitsOf(d)).toEqual({ notifications: 1 });
    expect(inIrr(i, 0, 0x44)).toBe(true);
  });

  it('X86-7.1: IOAPIC accesses exit (full: in the kernel; split: on to userspace); HLT blocks when idle', () => {
    const f = mk();
    expect(exitsOf(delta(f, () => f.mmioRead(0, B, 4)))).toEqual({ 'exits.mmio': 1 });
    const s = mk({ irqchip: 'split' });
    expect(exitsOf(delta(s, () => s.mmioWrite(0, B, 1, 4)))).toEqual({
      'exits.mmio': 1,
      'userspace.mmio': 1,
    });
    expect(exitsOf(delta(f, () => f.hlt(1)))).toEqual({ 'exits.hlt': 1 });
    expect(f.runState(1)).toBe('blocked');
    f.vm.signalMsi(msi(2, 0x41));
    f.hlt(2);
    expect(f.runState(2)).toBe('guest'); // something pending: no block
  });

  it('X86-7.2: per-path costs (P1 no irqchip, P2/P3 irqfd MSI, P6 edge pin, P10 IPI)', () => {
    // P1: no in-kernel irqchip: the VMM signals the vCPU and injects; the EOI is a userspace MMIO.
    const n = mk({ irqchip: 'none', vcpus: 1 });
    program(n, 4, { vector: 0x44 });
    const p1 = delta(n, () => n.ioapic.setLevel(4, true));
    expect(exitsOf(p1)).toEqual({ 'exits.kick': 1, 'userspace.intr': 1 });
    n.ioapic.setLevel(4, false);
    n.guest.take(0);
    expect(exitsOf(delta(n, () => n.mmioWrite(0, A + 0xb0, 0, 4)))).toEqual({
      'exits.mmio': 1,
      'userspace.mmio': 1,
    });
    // P6: non-resampling irqfd on an edge pin: deferred (schedTasks), then as P2.
    const m = mk();
    program(m, 5, { vector: 0x35 });
    const e = new EventFd();
    m.vm.irqfds.assign({ eventfd: e, gsi: 5 });
    const p6 = delta(m, () => e.signal());
    expect(p6).toMatchObject({ schedTasks: 1, 'exits.kick': 1 });
    expect(exitsOf(delta(m, () => takeEoi(m, 0)))).toEqual({ 'exits.eoi': 1 });
    // P10: an IPI costs the sender an exit and, without APICv, the target a kick.
    const p10 = delta(m, () => ipi(m, 0, 0x46, 1));
    expect(exitsOf(p10)).toEqual({ 'exits.mmio': 2, 'exits.kick': 1 });
  });

  it('X86-7.3: coalesced injections still kick without APICv; with APICv a coalesced post sends nothing', () => {
    const m = mk();
    m.vm.signalMsi(msi(0, 0x41));
    expect(exitsOf(delta(m, () => m.vm.signalMsi(msi(0, 0x41))))).toEqual({ 'exits.kick': 1 });
    const v = mk({ apicv: true });
    v.setRunState(0, 'host');
    v.vm.signalMsi(msi(0, 0x41));
    v.setRunState(0, 'guest');
    v.setRunState(0, 'host');
    v.vm.signalMsi(msi(0, 0x42));
    expect(exitsOf(delta(v, () => v.vm.signalMsi(msi(0, 0x42))))).toEqual({});
  });
});

describe('X86 §9 scenarios — exit accounting', () => {
  it('X86-S68: P2 vs P3', () => {
    for (const apicv of [false, true]) {
      const m = mk({ apicv });
      m.vm.setGsiRouting([msiRoute(40, 0, 0x41)]);
      const e = new EventFd();
      m.vm.irqfds.assign({ eventfd: e, gsi: 40 });
      const d = delta(m, () => {
        for (let i = 0; i < 100; i++) {
          e.signal();
          expect(takeEoi(m, 0)).toBe(0x41);
        }
      });
      expect(exitsOf(d)).toEqual(
        apicv ? { notifications: 100 } : { 'exits.kick': 100, 'exits.eoi': 100 },
      );
    }
  });

  it('X86-S69: P4/P5 resampled INTx', () => {
    for (const apicv of [false, true]) {
      const m = mk({ apicv });
      m.guest.configure(10, { trigger: 'level', target: 0, priority: 3 });
      m.guest.unmask(10);
      const line = m.host.irqs.createLine();
      const dev = new PciDevice('nic', line, true);
      const e = new EventFd();
      const r = new EventFd();
      new VfioPciIntx(m.host, dev, { trigger: e, unmask: r });
      m.vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: r });
      for (let i = 0; i < 3; i++) {
        const d = delta(m, () => {
          dev.assert();
          const t = m.guest.take(0);
          expect(t).not.toBeNull();
          dev.deassert(); // the driver services the device
          m.guest.eoi(0, t!);
        });
        expect(d['exits.kick'] ?? 0).toBe(apicv ? 0 : 1);
        expect(d['exits.eoi']).toBe(1);
        expect(d.ackNotifications).toBe(1);
        expect(d.resamplefdSignals).toBe(1);
        expect(d.schedTasks).toBeGreaterThanOrEqual(1);
      }
    }
  });

  it('X86-S70: P7 split', () => {
    const m = mk({ irqchip: 'split', vcpus: 1 });
    m.guest.configure(10, { trigger: 'level', target: 0, priority: 3 });
    m.guest.unmask(10);
    const once = () =>
      delta(m, () => {
        m.ioapic.setLevel(10, true);
        const t = m.guest.take(0)!;
        m.ioapic.setLevel(10, false);
        m.guest.eoi(0, t);
      });
    expect(exitsOf(once())).toMatchObject({ 'userspace.ioapicEoi': 1, 'exits.eoi': 1 });
    const q = mk({ irqchip: 'split', vcpus: 1, suppressEoiBroadcastQuirk: false });
    q.guest.configure(10, { trigger: 'level', target: 0, priority: 3 });
    q.guest.unmask(10);
    apicWrite(q, 0, 0xf0, 0x11ff);
    const d = delta(q, () => {
      q.ioapic.setLevel(10, true);
      const t = q.guest.take(0)!;
      q.ioapic.setLevel(10, false);
      q.guest.eoi(0, t);
    });
    expect(d['userspace.ioapicEoi'] ?? 0).toBe(0);
    expect(d['exits.eoi']).toBe(1);
    expect(d['exits.mmio']).toBe(1);
    expect(d['userspace.mmio']).toBe(1);
    expect((q.ioapic.lo[10]! >>> 14) & 1).toBe(0); // the EOI register did clear remote IRR
  });

  it('X86-7.2: P8/P9 device MSIs: posted (0 host IRQs) vs remapped (a host IRQ, then the fast path)', () => {
    const m = mk({ apicv: true, devicePosting: true });
    m.vm.setGsiRouting([msiRoute(40, 1, 0x61)]);
    const e = new EventFd();
    const dev = new VfioMsiDevice(m.host, { type: 'msix', vectors: 1 });
    dev.setTrigger(0, e);
    m.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    const before = m.host.counters.get('hostIrqs');
    expect(exitsOf(delta(m, () => dev.fire(0)))).toEqual({ notifications: 1 });
    expect(m.host.counters.get('hostIrqs')).toBe(before);
  });
});
