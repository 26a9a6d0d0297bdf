import { EventFd, Host, TestScheduler } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { APIC_DEFAULT_BASE as A, createX86Machine, type X86Machine } from '../src/index.js';
import { apicWrite, chipRoute } from './helpers.js';

/** A full machine with the PIC, initialised as Linux/BIOS do: master base 0x20, slave 0x28. */
function picMachine(vcpus = 2, sched?: TestScheduler): X86Machine {
  const m = createX86Machine({
    vcpus,
    ...(sched === undefined ? {} : { host: new Host({ scheduler: sched }) }),
  });
  m.enableApics();
  const out = (port: number, v: number) => m.pioWrite(0, port, v);
  out(0x20, 0x11); // ICW1: edge, cascade, ICW4 follows
  out(0x21, 0x20); // ICW2: vector base
  out(0x21, 0x04); // ICW3: slave on IR2
  out(0x21, 0x01); // ICW4: 8086 mode
  out(0xa0, 0x11);
  out(0xa1, 0x28);
  out(0xa1, 0x02);
  out(0xa1, 0x01);
  out(0x21, 0x00); // unmask everything on the master
  out(0xa1, 0x00);
  return m;
}

/** LVT0 = ExtINT, unmasked: vCPU 0 takes PIC interrupts (virtual-wire mode). */
const extint = (m: X86Machine) => apicWrite(m, 0, 0x350, 0x700);

describe('X86 §3 PIC (8259A pair)', () => {
  it('X86-3.1: the ICW sequence, IMR, OCW3 register reads, ELCR masks, byte-only ports', () => {
    const m = picMachine();
    const pic = m.pic!;
    expect([pic.pics[0].irqBase, pic.pics[1].irqBase, pic.pics[0].initState]).toEqual([
      0x20, 0x28, 0,
    ]);
    m.pioWrite(0, 0x21, 0xfb);
    expect(m.pioRead(0, 0x21)).toBe(0xfb);
    m.pioWrite(0, 0x21, 0x00);
    m.pioWrite(0, 0x4d0, 0xff);
    m.pioWrite(0, 0x4d1, 0xff);
    expect([m.pioRead(0, 0x4d0), m.pioRead(0, 0x4d1)]).toEqual([0xf8, 0xde]);
    m.pioWrite(0, 0x4d0, 0);
    m.pioWrite(0, 0x4d1, 0);
    m.vm.setIrq(0, 3, true);
    m.pioWrite(0, 0x20, 0x0a); // OCW3: read IRR
    expect(m.pioRead(0, 0x20)).toBe(1 << 3);
    m.pioWrite(0, 0x20, 0x0b); // OCW3: read ISR
    expect(m.pioRead(0, 0x20)).toBe(0);
    m.pioWrite(0, 0x21, 0x12, 2); // non-byte writes are ignored
    expect(m.pioRead(0, 0x21)).toBe(0);
    expect(m.pioRead(0, 0x21, 2)).toBe(0);
    expect(m.pioRead(0, 0x60)).toBe(0xff); // not the PIC's
    expect(m.counters.get('exits.pio')).toBeGreaterThan(10);
    // IMR changes reach the mask notifiers of the pin's GSI.
    const heard: boolean[] = [];
    m.ioapic.registerMaskNotifier(4, (masked) => heard.push(masked));
    m.pioWrite(0, 0x21, 1 << 4);
    m.pioWrite(0, 0x21, 0);
    expect(heard).toEqual([true, false]);
  });

  it('X86-3.1: OCW3 poll acknowledges the highest request; OCW2 rotation moves priorities', () => {
    const m = picMachine();
    m.pic!.setIrq(5, true);
    m.pic!.setIrq(3, true);
    m.pioWrite(0, 0x20, 0x0c); // poll
    expect(m.pioRead(0, 0x20)).toBe(3); // IRQ 3 beats 5
    expect(m.pic!.pics[0].isr).toBe(0); // poll is an INTA plus EOI
    m.pioWrite(0, 0x20, 0xc0 | 4); // set priority: IRQ 4 lowest, so 5 is highest
    m.pic!.setIrq(3, false);
    m.pic!.setIrq(3, true);
    m.pioWrite(0, 0x20, 0x0c);
    expect(m.pioRead(0, 0x20)).toBe(5);
    m.pioWrite(0, 0x20, 0x0c);
    expect(m.pioRead(0, 0x20)).toBe(3);
    m.pioWrite(0, 0x20, 0x0c);
    expect(m.pioRead(0, 0x20)).toBe(7); // nothing pending
  });

  it('X86-3.2: edge pins latch on 0 → 1 only; level pins follow the line; IMR reports −1 but still latches', () => {
    const m = picMachine();
    const pic = m.pic!;
    expect(pic.setIrq(4, true)).toBe(1);
    // No edge: IRR unchanged. KVM's pic_set_irq1 still reports 1 here (its `ret` stays 1
    // unless a rising edge finds IRR already set) — the spec text says 0; the model follows KVM.
    expect(pic.setIrq(4, true)).toBe(1);
    pic.setIrq(4, false);
    expect(pic.setIrq(4, true)).toBe(0); // a rising edge while IRR is still set: coalesced
    pic.setIrq(4, false);
    expect(pic.pics[0].irr & (1 << 4)).toBe(1 << 4); // edge IRR stays until INTA
    m.pioWrite(0, 0x4d0, 1 << 5); // pin 5 level
    expect(pic.setIrq(5, true)).toBe(1);
    expect(pic.setIrq(5, true)).toBe(0);
    pic.setIrq(5, false);
    expect(pic.pics[0].irr & (1 << 5)).toBe(0);
    m.pioWrite(0, 0x21, 1 << 6);
    expect(pic.setIrq(6, true)).toBe(-1);
    expect(pic.pics[0].irr & (1 << 6)).toBe(1 << 6);
  });

  it('X86-3.2a: the output reaches vCPU 0 through LINT0 ExtINT (or a hardware-disabled APIC); INTA returns base + irq', () => {
    const m = picMachine();
    m.vm.setIrq(0, 3, true);
    m.vm.setIrq(0, 3, false);
    expect(m.pic!.output).toBe(true);
    expect(m.guest.take(0)).toBeNull(); // LVT0 masked: the PIC's output goes nowhere
    extint(m);
    m.vm.setIrq(0, 12, true); // slave IRQ 12 (through master IR2): higher priority than 3
    m.vm.setIrq(0, 12, false);
    expect(m.guest.take(0)).toBe(0x28 + 4);
    expect(m.pic!.pics[1].isr).toBe(1 << 4);
    expect(m.pic!.pics[0].isr).toBe(1 << 2);
    expect(m.guest.take(0)).toBeNull(); // IRQ 3 is below the in-service IR2
    m.guest.eoi(0, 0x2c);
    expect(m.guest.take(0)).toBe(0x23);
    expect(m.pic!.pics[0].irr & (1 << 3)).toBe(0); // edge IRR consumed by INTA
    // A rising output kicks the vCPU that accepts PIC interrupts (pic_unlock's wakeup).
    const k = picMachine();
    extint(k);
    k.vm.setIrq(0, 6, true);
    expect(k.vcpuCounters(0).get('exits.kick')).toBe(1);
    expect(m.pic!.readIrq()).toEqual([0x27, 7]); // spurious IRQ 7
    // A hardware-disabled APIC accepts PIC interrupts too (KVM's virtual wire).
    const d = picMachine();
    expect(d.setApicBase(1, A)).toBe(true);
    d.vm.setIrq(0, 4, true);
    expect(d.guest.take(1)).toBe(0x24);
  });

  it('X86-3.3: non-specific, specific and automatic EOIs clear ISR and notify the ack notifiers', () => {
    const m = picMachine();
    extint(m);
    m.vm.setGsiRouting([chipRoute(5, 0, 5), chipRoute(11, 1, 3)]);
    const acks: number[] = [];
    m.vm.registerAckNotifier({ gsi: 5, onAck: () => acks.push(5) });
    m.vm.registerAckNotifier({ gsi: 11, onAck: () => acks.push(11) });
    m.vm.setIrq(0, 5, true);
    expect(m.guest.take(0)).toBe(0x25);
    m.guest.eoi(0, 0x25); // OCW2 non-specific EOI
    expect(acks).toEqual([5]);
    expect(m.pic!.pics[0].isr).toBe(0);
    m.vm.setIrq(0, 11, true);
    expect(m.guest.take(0)).toBe(0x2b);
    m.pioWrite(0, 0xa0, 0x60 | 3); // specific EOI of slave IRQ 3 (GSI 11)
    m.pioWrite(0, 0x20, 0x60 | 2); // specific EOI of the cascade
    expect(acks).toEqual([5, 11]);
    // Auto-EOI: ICW4 bit 1.
    m.pioWrite(0, 0x20, 0x11);
    m.pioWrite(0, 0x21, 0x20);
    m.pioWrite(0, 0x21, 0x04);
    m.pioWrite(0, 0x21, 0x03);
    m.vm.setIrq(0, 5, false);
    m.vm.setIrq(0, 5, true);
    expect(m.pic!.readIrq()).toEqual([0x25, 5]);
    expect(acks).toEqual([5, 11, 5]);
    expect(m.pic!.pics[0].isr).toBe(0);
  });

  it('X86-3.3: a resampling irqfd works on a PIC-routed GSI', () => {
    const sched = new TestScheduler();
    const m = picMachine(1, sched);
    extint(m);
    m.pioWrite(0, 0x4d0, 1 << 5); // level
    m.vm.setGsiRouting([chipRoute(5, 0, 5)]);
    const e = new EventFd();
    const r = new EventFd();
    m.vm.irqfds.assign({ eventfd: e, gsi: 5, resamplefd: r });
    e.signal();
    sched.run();
    expect(m.vm.lineSources(0, 5)).toEqual([1]);
    const t = m.guest.take(0)!;
    m.guest.eoi(0, t);
    expect(r.count).toBe(1);
    expect(m.vm.lineSources(0, 5)).toEqual([]);
  });

  it('X86-3.1: PIC state round-trips through KVM_GET/SET_IRQCHIP and the machine snapshot', () => {
    const m = picMachine();
    m.vm.setIrq(0, 9, true);
    const s0 = m.getPicState(0);
    const s1 = m.getPicState(1);
    expect(s1.irr).toBe(1 << 1);
    expect(s0.elcrMask).toBe(0xf8);
    const n = picMachine();
    n.setPicState(0, s0);
    n.setPicState(1, s1);
    expect(n.getPicState(1)).toEqual(s1);
    expect(() => n.setPicState(0, { ...s0, irr: 256 })).toThrow();
    expect(() => createX86Machine({ pic: false }).getPicState(0)).toThrow();
    const k = picMachine();
    k.restore(m.save());
    expect(k.save()).toEqual(m.save());
  });
});
