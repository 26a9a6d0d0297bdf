import { EventFd } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import {
  IOAPIC_DEFAULT_BASE as B,
  IOAPIC_EOI_INJECT_DELAY_NS,
  IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT,
} from '../src/index.js';
import {
  disableApic,
  enableApic,
  inIrr,
  ioWrite,
  irrBit,
  line,
  mk,
  mkTest,
  program,
  remoteIrr,
  rteLo,
  takeEoi,
} from './helpers.js';

const acc = (m: ReturnType<typeof mk>, v = 0) => m.vcpu(v).acceptCount;

describe('X86 §2.5 pin input', () => {
  it('X86-2.9: line 0 clears IRR and returns 1; edge needs a rising edge (else 0); level services every call', () => {
    const m = mk();
    program(m, 5, { vector: 0x35 });
    expect(line(m, 5, 1)).toBe(1);
    expect(line(m, 5, 1)).toBe(0);
    expect(line(m, 5, 0)).toBe(1);
    expect(irrBit(m, 5)).toBe(0);
    program(m, 10, { vector: 0x5a, level: true });
    expect(line(m, 10, 1, 0)).toBe(1);
    expect(line(m, 10, 1, 3)).toBe(-1); // serviced again: remote IRR blocks it
    expect(line(m, 10, 0, 0)).toBe(-1); // a de-assert while another source holds the line is an assertion
    expect(m.vm.lineSources(2, 10)).toEqual([3]);
  });

  it('X86-2.10: service builds the message from the entry; level sets remote IRR only when delivered', () => {
    const m = mk();
    program(m, 6, { vector: 0x46, level: true, dest: 2 });
    expect(line(m, 6, 1)).toBe(1);
    expect(inIrr(m, 2, 0x46)).toBe(true);
    expect(m.lapic(2).tmr.test(0x46)).toBe(true);
    expect(remoteIrr(m, 6)).toBe(1);
    program(m, 7, { vector: 0x47, level: true, dest: 9 }); // nobody has APIC ID 9
    expect(line(m, 7, 1)).toBe(0);
    expect(remoteIrr(m, 7)).toBe(0);
    program(m, 8, { vector: 0x48, masked: true });
    expect(line(m, 8, 1)).toBe(-1);
    expect(irrBit(m, 8)).toBe(1);
  });

  it('X86-2.11: an edge on a masked pin is lost; (1,0,1,0) delivers twice; (1,1) once', () => {
    const m = mk();
    program(m, 5, { vector: 0x35, masked: true });
    expect(line(m, 5, 1)).toBe(-1);
    program(m, 5, { vector: 0x35 }); // unmask: not delivered (X86-2.7 is level-only)
    expect(acc(m)).toBe(0);
    line(m, 5, 0);
    line(m, 5, 1);
    line(m, 5, 0);
    line(m, 5, 1);
    line(m, 5, 1);
    expect(acc(m)).toBe(2);
  });

  it('X86-2.12: remote IRR blocks re-assertions; a level delivery that reached nobody is retried later', () => {
    const m = mk();
    program(m, 10, { vector: 0x5a, level: true, dest: 1 });
    disableApic(m, 1);
    expect(line(m, 10, 1)).toBe(0);
    expect(remoteIrr(m, 10)).toBe(0);
    expect(irrBit(m, 10)).toBe(1);
    enableApic(m, 1);
    expect(line(m, 10, 1)).toBe(1); // another set with line 1 retries
    expect(line(m, 10, 1)).toBe(-1);
  });
});

describe('X86 §2.6 EOI', () => {
  it('X86-2.13: EOI notifies every pin with the vector, clears remote IRR for level EOIs, re-triggers', () => {
    const m = mk();
    const acks: number[] = [];
    m.vm.registerAckNotifier({ gsi: 5, onAck: () => acks.push(5) });
    program(m, 5, { vector: 0x5a }); // edge pin with the same vector: notified too
    program(m, 10, { vector: 0x5a, level: true });
    m.vm.registerAckNotifier({ gsi: 10, onAck: () => acks.push(10) });
    line(m, 10, 1);
    expect(takeEoi(m, 0)).toBe(0x5a);
    expect(acks).toEqual([5, 10]);
    expect(remoteIrr(m, 10)).toBe(1); // re-triggered: line still high
    expect(m.ioapic.eoiCount[10]).toBe(1);
    line(m, 10, 0);
    takeEoi(m, 0);
    expect(remoteIrr(m, 10)).toBe(0);
    expect(m.ioapic.eoiCount[10]).toBe(0);
  });

  it('X86-2.13: an edge-trigger EOI (TMR clear) notifies but leaves remote IRR alone', () => {
    const m = mk();
    program(m, 10, { vector: 0x5a, level: true });
    line(m, 10, 1);
    const v = m.vcpu(0);
    expect(v.take()).toBe(0x5a);
    m.lapic(0).tmr.clear(0x5a); // as if the latest 0x5a acceptance was edge
    let acked = 0;
    m.vm.registerAckNotifier({ gsi: 10, onAck: () => acked++ });
    m.eoi(0);
    expect(acked).toBe(1);
    expect(remoteIrr(m, 10)).toBe(1);
  });

  it('X86-2.14: the EOI register (version 0x20) is a directed EOI for level pins only', () => {
    const s = mk({ irqchip: 'split' });
    program(s, 3, { vector: 0x31, level: true });
    program(s, 4, { vector: 0x31 });
    s.ioapic.setLevel(3, true);
    s.ioapic.setLevel(4, true);
    const resampled: number[] = [];
    s.ioapic.resampleFds[3]!.push({ signal: () => resampled.push(3) });
    s.ioapic.resampleFds[4]!.push({ signal: () => resampled.push(4) });
    s.ioapic.setLevel(3, false);
    s.mmioWrite(0, B + 0x40, 0x31, 4);
    expect(resampled).toEqual([3]);
    expect(remoteIrr(s, 3)).toBe(0);
    s.mmioWrite(0, B + 0x40, 0x31, 2); // non-4-byte writes are ignored
    expect(resampled).toEqual([3]);
  });

  it('X86-2.15: the delayed task services every level pin with IRR = 1 and remote IRR = 0', () => {
    const { m, sched } = mkTest();
    program(m, 10, { vector: 0x5a, level: true });
    program(m, 11, { vector: 0x5b, level: true, masked: true });
    line(m, 10, 1);
    line(m, 11, 1);
    for (let i = 0; i < IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT; i++) takeEoi(m, 0);
    expect(m.ioapic.eoiInjectPending).toBe(true);
    const before = acc(m);
    m.advanceTime(IOAPIC_EOI_INJECT_DELAY_NS);
    expect(sched.size).toBe(1);
    sched.run();
    expect(acc(m)).toBe(before + 1); // pin 10 only; pin 11 is masked
    expect(remoteIrr(m, 11)).toBe(0);
  });
});

describe('X86 §2.4 write consequences', () => {
  it('X86-2.7: a latched level request is serviced on any write, or resampled when a resampler exists', () => {
    const m = mk();
    program(m, 10, { vector: 0x5a, level: true, masked: true });
    line(m, 10, 1);
    ioWrite(m, 0x25, 0); // high-half write, still masked: nothing
    expect(acc(m)).toBe(0);
    ioWrite(m, 0x24, rteLo({ vector: 0x5a, level: true })); // unmask
    expect(acc(m)).toBe(1);
    // With a resampler: the latched request is dropped and the resamplefd signalled.
    const r = mk();
    program(r, 10, { vector: 0x5a, level: true, masked: true });
    const e = new EventFd();
    const rf = new EventFd();
    r.vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: rf });
    e.signal();
    expect(irrBit(r, 10)).toBe(1);
    ioWrite(r, 0x24, rteLo({ vector: 0x5a, level: true }));
    expect(acc(r)).toBe(0);
    expect(irrBit(r, 10)).toBe(0);
    expect(rf.count).toBe(1);
  });
});

describe('X86 §9 scenarios — edge semantics', () => {
  it('X86-S9: edge pulse', () => {
    const m = mk();
    program(m, 5, { vector: 0x35 });
    expect(line(m, 5, 1)).toBe(1);
    expect(inIrr(m, 0, 0x35)).toBe(true);
    expect(m.lapic(0).tmr.test(0x35)).toBe(false);
    expect(line(m, 5, 0)).toBe(1);
    expect(irrBit(m, 5)).toBe(0);
  });

  it('X86-S10: no rising edge', () => {
    const m = mk();
    program(m, 5, { vector: 0x35 });
    line(m, 5, 1);
    expect(line(m, 5, 1)).toBe(0);
    expect(acc(m)).toBe(1);
    line(m, 5, 0);
    expect(line(m, 5, 1)).toBe(1);
    expect(acc(m)).toBe(2);
  });

  it('X86-S11: masked edge is lost (KVM); the QEMU userspace IOAPIC does not latch it at all', () => {
    const m = mk();
    program(m, 5, { vector: 0x35, masked: true });
    expect(line(m, 5, 1)).toBe(-1);
    program(m, 5, { vector: 0x35 });
    expect(acc(m)).toBe(0);
    line(m, 5, 0);
    expect(line(m, 5, 1)).toBe(1);
    const q = mk({ irqchip: 'split' });
    program(q, 5, { vector: 0x35, masked: true });
    expect(q.ioapic.setLevel(5, true)).toBe(-1);
    expect(irrBit(q, 5)).toBe(0); // not latched
    program(q, 5, { vector: 0x35 });
    expect(acc(q)).toBe(0);
    q.ioapic.setLevel(5, true);
    q.ioapic.setLevel(5, true);
    expect(acc(q)).toBe(2); // (1,1) → two deliveries
  });

  it('X86-S12: edge wired-OR', () => {
    const m = mk();
    program(m, 5, { vector: 0x35 });
    expect(line(m, 5, 1, 0)).toBe(1);
    expect(line(m, 5, 1, 2)).toBe(0);
    expect(line(m, 5, 0, 0)).toBe(0);
    expect(line(m, 5, 0, 2)).toBe(1);
    expect(acc(m)).toBe(1);
  });
});

describe('X86 §9 scenarios — level semantics', () => {
  const level10 = (m: ReturnType<typeof mk>) => program(m, 10, { vector: 0x5a, level: true });

  it('X86-S13: level assert', () => {
    const m = mk();
    level10(m);
    expect(line(m, 10, 1)).toBe(1);
    expect(remoteIrr(m, 10)).toBe(1);
    expect(m.lapic(0).tmr.test(0x5a)).toBe(true);
    expect(line(m, 10, 1)).toBe(-1);
    expect(acc(m)).toBe(1);
  });

  it('X86-S14: EOI with line low', () => {
    const m = mk();
    level10(m);
    line(m, 10, 1);
    line(m, 10, 0);
    const c0 = m.counters.get('exits.eoi');
    expect(takeEoi(m, 0)).toBe(0x5a);
    expect(remoteIrr(m, 10)).toBe(0);
    expect(acc(m)).toBe(1);
    expect(m.counters.get('exits.eoi') - c0).toBe(1);
  });

  it('X86-S15: level re-trigger', () => {
    const m = mk();
    level10(m);
    line(m, 10, 1);
    takeEoi(m, 0);
    expect(acc(m)).toBe(2);
    expect(remoteIrr(m, 10)).toBe(1);
    expect(m.ioapic.eoiCount[10]).toBe(1);
    line(m, 10, 0);
    takeEoi(m, 0);
    expect(acc(m)).toBe(2);
    expect(m.ioapic.eoiCount[10]).toBe(0);
  });

  it('X86-S16: storm guard', () => {
    const m = mk();
    level10(m);
    line(m, 10, 1);
    for (let i = 1; i < IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT; i++) {
      takeEoi(m, 0);
      expect(acc(m)).toBe(i + 1);
    }
    takeEoi(m, 0); // EOI 10000
    expect(acc(m)).toBe(IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT);
    expect(m.ioapic.eoiCount[10]).toBe(0);
    expect(m.ioapic.eoiInjectPending).toBe(true);
    m.advanceTime(IOAPIC_EOI_INJECT_DELAY_NS - 1);
    expect(acc(m)).toBe(IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT);
    m.advanceTime(1);
    expect(acc(m)).toBe(IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT + 1);
    expect(m.ioapic.eoiInjectPending).toBe(false);
  });

  it('X86-S17: ack before remote-IRR clear', () => {
    const m = mk();
    level10(m);
    line(m, 10, 1);
    line(m, 10, 0);
    const during: number[] = [];
    m.vm.registerAckNotifier({ gsi: 10, onAck: () => during.push(m.vm.setIrq(2, 10, true)) });
    takeEoi(m, 0);
    expect(during).toEqual([-1]);
    expect(acc(m)).toBe(2);
    expect(remoteIrr(m, 10)).toBe(1);
  });

  it('X86-S18: two pins, one vector', () => {
    const m = mk();
    level10(m);
    program(m, 11, { vector: 0x5a, level: true });
    line(m, 10, 1);
    line(m, 11, 1);
    expect([remoteIrr(m, 10), remoteIrr(m, 11)]).toEqual([1, 1]);
    const acks: number[] = [];
    m.vm.registerAckNotifier({ gsi: 10, onAck: () => acks.push(10) });
    m.vm.registerAckNotifier({ gsi: 11, onAck: () => acks.push(11) });
    const before = acc(m);
    takeEoi(m, 0);
    expect(acks).toEqual([10, 11]);
    expect(acc(m)).toBe(before + 2); // both re-delivered (both lines still asserted)
    expect([remoteIrr(m, 10), remoteIrr(m, 11)]).toEqual([1, 1]);
  });

  it('X86-S19: masked level, unmask delivers', () => {
    const m = mk();
    program(m, 10, { vector: 0x5a, level: true, masked: true });
    expect(line(m, 10, 1)).toBe(-1);
    expect(irrBit(m, 10)).toBe(1);
    m.guest.unmask(10);
    expect(acc(m)).toBe(1);
    expect(remoteIrr(m, 10)).toBe(1);
  });

  it('X86-S20: masked level, unmask resamples', () => {
    const m = mk();
    program(m, 10, { vector: 0x5a, level: true, masked: true });
    const e = new EventFd();
    const r = new EventFd();
    m.vm.irqfds.assign({ eventfd: e, gsi: 10, resamplefd: r });
    e.signal();
    m.guest.unmask(10);
    expect(acc(m)).toBe(0);
    expect(irrBit(m, 10)).toBe(0);
    expect(r.count).toBe(1);
    expect(m.vm.lineSources(2, 10)).toEqual([1]);
  });

  it('X86-S21: masked level, line dropped before unmask', () => {
    const m = mk();
    program(m, 10, { vector: 0x5a, level: true, masked: true });
    line(m, 10, 1);
    line(m, 10, 0);
    m.guest.unmask(10);
    expect(acc(m)).toBe(0);
  });

  it('X86-S22: delivery to a disabled APIC retried', () => {
    const m = mk();
    program(m, 10, { vector: 0x5a, level: true, dest: 1 });
    disableApic(m, 1);
    expect(line(m, 10, 1)).toBe(0);
    expect(remoteIrr(m, 10)).toBe(0);
    expect(irrBit(m, 10)).toBe(1);
    enableApic(m, 1);
    ioWrite(m, 0x25, 1 << 24); // high half rewritten unchanged
    expect(acc(m, 1)).toBe(1);
    expect(inIrr(m, 1, 0x5a)).toBe(true);
    expect(remoteIrr(m, 10)).toBe(1);
  });
});

describe('X86 §9 scenarios — self-reconfiguration during delivery', () => {
  it('X86-S23: destination change in service', () => {
    const m = mk();
    program(m, 10, { vector: 0x5a, level: true, dest: 0 });
    line(m, 10, 1);
    expect(m.guest.take(0)).toBe(0x5a);
    program(m, 10, { vector: 0x5a, level: true, dest: 1 });
    expect(m.lapic(0).ioapicHandled.test(0x5a)).toBe(true); // stale, pending in ISR
    expect(m.lapic(0).highestStalePendingEoi).toBe(0x5a);
    m.guest.eoi(0, 0x5a);
    expect(inIrr(m, 1, 0x5a)).toBe(true); // re-delivered to the new destination
    expect(remoteIrr(m, 10)).toBe(1);
    expect(m.lapic(0).ioapicHandled.test(0x5a)).toBe(false); // recomputed after the EOI
  });

  it('X86-S24: vector change in service: stuck', () => {
    const m = mk();
    program(m, 10, { vector: 0x5a, level: true });
    line(m, 10, 1);
    m.guest.take(0);
    program(m, 10, { vector: 0x6a, level: true });
    expect(remoteIrr(m, 10)).toBe(1);
    expect(m.lapic(0).ioapicHandled.test(0x5a)).toBe(false);
    const eoiEvents: number[] = [];
    m.trace.subscribe((e) => e.type === 'x86.ioapic-eoi' && eoiEvents.push(e.vector));
    m.guest.eoi(0, 0x5a);
    expect(eoiEvents).toEqual([]);
    expect(remoteIrr(m, 10)).toBe(1);
    expect(line(m, 10, 1)).toBe(-1);
    ioWrite(m, 0x24, rteLo({ vector: 0x6a })); // edge: remote IRR 0
    expect(remoteIrr(m, 10)).toBe(0);
    ioWrite(m, 0x24, rteLo({ vector: 0x6a, level: true })); // level again, line high
    expect(inIrr(m, 0, 0x6a)).toBe(true);
  });

  it('X86-S25: mask in service', () => {
    const m = mk();
    program(m, 10, { vector: 0x5a, level: true });
    line(m, 10, 1);
    m.guest.take(0);
    m.guest.mask(10);
    m.guest.eoi(0, 0x5a);
    expect(remoteIrr(m, 10)).toBe(0);
    expect(acc(m)).toBe(1);
    expect(m.ioapic.eoiCount[10]).toBe(0);
    m.guest.unmask(10);
    expect(acc(m)).toBe(2);
  });
});
