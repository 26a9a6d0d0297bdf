import { describe, expect, it } from 'vitest';
import {
  APIC_DEFAULT_BASE as A,
  APIC_BASE_ENABLE,
  createX86Machine,
  DM_FIXED,
  DM_INIT,
  DM_NMI,
  DM_REMRD,
  DM_SMI,
  DM_STARTUP,
  LAPIC_REGISTERS,
  lapicRegisterAt,
  lapicRegisterForMsr,
} from '../src/index.js';
import {
  apicRead,
  apicWrite,
  disableApic,
  inIrr,
  ioWrite,
  ipi,
  line,
  mk,
  program,
  takeEoi,
  toX2apic,
} from './helpers.js';

/** Offers one message to vCPU `v` directly (`__apic_accept_irq`). */
const accept = (
  m: ReturnType<typeof mk>,
  v: number,
  mode: number,
  vector: number,
  level = 1,
  trigger = 0,
) => m.vcpu(v).accept(mode, vector, level, trigger);

describe('X86 §4.1 registers and APIC states', () => {
  it('X86-4.1: after creation an APIC is present and software-disabled (SPIV 0xFF); clearing SPIV bit 8 masks every LVT', () => {
    const m = createX86Machine({ vcpus: 2 });
    expect(m.lapic(1).present).toBe(true);
    expect(m.lapic(1).spiv).toBe(0xff);
    expect(m.lapic(1).enabled).toBe(false);
    expect(accept(m, 1, DM_FIXED, 0x40)).toBe(0);
    apicWrite(m, 1, 0xf0, 0x1ff);
    apicWrite(m, 1, 0x350, 0x700); // LVT0: ExtINT, unmasked
    expect(apicRead(m, 1, 0x350)).toBe(0x700);
    apicWrite(m, 1, 0xf0, 0xff);
    expect(apicRead(m, 1, 0x350)).toBe(0x10700);
    // Hardware-disabled: not present, and the MMIO window reads all ones.
    expect(m.setApicBase(1, A)).toBe(true);
    expect(m.lapic(1).present).toBe(false);
    expect(apicRead(m, 1, 0x30)).toBe(0xffffffff);
  });

  it('X86-4.1: the register map decodes offsets and MSRs; reads and writes follow each register’s rules', () => {
    expect(lapicRegisterAt(0x0b0)?.name).toBe('EOI');
    expect(lapicRegisterAt(0x0b4)?.name).toBe('EOI');
    expect(lapicRegisterForMsr(0x830)?.name).toBe('ICR');
    expect(lapicRegisterForMsr(0x80b)?.name).toBe('EOI');
    expect(lapicRegisterForMsr(0x83f)?.name).toBe('SELF_IPI');
    expect(LAPIC_REGISTERS.length).toBeGreaterThan(30);
    const m = mk({ vcpus: 2 });
    expect(apicRead(m, 1, 0x20)).toBe(0x01000000);
    expect(apicRead(m, 1, 0x30)).toBe(0x00050014); // version 0x14, 6 LVTs, no directed EOI (full)
    apicWrite(m, 1, 0x20, 0x07abcdef);
    expect(apicRead(m, 1, 0x20)).toBe(0x07000000);
    expect(apicRead(m, 1, 0x90)).toBe(0); // APR
    apicWrite(m, 1, 0xd0, 0x12345678);
    expect(apicRead(m, 1, 0xd0)).toBe(0x12000000);
    apicWrite(m, 1, 0xe0, 0);
    expect(apicRead(m, 1, 0xe0)).toBe(0x0fffffff);
    apicWrite(m, 1, 0xf0, 0xffff); // KVM keeps SPIV bits 9:0 (bit 9 = focus disable) — not only 8:0
    expect(apicRead(m, 1, 0xf0)).toBe(0x3ff);
    apicWrite(m, 1, 0x30, 0); // read-only: ignored
    expect(apicRead(m, 1, 0x30)).toBe(0x00050014);
    expect(apicRead(m, 1, 0xb0)).toBe(0); // write-only
    expect(m.mmioRead(1, A + 0x21, 1)).toBe(0); // byte 1 of ID
    expect(m.mmioRead(1, A + 0x23, 1)).toBe(0x07);
    m.mmioWrite(1, A + 0x80, 0x50, 2); // non-32-bit writes are ignored
    expect(apicRead(m, 1, 0x80)).toBe(0);
  });
});

describe('X86 §4.2 IRR, ISR, TMR, TPR, PPR', () => {
  it('X86-4.2: PPR = TPR if TPR[7:4] ≥ ISRV[7:4], else ISRV & 0xF0', () => {
    const m = mk();
    const a = m.lapic(0);
    apicWrite(m, 0, 0x80, 0x45);
    expect(apicRead(m, 0, 0xa0)).toBe(0x45);
    a.isr.set(0x42);
    a.updatePpr();
    expect(a.ppr).toBe(0x45);
    a.isr.set(0x61);
    expect(apicRead(m, 0, 0xa0)).toBe(0x60); // recomputed on read
  });

  it('X86-4.3: only the highest IRR vector is considered, deliverable iff its class beats PPR', () => {
    const m = mk();
    apicWrite(m, 0, 0x80, 0x40);
    accept(m, 0, DM_FIXED, 0x41);
    expect(m.guest.take(0)).toBeNull(); // 0x40 is not > 0x40
    accept(m, 0, DM_FIXED, 0x51);
    accept(m, 0, DM_FIXED, 0x45);
    expect(m.guest.take(0)).toBe(0x51);
    expect(m.guest.take(0)).toBeNull(); // 0x45 is below PPR 0x50 now
  });

  it('X86-4.4: taking V moves it from IRR to ISR and recomputes PPR; TMR is untouched', () => {
    const m = mk();
    accept(m, 0, DM_FIXED, 0x66, 1, 1);
    expect(m.guest.take(0)).toBe(0x66);
    const a = m.lapic(0);
    expect([a.irr.test(0x66), a.isr.test(0x66), a.tmr.test(0x66), a.ppr]).toEqual([
      false,
      true,
      true,
      0x60,
    ]);
  });

  it('X86-4.5: TMR follows the trigger mode of the latest accepted message with that vector', () => {
    const m = mk();
    accept(m, 0, DM_FIXED, 0x66, 1, 1);
    expect(m.lapic(0).tmr.test(0x66)).toBe(true);
    accept(m, 0, DM_FIXED, 0x66, 1, 0);
    expect(m.lapic(0).tmr.test(0x66)).toBe(false);
  });

  it('X86-4.6: vectors 0..15 are accepted without an error and counted as illegal', () => {
    const m = mk();
    expect(accept(m, 0, DM_FIXED, 0x0e)).toBe(1);
    expect(m.counters.get('illegalVectors')).toBe(1);
    expect(inIrr(m, 0, 0x0e)).toBe(true);
  });
});

describe('X86 §4.3 acceptance by delivery mode', () => {
  it('X86-4.3: fixed/lowest: de-assert messages and disabled APICs return 0; coalescing is not reported', () => {
    const m = mk();
    expect(accept(m, 0, DM_FIXED, 0x41, 0, 1)).toBe(0);
    expect(accept(m, 0, DM_FIXED, 0x41)).toBe(1);
    expect(accept(m, 0, DM_FIXED, 0x41)).toBe(1);
    disableApic(m, 1);
    const before = m.lapic(1).arbPrio;
    expect(accept(m, 1, 1, 0x41)).toBe(0);
    expect(m.lapic(1).arbPrio).toBe(before + 1); // counted before the checks
  });

  it('X86-4.3: SMI, remote read, NMI, INIT, SIPI and ExtINT', () => {
    const m = mk();
    expect(accept(m, 1, DM_SMI, 0)).toBe(1);
    expect(m.vcpu(1).smiPending).toBe(true);
    expect(accept(mk({ smm: false }), 1, DM_SMI, 0)).toBe(0);
    expect(accept(m, 1, DM_REMRD, 0)).toBe(1);
    expect(m.vcpu(1).pvUnhalted).toBe(true);
    disableApic(m, 2);
    expect(accept(m, 2, DM_NMI, 0)).toBe(1);
    expect(m.vcpu(2).nmiPending).toBe(1);
    expect(accept(m, 3, DM_INIT, 0, 0, 1)).toBe(0);
    expect(accept(m, 3, DM_INIT, 0, 1, 1)).toBe(1);
    expect(accept(m, 3, DM_STARTUP, 0x10)).toBe(1);
    expect(accept(m, 3, 7, 0x20)).toBe(0);
  });

  it('X86-4.7: INIT parks an AP in wait-for-SIPI (APIC reset, ID kept); the BSP stays runnable; a late SIPI is dropped', () => {
    const m = mk();
    apicWrite(m, 1, 0x20, 0x09000000);
    accept(m, 1, DM_FIXED, 0x41);
    accept(m, 1, DM_INIT, 0, 1, 0);
    expect(m.vcpu(1).mpState).toBe('wait-for-sipi');
    expect(m.lapic(1).xapicId).toBe(9);
    expect(m.lapic(1).spiv).toBe(0xff);
    expect(inIrr(m, 1, 0x41)).toBe(false);
    expect(m.guest.take(1)).toBeNull();
    accept(m, 0, DM_INIT, 0, 1, 0);
    expect(m.vcpu(0).mpState).toBe('runnable');
    accept(m, 1, DM_STARTUP, 0x9a);
    expect(m.vcpu(1).startIp).toBe(0x9a000);
    accept(m, 1, DM_STARTUP, 0x9b);
    expect(m.vcpu(1).startIp).toBe(0x9a000);
  });
});

describe('X86 §4.6 EOI', () => {
  it('X86-4.11: ioapicHandled: level pins, pins with ack notifiers, pin 8, by destination or stale pending', () => {
    const m = mk();
    program(m, 3, { vector: 0x33, dest: 1 }); // edge, no notifier: not handled
    program(m, 4, { vector: 0x34, level: true, dest: 1 });
    program(m, 8, { vector: 0x38, dest: 2 });
    expect(m.lapic(1).ioapicHandled.test(0x33)).toBe(false);
    expect(m.lapic(1).ioapicHandled.test(0x34)).toBe(true);
    expect(m.lapic(2).ioapicHandled.test(0x38)).toBe(true);
    m.vm.registerAckNotifier({ gsi: 3, onAck: () => undefined });
    expect(m.lapic(1).ioapicHandled.test(0x33)).toBe(true);
    // Stale: vector pending on a vCPU that is no longer a destination.
    m.lapic(3).irr.set(0x34);
    program(m, 4, { vector: 0x34, level: true, dest: 3 });
    program(m, 4, { vector: 0x34, level: true, dest: 1 });
    expect(m.lapic(3).ioapicHandled.test(0x34)).toBe(true);
    expect(m.lapic(3).highestStalePendingEoi).toBe(0x34);
  });

  it('X86-4.12: EOI completes the highest ISR vector; only handled vectors leave the LAPIC', () => {
    const m = mk();
    program(m, 4, { vector: 0x34, level: true });
    line(m, 4, 1);
    line(m, 4, 0);
    const seen: number[] = [];
    m.trace.subscribe((e) => e.type === 'x86.ioapic-eoi' && seen.push(e.vector));
    expect(m.guest.take(0)).toBe(0x34);
    accept(m, 0, DM_FIXED, 0x61);
    expect(m.guest.take(0)).toBe(0x61);
    expect(m.eoi(0)).toBe(0x61);
    expect(seen).toEqual([]);
    expect(m.eoi(0)).toBe(0x34);
    expect(seen).toEqual([0x34]);
    expect(m.eoi(0)).toBe(-1);
  });

  it('X86-4.12a: PV EOI is not modelled: every EOI write without APICv traps', () => {
    const m = mk();
    accept(m, 0, DM_FIXED, 0x61);
    takeEoi(m, 0);
    expect(m.counters.get('exits.eoi')).toBe(1);
  });
});

describe('X86 §4.7 IPIs', () => {
  it('X86-4.13: xAPIC ICR uses ICR2[31:24]; x2APIC writes one 64-bit MSR; reserved bits → #GP', () => {
    const m = mk();
    ipi(m, 0, 0x4041, 2);
    expect(inIrr(m, 2, 0x41)).toBe(true);
    expect(apicRead(m, 0, 0x300)).toBe(0x4041);
    expect(apicRead(m, 0, 0x310)).toBe(0x02000000);
    toX2apic(m, 0);
    toX2apic(m, 3);
    expect(m.wrmsr(0, 0x830, (3n << 32n) | 0x42n)).toBe(true);
    expect(inIrr(m, 3, 0x42)).toBe(true);
    expect(m.rdmsr(0, 0x830)).toBe((3n << 32n) | 0x42n);
    for (const bad of [1 << 13, 1 << 16, 1 << 20, 1 << 31]) {
      expect(m.wrmsr(0, 0x830, (3n << 32n) | BigInt((0x43 | bad) >>> 0))).toBe(false);
    }
    expect(inIrr(m, 3, 0x43)).toBe(false);
  });

  it('X86-4.14: the x2APIC self-IPI MSR takes a vector only, and exists in x2APIC mode only', () => {
    const m = mk();
    expect(m.wrmsr(0, 0x83f, 0x45)).toBe(false);
    toX2apic(m, 0);
    expect(m.wrmsr(0, 0x83f, 0x45)).toBe(true);
    expect(inIrr(m, 0, 0x45)).toBe(true);
    expect(m.rdmsr(0, 0x83f)).toBeUndefined();
  });
});

describe('X86 §9 scenarios — LAPIC', () => {
  it('X86-S26: priority', () => {
    const m = mk();
    apicWrite(m, 0, 0x80, 0x40);
    accept(m, 0, DM_FIXED, 0x31);
    accept(m, 0, DM_FIXED, 0x51);
    expect(m.guest.take(0)).toBe(0x51);
    expect(m.lapic(0).ppr).toBe(0x50);
    expect(m.lapic(0).deliverable()).toBe(-1);
    m.guest.eoi(0, 0x51);
    expect(m.lapic(0).ppr).toBe(0x40);
    expect(m.lapic(0).deliverable()).toBe(-1);
    apicWrite(m, 0, 0x80, 0);
    expect(m.lapic(0).deliverable()).toBe(0x31);
  });

  it('X86-S27: PPR from TPR low nibble', () => {
    const m = mk();
    apicWrite(m, 0, 0x80, 0x45);
    m.lapic(0).isr.set(0x42);
    m.lapic(0).updatePpr();
    expect(m.lapic(0).ppr).toBe(0x45);
    accept(m, 0, DM_FIXED, 0x4f);
    expect(m.lapic(0).deliverable()).toBe(-1);
    accept(m, 0, DM_FIXED, 0x51);
    expect(m.lapic(0).deliverable()).toBe(0x51);
  });

  it('X86-S28: EOI acts on highest ISR', () => {
    const m = mk();
    accept(m, 0, DM_FIXED, 0x41);
    expect(m.guest.take(0)).toBe(0x41);
    accept(m, 0, DM_FIXED, 0x61);
    expect(m.guest.take(0)).toBe(0x61);
    m.guest.eoi(0, 0x41); // the guest "thinks" 0x41; the EOI completes 0x61
    expect(m.lapic(0).isr.test(0x61)).toBe(false);
    expect(m.lapic(0).isr.test(0x41)).toBe(true);
    m.guest.eoi(0, 0x41);
    const seen: unknown[] = [];
    m.trace.subscribe((e) => (e.type === 'eoi' || e.type === 'x86.ioapic-eoi') && seen.push(e));
    m.guest.eoi(0, 0x41); // empty ISR
    expect(seen).toEqual([]);
  });

  it('X86-S29: acceptance is not coalescing-aware', () => {
    const m = mk();
    expect(accept(m, 0, DM_FIXED, 0x41)).toBe(1);
    expect(accept(m, 0, DM_FIXED, 0x41)).toBe(1);
    expect(m.lapic(0).irr.toArray()).toEqual([0x41]);
    expect(takeEoi(m, 0)).toBe(0x41);
    expect(m.guest.take(0)).toBeNull();
  });

  it('X86-S30: disabled APIC, NMI', () => {
    const m = mk();
    disableApic(m, 2);
    expect(accept(m, 2, DM_FIXED, 0x41)).toBe(0);
    expect(accept(m, 2, DM_NMI, 0)).toBe(1);
    expect(m.vcpu(2).nmiPending).toBe(1);
  });

  it('X86-S31: INIT/SIPI', () => {
    const m = mk();
    ipi(m, 0, 0x0500, 1); // INIT, edge
    expect(m.vcpu(1).mpState).toBe('wait-for-sipi');
    ipi(m, 0, 0x069a, 1); // SIPI 0x9a
    expect(m.vcpu(1).mpState).toBe('runnable');
    expect(m.vcpu(1).startIp).toBe(0x9a000);
    expect(accept(m, 2, DM_STARTUP, 0x9a)).toBe(1);
    expect(m.vcpu(2).startIp).toBe(-1);
    expect(accept(m, 3, DM_INIT, 0, 0, 1)).toBe(0);
  });

  it('X86-S32: level de-assert message', () => {
    const m = mk();
    expect(accept(m, 0, DM_FIXED, 0x41, 0, 1)).toBe(0);
    expect(m.lapic(0).irr.isEmpty()).toBe(true);
    expect(m.lapic(0).tmr.isEmpty()).toBe(true);
  });
});

describe('X86 §9 scenarios — IPIs', () => {
  it('X86-S43: shorthands', () => {
    const m = mk();
    ipi(m, 0, 0x000c0040);
    expect([0, 1, 2, 3].map((v) => inIrr(m, v, 0x40))).toEqual([false, true, true, true]);
    ipi(m, 0, 0x00080041);
    expect([0, 1, 2, 3].map((v) => inIrr(m, v, 0x41))).toEqual([true, true, true, true]);
    ipi(m, 0, 0x00041042); // self; bit 12 written
    expect([0, 1, 2, 3].map((v) => inIrr(m, v, 0x42))).toEqual([true, false, false, false]);
    expect(apicRead(m, 0, 0x300) & (1 << 12)).toBe(0);
  });

  it('X86-S44: x2APIC self IPI', () => {
    const m = mk();
    toX2apic(m, 0);
    expect(m.wrmsr(0, 0x83f, 0x45)).toBe(true);
    expect(inIrr(m, 0, 0x45)).toBe(true);
    expect(m.wrmsr(0, 0x83f, 0x146)).toBe(false);
    expect(inIrr(m, 0, 0x46)).toBe(false);
    const x = mk();
    expect(x.wrmsr(0, 0x83f, 0x45)).toBe(false);
    expect(inIrr(x, 0, 0x45)).toBe(false);
  });
});

describe('X86 §4.1 IA32_APIC_BASE', () => {
  it('X86-4.1: invalid APIC-base transitions take #GP (x2APIC → xAPIC, disabled → x2APIC, x2APIC without enable)', () => {
    const m = mk();
    toX2apic(m, 1);
    expect(m.setApicBase(1, (A | APIC_BASE_ENABLE) >>> 0)).toBe(false);
    expect(m.lapic(1).x2apic).toBe(true);
    expect(m.setApicBase(1, A)).toBe(true); // disable
    expect(m.setApicBase(1, (A | (1 << 10)) >>> 0)).toBe(false);
    expect(m.setApicBase(1, (A | APIC_BASE_ENABLE | (1 << 10)) >>> 0)).toBe(false); // disabled → x2APIC
    expect(m.setApicBase(1, (A | APIC_BASE_ENABLE) >>> 0)).toBe(true);
    expect(m.setApicBase(1, (A | APIC_BASE_ENABLE | 1) >>> 0)).toBe(false); // reserved bit
    expect(
      mk({ guestX2apicCpuid: false }).setApicBase(1, (A | APIC_BASE_ENABLE | (1 << 10)) >>> 0),
    ).toBe(false);
    ioWrite(m, 0x10, 0x10000); // unrelated: IOAPIC still fine
  });
});
