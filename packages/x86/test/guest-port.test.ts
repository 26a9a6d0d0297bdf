import { EventFd, IrqError } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { createX86Machine, decodeRte } from '../src/index.js';
import { apicWrite, inIrr, mk, program } from './helpers.js';

const rte = (m: ReturnType<typeof mk>, pin: number) =>
  decodeRte(m.ioapic.lo[pin]!, m.ioapic.hi[pin]!);

describe('X86 §8 GuestPort mapping', () => {
  it('X86-8.1: configure programs pin = gsi: fixed, physical, target APIC ID, trigger, mask unchanged', () => {
    const m = mk();
    apicWrite(m, 2, 0x20, 0x09000000); // vCPU 2's xAPIC ID is 9
    m.guest.configure(7, { trigger: 'level', target: 2, priority: 0 });
    expect(rte(m, 7)).toMatchObject({
      deliveryMode: 0,
      destMode: 0,
      dest: 9,
      trigger: 1,
      masked: true,
      vector: 0x20,
    });
    m.guest.unmask(7);
    m.guest.configure(7, { trigger: 'edge', target: 1, priority: 0 });
    expect(rte(m, 7)).toMatchObject({ dest: 1, trigger: 0, masked: false, vector: 0x20 }); // class unchanged
  });

  it('X86-8.1: vectors: class 2 + priority, lowest free, next class up when full, never shared', () => {
    const m = mk();
    const vec = (gsi: number, priority: number) => {
      m.guest.configure(gsi, { trigger: 'edge', target: 0, priority });
      return m.guest.vectorOf(gsi);
    };
    expect(vec(0, 11)).toBe(0xd0);
    expect(vec(1, 11)).toBe(0xd1);
    for (let g = 2; g < 16; g++) vec(g, 11);
    expect(m.guest.vectorOf(15)).toBe(0xdf);
    expect(vec(16, 11)).toBe(0xe0); // class 0xD full: next class
    expect(vec(1, 0)).toBe(0x20); // class changed: new vector, 0xD1 freed
    expect(vec(17, 11)).toBe(0xd1);
    const all = Array.from({ length: 18 }, (_, g) => m.guest.vectorOf(g));
    expect(new Set(all).size).toBe(18);
    // A machine whose classes 0xD and 0xE are full has no vector for priority 11.
    const f = mk();
    for (let g = 0; g < 24; g++) f.guest.configureMsi(100 + g, { target: 0, priority: 11 });
    for (let g = 24; g < 32; g++) f.guest.configureMsi(100 + g, { target: 0, priority: 11 });
    expect(() => f.guest.configureMsi(200, { target: 0, priority: 11 })).toThrow(IrqError);
  });

  it('X86-8.1: configure and configureMsi enable the target’s APIC as a booted guest has', () => {
    const m = createX86Machine({ vcpus: 2 });
    expect(m.lapic(1).enabled).toBe(false);
    m.guest.configure(3, { trigger: 'edge', target: 1, priority: 2 });
    expect(m.lapic(1).enabled).toBe(true);
    m.guest.configureMsi(40, { target: 0, priority: 2 });
    expect(m.lapic(0).enabled).toBe(true);
    const e = new EventFd();
    m.vm.irqfds.assign({ eventfd: e, gsi: 40 });
    e.signal();
    expect(m.guest.take(0)).toBe(m.guest.vectorOf(40));
  });

  it('X86-8.2: mask/unmask rewrite the low half; take acknowledges the highest deliverable; eoi writes the EOI register', () => {
    const m = mk();
    m.guest.configure(10, { trigger: 'level', target: 0, priority: 4 });
    m.vm.setIrq(0, 10, true);
    expect(inIrr(m, 0, 0x60)).toBe(false); // still masked
    m.guest.unmask(10); // X86-2.7: latched request delivered
    expect(m.guest.take(0)).toBe(0x60);
    expect(m.guest.take(0)).toBeNull();
    m.guest.mask(10);
    expect(rte(m, 10).masked).toBe(true);
    m.guest.eoi(0, 0x60);
    expect(m.lapic(0).isr.isEmpty()).toBe(true);
    // A posted vCPU syncs PIR before take.
    const p = mk({ apicv: true });
    p.setRunState(0, 'host');
    p.vm.signalMsi({ addressLo: 0xfee00000, addressHi: 0, data: 0x41 });
    expect(p.pid(0).on).toBe(true);
    expect(p.guest.take(0)).toBe(0x41);
  });

  it('X86-8.2: on a split machine configure programs the userspace IOAPIC', () => {
    const m = mk({ irqchip: 'split' });
    m.guest.configure(5, { trigger: 'edge', target: 3, priority: 1 });
    m.guest.unmask(5);
    expect(rte(m, 5)).toMatchObject({ dest: 3, vector: 0x30, masked: false });
    m.ioapic.setLevel(5, true);
    expect(m.guest.take(3)).toBe(0x30);
    program(m, 6, { vector: 0x66 });
    expect(m.vm.entriesFor(6)).toHaveLength(1);
  });
});
