import { describe, expect, it } from 'vitest';
import {
  IOAPIC_DEFAULT_BASE as B,
  createX86Machine,
  decodeIoregsel,
  decodeRte,
  ioapicMmioRead,
  readIndirect,
} from '../src/index.js';
import { inIrr, ioRead, ioWrite, line, lo, mk, program, remoteIrr, takeEoi } from './helpers.js';

describe('X86 §2.1–2.4 IOAPIC registers', () => {
  it('X86-2.1: offsets are taken mod 0x100; read lengths 1/2/4/8 return the low bytes / zero-extended value', () => {
    const m = mk();
    program(m, 3, { vector: 0x31, dest: 0xab });
    m.mmioWrite(0, B + 0x100, 0x18, 4); // outside the window: not the IOAPIC's
    expect(m.ioapic.ioregsel).toBe(0x16);
    m.mmioWrite(0, B, 0x17, 4);
    expect(m.ioapic.ioregsel).toBe(0x17);
    expect(ioapicMmioRead(m.ioapic, 0x3fec00000 + 0x300, 4)).toBe(0x17); // device view: low byte decodes
    expect(m.mmioRead(0, B + 0x10, 4)).toBe(0xab000000);
    expect(m.mmioRead(0, B + 0x10, 8)).toBe(0xab000000);
    expect(m.mmioRead(0, B + 0x10, 2)).toBe(0);
    m.mmioWrite(0, B, 0x16, 4);
    expect(m.mmioRead(0, B + 0x10, 1)).toBe(0x31);
    expect(m.mmioRead(0, B + 0x10, 2)).toBe(0x31);
    expect(m.mmioRead(0, B + 0x20, 4)).toBe(0); // no register
    expect(m.mmioRead(0, B + 0x10, 3)).toBe(0); // other length
  });

  it('X86-2.1: writes of length 8 use the low 32 bits, 2 and 1 are zero-extended, others are ignored', () => {
    const m = mk();
    m.mmioWrite(0, B, 0x17, 4);
    m.mmioWrite(0, B + 0x10, 0x1_2200_0000n + 0x11n, 8);
    expect(m.ioapic.hi[3]).toBe(0x22000011);
    m.mmioWrite(0, B + 0x10, 0xabcd1234, 2);
    expect(m.ioapic.hi[3]).toBe(0x1234);
    m.mmioWrite(0, B + 0x10, 0x99, 3); // ignored
    expect(m.ioapic.hi[3]).toBe(0x1234);
    m.mmioWrite(0, B + 0x20, 0x99, 4); // no register: ignored
    expect(m.ioapic.hi[3]).toBe(0x1234);
  });

  it('X86-2.2: IOREGSEL stores value & 0xFF and resets to 0; the indirect register map', () => {
    const m = mk();
    expect(m.mmioRead(0, B, 4)).toBe(0);
    m.mmioWrite(0, B, 0x1234, 4);
    expect(m.mmioRead(0, B, 4)).toBe(0x34);
    expect(decodeIoregsel(0x00)).toEqual({ kind: 'id' });
    expect(decodeIoregsel(0x01)).toEqual({ kind: 'version' });
    expect(decodeIoregsel(0x02)).toEqual({ kind: 'arbitration' });
    expect(decodeIoregsel(0x13)).toEqual({ kind: 'redir', pin: 1, high: true });
    expect(decodeIoregsel(0x0f)).toEqual({ kind: 'none' });
    expect(decodeIoregsel(0x40)).toEqual({ kind: 'none' });
    for (const sel of [0x03, 0x0f, 0x40, 0xff]) expect(ioRead(m, sel)).toBe(0xffffffff);
    m.resetIoapic();
    expect(m.ioapic.ioregsel).toBe(0);
  });

  it('X86-2.3: version 0x11 (KVM) vs 0x20 (with the EOI register) differ only in the version and 0x40', () => {
    const full = mk();
    const split = createX86Machine({ irqchip: 'split' });
    expect(ioRead(full, 0x01)).toBe(0x00170011);
    expect(ioRead(split, 0x01)).toBe(0x00170020);
    ioWrite(full, 0x01, 0);
    expect(ioRead(full, 0x01)).toBe(0x00170011);
  });

  it('X86-2.4: a half write keeps remote IRR and delivery status; reserved bits read back as written', () => {
    const m = mk();
    program(m, 3, { vector: 0x31, level: true });
    line(m, 3, 1);
    expect(remoteIrr(m, 3)).toBe(1);
    ioWrite(m, 0x16, 0x0000d031);
    expect(lo(m, 3)).toBe(0x0000c031);
    ioWrite(m, 0x16, 0x0ffe9031); // reserved bits 31:17 stored, bit 12 dropped, bit 14 kept
    expect(lo(m, 3)).toBe(0x0ffec031);
    ioWrite(m, 0x17, 0x00ffffff);
    expect(ioRead(m, 0x17)).toBe(0x00ffffff);
    const f = decodeRte(m.ioapic.lo[3]!, m.ioapic.hi[3]!);
    expect(f.deliveryStatus).toBe(0);
    expect(f.remoteIrr).toBe(1);
    expect(f.reserved).toBeGreaterThan(0n);
  });

  it('X86-2.5: writing edge forces remote IRR to 0', () => {
    const m = mk();
    program(m, 3, { vector: 0x31, level: true });
    line(m, 3, 1);
    expect(remoteIrr(m, 3)).toBe(1);
    ioWrite(m, 0x16, 0x31); // edge
    expect(remoteIrr(m, 3)).toBe(0);
  });

  it('X86-2.6: mask notifiers of the pin’s GSI hear mask changes only', () => {
    const m = mk();
    const heard: boolean[] = [];
    const off = m.ioapic.registerMaskNotifier(7, (masked) => heard.push(masked));
    program(m, 7, { vector: 0x37, masked: true }); // already masked at reset: no change
    program(m, 7, { vector: 0x37 });
    program(m, 7, { vector: 0x38 });
    program(m, 7, { vector: 0x38, masked: true });
    expect(heard).toEqual([false, true]);
    off();
    program(m, 7, { vector: 0x38 });
    expect(heard).toEqual([false, true]);
  });

  it('X86-2.8: after a write the EOI-interception sets follow old and new destinations', () => {
    const m = mk();
    program(m, 10, { vector: 0x5a, level: true, dest: 1 });
    expect(m.lapic(1).ioapicHandled.test(0x5a)).toBe(true);
    expect(m.lapic(2).ioapicHandled.test(0x5a)).toBe(false);
    program(m, 10, { vector: 0x5a, level: true, dest: 2 });
    expect(m.lapic(1).ioapicHandled.test(0x5a)).toBe(false);
    expect(m.lapic(2).ioapicHandled.test(0x5a)).toBe(true);
    // Non-fixed entries rescan every vCPU.
    program(m, 10, { vector: 0x5a, level: true, dest: 3, mode: 1 });
    expect(m.lapic(2).ioapicHandled.test(0x5a)).toBe(false);
    expect(m.lapic(3).ioapicHandled.test(0x5a)).toBe(true);
  });
});

describe('X86 §9 scenarios — IOAPIC registers', () => {
  it('X86-S1: reset and version', () => {
    const m = mk();
    for (let pin = 0; pin < 24; pin++) {
      expect(ioRead(m, 0x10 + 2 * pin)).toBe(0x00010000);
      expect(ioRead(m, 0x11 + 2 * pin)).toBe(0);
    }
    m.mmioWrite(0, B, 0, 4);
    expect(m.mmioRead(0, B, 4)).toBe(0);
    expect(ioRead(m, 1)).toBe(0x00170011);
    expect(ioRead(createX86Machine({ irqchip: 'split' }), 1)).toBe(0x00170020);
  });

  it('X86-S2: ID and arbitration', () => {
    const m = mk();
    ioWrite(m, 0, 0xab000000);
    expect(ioRead(m, 0)).toBe(0x0b000000);
    expect(ioRead(m, 2)).toBe(0x0b000000);
    ioWrite(m, 1, 0x12345678);
    ioWrite(m, 2, 0x0f000000);
    expect(ioRead(m, 0)).toBe(0x0b000000);
    expect(ioRead(m, 1)).toBe(0x00170011);
  });

  it('X86-S3: IOREGSEL width, out of range', () => {
    const m = mk();
    m.mmioWrite(0, B, 0x1234, 4);
    expect(m.mmioRead(0, B, 4)).toBe(0x34);
    m.mmioWrite(0, B, 0x40, 4);
    expect(m.mmioRead(0, B + 0x10, 4)).toBe(0xffffffff);
    const before = [Array.from(m.ioapic.lo), Array.from(m.ioapic.hi)];
    m.mmioWrite(0, B + 0x10, 0x12345678, 4);
    expect([Array.from(m.ioapic.lo), Array.from(m.ioapic.hi)]).toEqual(before);
    expect(readIndirect(m.ioapic)).toBe(0xffffffff);
  });

  it('X86-S4: read-only bits', () => {
    const m = mk();
    program(m, 3, { vector: 0x31, level: true });
    line(m, 3, 1);
    ioWrite(m, 0x16, 0x0000d031);
    expect(lo(m, 3)).toBe(0x0000c031);
    program(m, 4, { vector: 0x31, masked: true });
    ioWrite(m, 0x18, 0x00005031);
    expect(lo(m, 4)).toBe(0x00000031);
  });

  it('X86-S5: edge clears remote IRR', () => {
    const m = mk();
    program(m, 3, { vector: 0x31, level: true });
    line(m, 3, 1);
    m.guest.take(0);
    expect(remoteIrr(m, 3)).toBe(1);
    ioWrite(m, 0x16, 0x31);
    expect(remoteIrr(m, 3)).toBe(0);
    const before = m.vcpu(0).acceptCount;
    ioWrite(m, 0x16, 0x8031); // level again: line still asserted, unmasked → delivered in the write
    expect(m.vcpu(0).acceptCount).toBe(before + 1);
    expect(remoteIrr(m, 3)).toBe(1);
    expect(inIrr(m, 0, 0x31)).toBe(true);
  });

  it('X86-S6: narrow IOWIN write', () => {
    const m = mk();
    ioWrite(m, 0x16, 0x0000a031);
    m.mmioWrite(0, B, 0x16, 4);
    m.mmioWrite(0, B + 0x10, 0x55, 1);
    expect(lo(m, 3)).toBe(0x00000055);
    expect(decodeRte(m.ioapic.lo[3]!, 0).trigger).toBe(0);
  });

  it('X86-S7: EOI register versions', () => {
    const m = mk();
    program(m, 3, { vector: 0x31, level: true });
    line(m, 3, 1);
    m.mmioWrite(0, B + 0x40, 0x31, 4);
    expect(remoteIrr(m, 3)).toBe(1);
    const s = createX86Machine({ irqchip: 'split', vcpus: 1 });
    s.enableApics();
    program(s, 3, { vector: 0x31, level: true });
    s.ioapic.setLevel(3, true);
    expect(remoteIrr(s, 3)).toBe(1);
    expect(takeEoi(s, 0)).toBe(0x31); // the EOI exit re-delivers (line high)
    expect(remoteIrr(s, 3)).toBe(1);
    const before = s.vcpu(0).acceptCount;
    s.mmioWrite(0, B + 0x40, 0x31, 1); // 1-byte: nothing
    expect(remoteIrr(s, 3)).toBe(1);
    expect(s.vcpu(0).acceptCount).toBe(before);
    s.mmioWrite(0, B + 0x40, 0x31, 4); // clears remote IRR and re-delivers (still asserted)
    expect(s.vcpu(0).acceptCount).toBe(before + 1);
    expect(remoteIrr(s, 3)).toBe(1);
    s.ioapic.setLevel(3, false);
    s.mmioWrite(0, B + 0x40, 0x31, 4);
    expect(remoteIrr(s, 3)).toBe(0);
    expect(s.vcpu(0).acceptCount).toBe(before + 1);
  });

  it('X86-S8: polarity ignored', () => {
    const m = mk();
    program(m, 4, { vector: 0x34, level: true, polarity: 1 });
    expect(line(m, 4, 1)).toBe(1);
    expect(inIrr(m, 0, 0x34)).toBe(true);
    expect(line(m, 4, 0)).toBe(1);
    expect((m.ioapic.irr >>> 4) & 1).toBe(0);
  });
});
