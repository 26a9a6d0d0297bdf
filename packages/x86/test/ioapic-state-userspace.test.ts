import { EventFd } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { IOAPIC_DEFAULT_BASE as B, IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT } from '../src/index.js';
import {
  inIrr,
  ioRead,
  ioWrite,
  irrBit,
  line,
  mk,
  program,
  rawMsiRoute,
  remoteIrr,
  takeEoi,
} from './helpers.js';

const acc = (m: ReturnType<typeof mk>, v = 0) => m.vcpu(v).acceptCount;

describe('X86 §2.7 RTC pin', () => {
  it('X86-2.16: with lineStatus, pin 8 reports coalesced until every receiving vCPU EOIs its vector', () => {
    const m = mk();
    program(m, 8, { vector: 0x38 }); // edge, like the RTC
    expect(m.lapic(0).ioapicHandled.test(0x38)).toBe(true); // pin 8 is always intercepted
    expect(m.vm.irqLine({ gsi: 8, level: 1 }, { withStatus: true }).status).toBe(1);
    m.vm.irqLine({ gsi: 8, level: 0 });
    const irrBefore = m.ioapic.irr;
    expect(m.vm.irqLine({ gsi: 8, level: 1 }, { withStatus: true }).status).toBe(0);
    expect(m.ioapic.irr).toBe(irrBefore); // IRR unchanged, even for an edge entry
    expect(acc(m)).toBe(1);
    m.vm.irqLine({ gsi: 8, level: 0 });
    // Without lineStatus pin 8 is ordinary.
    expect(m.vm.irqLine({ gsi: 8, level: 1 }).status).toBe(1);
    m.vm.irqLine({ gsi: 8, level: 0 });
    takeEoi(m, 0);
    expect(m.ioapic.rtc.pendingEoi).toBe(0);
    expect(m.vm.irqLine({ gsi: 8, level: 1 }, { withStatus: true }).status).toBe(1);
  });
});

describe('X86 §2.8 save, restore, reset', () => {
  it('X86-2.17: getState hides delivered edges; setState clears IRR, rescans and re-asserts the saved IRR', () => {
    const m = mk();
    program(m, 5, { vector: 0x35 });
    program(m, 6, { vector: 0x36, masked: true });
    line(m, 5, 1);
    line(m, 6, 1);
    const s = m.getIoapicState();
    expect(s.irr & (1 << 5)).toBe(0);
    expect(s.irr & (1 << 6)).toBe(1 << 6); // masked edge: latched, not delivered
    expect(s.redirtbl[5]).toBe(0x35n);
    expect(s.baseAddress).toBe(B);
    const n = mk();
    n.setIoapicState({ ...s, irr: s.irr | (1 << 5) });
    expect(acc(n)).toBe(1); // pin 5 unmasked edge delivers again; pin 6 masked only latches
    expect(irrBit(n, 6)).toBe(1);
    expect(n.getIoapicState().redirtbl).toEqual(s.redirtbl);
  });

  it('X86-2.18: reset masks every entry (keeping the rest), clears IOREGSEL, IRR, id and storm state', () => {
    const m = mk();
    program(m, 10, { vector: 0x5a, level: true, dest: 1 });
    ioWrite(m, 0, 0x05000000);
    line(m, 10, 1);
    for (let i = 0; i < IOAPIC_SUCCESSIVE_IRQ_MAX_COUNT; i++) takeEoi(m, 1);
    expect(m.ioapic.eoiInjectPending).toBe(true);
    m.resetIoapic();
    expect(m.ioapic.lo[10]).toBe(0x1805a); // masked; vector, trigger kept (remote IRR was cleared by EOI 10000)
    expect(m.ioapic.hi[10]).toBe(1 << 24);
    expect([m.ioapic.ioregsel, m.ioapic.irr, m.ioapic.irrDelivered, m.ioapic.ioapicId]).toEqual([
      0, 0, 0, 0,
    ]);
    expect(m.ioapic.eoiInjectPending).toBe(false);
    expect(Array.from(m.ioapic.eoiCount).every((c) => c === 0)).toBe(true);
    const before = acc(m, 1);
    m.advanceTime(20_000_000);
    expect(acc(m, 1)).toBe(before);
  });
});

describe('X86 §2.9 userspace IOAPIC variants', () => {
  it('X86-2.19: QEMU: level latches behind remote IRR; a write re-services; EOI resamples first; storm guard', () => {
    const q = mk({ irqchip: 'split', vcpus: 1 });
    program(q, 10, { vector: 0x5a, level: true, masked: true });
    q.ioapic.setLevel(10, true);
    expect(irrBit(q, 10)).toBe(1);
    program(q, 10, { vector: 0x5a, level: true }); // unmask: delivered, no resampler shortcut
    expect(acc(q)).toBe(1);
    q.ioapic.setLevel(10, true); // behind remote IRR: latched
    expect(acc(q)).toBe(1);
    const order: string[] = [];
    q.ioapic.resampleFds[10]!.push({
      signal: () => order.push(`resample remoteIrr=${remoteIrr(q, 10)}`),
    });
    takeEoi(q, 0);
    expect(order).toEqual(['resample remoteIrr=1']);
    expect(acc(q)).toBe(2); // re-serviced: line still high
    expect(q.ioapic.eoiCount[10]).toBe(1);
    program(q, 10, { vector: 0x5a, level: true }); // any write resets the storm counter
    expect(q.ioapic.eoiCount[10]).toBe(0);
    // 'kvm' edge mode follows §2.5: rising-edge detection.
    const k = mk({ irqchip: 'split', vcpus: 1, userspaceIoapicEdge: 'kvm' });
    program(k, 5, { vector: 0x35 });
    expect(k.ioapic.setLevel(5, true)).toBe(1);
    expect(k.ioapic.setLevel(5, true)).toBe(0);
  });

  it('X86-2.20: the userspace IOAPIC delivers its entry as an MSI through the pin’s route', () => {
    const q = mk({ irqchip: 'split' });
    program(q, 7, { vector: 0x47, level: true, dest: 2, logical: false, mode: 0 });
    expect(q.vm.entriesFor(7)).toEqual([
      rawMsiRoute(7, { addressLo: 0xfee02000, addressHi: 0, data: 0x8047 }),
    ]);
    const { events, stop } = q.trace.record();
    q.ioapic.setLevel(7, true);
    stop();
    expect(
      events.filter((e) => e.type === 'inject').map((e) => (e as { gsi: number }).gsi),
    ).toEqual([7]);
    expect(inIrr(q, 2, 0x47)).toBe(true);
    expect(q.lapic(2).tmr.test(0x47)).toBe(true); // level MSI
    expect(q.lapic(2).ioapicHandled.test(0x47)).toBe(true);
    // A masked pin keeps its previous route (QEMU updates unmasked pins only).
    program(q, 7, { vector: 0x48, level: true, dest: 2, masked: true });
    expect((q.vm.entriesFor(7)[0] as unknown as { data: number }).data).toBe(0x8047);
  });

  it('X86-2.21: VMM flavours: ID keeps bits 27:24; version 0x20 (QEMU/crosvm) or 0x11 (cloud-hypervisor, no EOI register)', () => {
    const q = mk({ irqchip: 'split' });
    ioWrite(q, 0, 0xffffffff);
    expect(ioRead(q, 0)).toBe(0x0f000000);
    expect(ioRead(q, 1) & 0xff).toBe(0x20);
    const ch = mk({ irqchip: 'split', ioapicVersion: 0x11, vcpus: 1 });
    program(ch, 3, { vector: 0x33, level: true });
    ch.ioapic.setLevel(3, true);
    ch.ioapic.setLevel(3, false);
    ch.mmioWrite(0, B + 0x40, 0x33, 4); // no EOI register on 0x11
    expect(remoteIrr(ch, 3)).toBe(1);
    takeEoi(ch, 0); // KVM_EXIT_IOAPIC_EOI does it
    expect(remoteIrr(ch, 3)).toBe(0);
  });
});

describe('X86 §9 scenarios — state', () => {
  it('X86-S53: save hides delivered edges', () => {
    const m = mk();
    program(m, 5, { vector: 0x35 });
    program(m, 10, { vector: 0x5a, level: true });
    line(m, 5, 1);
    line(m, 10, 1);
    const s = m.getIoapicState();
    expect((s.irr >>> 10) & 1).toBe(1);
    expect((s.irr >>> 5) & 1).toBe(0);
    const n = mk();
    n.setIoapicState(s);
    expect(acc(n)).toBe(0); // pin 10 has remote IRR 1: latched only
    expect(irrBit(n, 10)).toBe(1);
    expect(remoteIrr(n, 10)).toBe(1);
  });

  it('X86-S54: restore re-injects a pending edge', () => {
    const m = mk();
    const s = m.getIoapicState();
    const redirtbl = [...s.redirtbl];
    redirtbl[6] = 0x36n; // edge, unmasked, vector 0x36
    m.setIoapicState({ ...s, redirtbl, irr: 1 << 6 });
    expect(acc(m)).toBe(1);
    expect(inIrr(m, 0, 0x36)).toBe(true);
  });

  it('X86-S54: a crafted state with a resampling irqfd present still re-asserts through the pin only', () => {
    const m = mk();
    const e = new EventFd();
    const r = new EventFd();
    m.vm.irqfds.assign({ eventfd: e, gsi: 6, resamplefd: r });
    const s = m.getIoapicState();
    const redirtbl = [...s.redirtbl];
    redirtbl[6] = 0x36n;
    m.setIoapicState({ ...s, redirtbl, irr: 1 << 6 });
    expect(acc(m)).toBe(1);
    expect(m.vm.lineSources(2, 6)).toEqual([]); // source bitmaps are not part of the state
    expect(r.count).toBe(0);
  });
});
