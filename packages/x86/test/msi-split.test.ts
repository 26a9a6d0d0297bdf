import { EventFd, IrqError, WOULD_BLOCK } from '@irqkit/core';
import { describe, expect, it } from 'vitest';
import { IOAPIC_DEFAULT_BASE as B, composeMsi, decodeMsi, swizzleExtDestId } from '../src/index.js';
import {
  apicWrite,
  inIrr,
  mk,
  mkTest,
  msi,
  msiRoute,
  program,
  rawMsiRoute,
  remoteIrr,
  takeEoi,
  toX2apic,
} from './helpers.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof IrqError ? e.code : 'other';
  }
  return undefined;
};

describe('X86 §5 MSI', () => {
  it('X86-5.1: decode: dest = address_lo[19:12] (+ address_hi[31:8] with 32-bit ids), DM bit 2, RH bit 3, data fields', () => {
    expect(decodeMsi({ addressLo: 0xfee0300c, addressHi: 0x1234, data: 0x81c7 })).toEqual({
      dest: 3,
      destMode: 1,
      redirHint: 1,
      vector: 0xc7,
      deliveryMode: 1,
      trigger: 1,
    });
    expect(decodeMsi({ addressLo: 0xfee03000, addressHi: 0x1200, data: 0 }, true).dest).toBe(
      0x1203,
    );
    const c = composeMsi({
      dest: 0x123,
      vector: 0x41,
      trigger: 1,
      deliveryMode: 1,
      destMode: 1,
      redirHint: 1,
    });
    expect(c).toEqual({ addressLo: 0xfee2300c, addressHi: 0x100, data: 0x8141 });
  });

  it('X86-5.2: an MSI entry’s set with level 0 returns −1 and does nothing; level 1 delivers', () => {
    const m = mk();
    m.vm.setGsiRouting([msiRoute(40, 1, 0x41)]);
    expect(m.vm.setIrq(0, 40, false)).toBe(-1);
    expect(inIrr(m, 1, 0x41)).toBe(false);
    expect(m.vm.setIrq(0, 40, true)).toBe(1);
    expect(inIrr(m, 1, 0x41)).toBe(true);
  });

  it('X86-5.2: an MSI the map cannot resolve (broadcast) returns core’s WOULD_BLOCK in atomic context, so its irqfd defers', () => {
    const { m, sched } = mkTest({ vcpus: 2 });
    m.enableApics();
    const sink = m.vm.arch.msi!;
    expect(sink.deliverMsiInatomic!(msi(0xff, 0x41))).toBe(WOULD_BLOCK);
    m.vm.setGsiRouting([msiRoute(40, 0xff, 0x41)]);
    const fd = new EventFd();
    m.vm.irqfds.assign({ eventfd: fd, gsi: 40 });
    fd.signal();
    expect(m.counters.get('fastPathInjections')).toBe(0);
    expect(inIrr(m, 0, 0x41)).toBe(false);
    sched.run();
    expect([inIrr(m, 0, 0x41), inIrr(m, 1, 0x41)]).toEqual([true, true]);
  });

  it('X86-5.3: with 32-bit ids destinations up to 0xFFFFFFFE are expressible; 0xFFFFFFFF broadcasts (quirk disabled)', () => {
    const m = mk({ vcpus: 4, x2apicApi: { use32BitIds: true, disableBroadcastQuirk: true } });
    for (let i = 0; i < 4; i++) toX2apic(m, i); // 0xFFFFFFFF is the broadcast of x2APIC-mode targets
    expect(m.vm.signalMsi({ addressLo: 0xfee03000, addressHi: 0, data: 0x41 })).toBe(1);
    expect(m.vm.signalMsi({ addressLo: 0xfeefe000, addressHi: 0xffffff00, data: 0x42 })).toBe(0);
    expect(m.vm.signalMsi({ addressLo: 0xfeeff000, addressHi: 0xffffff00, data: 0x43 })).toBe(4);
  });

  it('X86-5.4: a level MSI sets TMR but never de-asserts; its EOI is forwarded only if the vector is handled', () => {
    const m = mk();
    expect(m.vm.signalMsi(msi(0, 0x31, { data: 0x8031 }))).toBe(1);
    expect(m.vm.signalMsi(msi(0, 0x31, { data: 0x8031 }))).toBe(1);
    expect(m.lapic(0).irr.toArray()).toEqual([0x31]);
    expect(m.lapic(0).tmr.test(0x31)).toBe(true);
    program(m, 10, { vector: 0x31, level: true });
    m.vm.setIrq(0, 10, true); // remote IRR set
    m.vm.setIrq(0, 10, false);
    expect(remoteIrr(m, 10)).toBe(1);
    takeEoi(m, 0); // the MSI's EOI clears the aliased pin's remote IRR
    expect(remoteIrr(m, 10)).toBe(0);
  });

  it('X86-5.5: only 32-bit-id messages with address_hi[7:0] ≠ 0 are rejected; strictMsi adds the base check', () => {
    const m = mk();
    expect(
      m.vm.signalMsi({ addressLo: 0x00001003, addressHi: 0xffff, data: 0x0e41 | 0x7000 }),
    ).toBe(1);
    const x = mk({ x2apicApi: { use32BitIds: true } });
    expect(code(() => x.vm.signalMsi({ ...msi(0, 0x41), addressHi: 1 }))).toBe('EINVAL');
    const s = mk({ strictMsi: true });
    expect(code(() => s.vm.signalMsi({ ...msi(0, 0x41), addressLo: 0x12300000 }))).toBe('EINVAL');
    expect(
      code(() => s.vm.setGsiRouting([rawMsiRoute(1, { ...msi(0, 0x41), addressLo: 0 })])),
    ).toBe('EINVAL');
  });

  it('X86-5.6: swizzleExtDestId moves address_lo[11:5] to address_hi[14:8]; KVM decode ignores bits 11:5', () => {
    const raw = { addressLo: 0xfee23020, addressHi: 0, data: 0x41 };
    expect(decodeMsi(raw).dest).toBe(0x23);
    const sw = swizzleExtDestId(raw);
    expect(sw).toEqual({ addressLo: 0xfee23000, addressHi: 0x100, data: 0x41 });
    expect(decodeMsi(sw, true).dest).toBe(0x123);
    expect(swizzleExtDestId({ ...raw, addressLo: 0xfee23030 })).toEqual({
      ...raw,
      addressLo: 0xfee23030,
    }); // remappable
    expect(swizzleExtDestId({ ...raw, addressHi: 0x200 })).toEqual({ ...raw, addressHi: 0x200 });
    expect(code(() => swizzleExtDestId({ ...raw, data: -1 }))).toBe('EINVAL');
  });
});

describe('X86 §9 scenarios — MSI decode', () => {
  it('X86-S45: basic decode', () => {
    const m = mk();
    expect(m.vm.signalMsi({ addressLo: 0xfee01000, addressHi: 0, data: 0x0041 })).toBe(1);
    expect(inIrr(m, 1, 0x41)).toBe(true);
    expect(m.lapic(1).tmr.test(0x41)).toBe(false);
  });

  it('X86-S46: level MSI, level bit ignored', () => {
    const m = mk();
    expect(m.vm.signalMsi({ addressLo: 0xfee00000, addressHi: 0, data: 0x8031 })).toBe(1);
    expect(m.lapic(0).tmr.test(0x31)).toBe(true);
    const seen: number[] = [];
    m.trace.subscribe((e) => e.type === 'x86.ioapic-eoi' && seen.push(e.vector));
    expect(m.lapic(0).ioapicHandled.test(0x31)).toBe(false);
    takeEoi(m, 0);
    expect(seen).toEqual([]);
  });

  it('X86-S47: address_hi and 32-bit ids', () => {
    const m = mk();
    expect(m.vm.signalMsi({ addressLo: 0xfee02000, addressHi: 0x100, data: 0x41 })).toBe(1);
    expect(inIrr(m, 2, 0x41)).toBe(true);
    const x = mk({ vcpus: 259, x2apicApi: { use32BitIds: true } });
    expect(x.vm.signalMsi({ addressLo: 0xfee02000, addressHi: 0x100, data: 0x41 })).toBe(1);
    expect(inIrr(x, 258, 0x41)).toBe(true);
    expect(
      code(() => x.vm.signalMsi({ addressLo: 0xfee02000, addressHi: 0x101, data: 0x41 })),
    ).toBe('EINVAL');
    expect(
      code(() =>
        x.vm.setGsiRouting([
          rawMsiRoute(40, { addressLo: 0xfee02000, addressHi: 0x101, data: 0x41 }),
        ]),
      ),
    ).toBe('EINVAL');
  });

  it('X86-S48: extended destination id', () => {
    const x = mk({ vcpus: 0x124, x2apicApi: { use32BitIds: true } });
    const raw = { addressLo: 0xfee23020, addressHi: 0, data: 0x41 };
    expect(x.vm.signalMsi(raw)).toBe(1);
    expect(inIrr(x, 0x23, 0x41)).toBe(true);
    const sw = swizzleExtDestId(raw);
    expect(sw.addressHi).toBe(0x100);
    expect(sw.addressLo).toBe(0xfee23000);
    expect(x.vm.signalMsi({ ...sw, data: 0x42 })).toBe(1);
    expect(inIrr(x, 0x123, 0x42)).toBe(true);
  });

  it('X86-S49: no base check', () => {
    const m = mk();
    expect(m.vm.signalMsi({ addressLo: 0x12301000, addressHi: 0, data: 0x41 })).toBe(1);
    expect(inIrr(m, 1, 0x41)).toBe(true);
    expect(
      code(() =>
        mk({ strictMsi: true }).vm.signalMsi({ addressLo: 0x12301000, addressHi: 0, data: 0x41 }),
      ),
    ).toBe('EINVAL');
  });
});

describe('X86 §9 scenarios — split irqchip', () => {
  it('X86-S50: irqchip routes refused', () => {
    const m = mk({ irqchip: 'split' });
    expect(
      code(() => m.vm.setGsiRouting([{ gsi: 5, kind: 'irqchip', chip: 2, pin: 5 } as never])),
    ).toBe('EINVAL');
    expect(
      code(() => m.vm.irqfds.assign({ eventfd: new EventFd(), gsi: 5, resamplefd: new EventFd() })),
    ).toBe('EINVAL');
    expect(code(() => m.vm.setGsiRouting([msiRoute(5, 0, 0x35)]))).toBeUndefined();
    expect(m.vm.irqfds.assign({ eventfd: new EventFd(), gsi: 5 }).active).toBe(true);
  });

  it('X86-S51: level EOI exits to userspace', () => {
    const m = mk({ irqchip: 'split', splitReservedRoutes: 24 });
    m.vm.setGsiRouting([msiRoute(10, 0, 0x5a, 0x805a), msiRoute(40, 0, 0x6b, 0x806b)]);
    m.vm.irqLine({ gsi: 10, level: 1 });
    m.vm.irqLine({ gsi: 40, level: 1 });
    const exits: number[] = [];
    m.trace.subscribe(
      (e) => e.type === 'x86.userspace-exit' && e.reason === 'ioapic-eoi' && exits.push(e.vector),
    );
    expect(takeEoi(m, 0)).toBe(0x6b);
    expect(exits).toEqual([]);
    expect(takeEoi(m, 0)).toBe(0x5a);
    expect(exits).toEqual([0x5a]);
    expect(m.counters.get('userspace.ioapicEoi')).toBe(1);
  });

  it('X86-S52: suppress-EOI-broadcast quirk', () => {
    for (const quirk of [true, false]) {
      const m = mk({ irqchip: 'split', suppressEoiBroadcastQuirk: quirk, vcpus: 1 });
      expect(m.lapic(0).version & (1 << 24)).toBe(1 << 24);
      apicWrite(m, 0, 0xf0, 0x11ff);
      program(m, 10, { vector: 0x5a, level: true });
      m.ioapic.setLevel(10, true);
      m.ioapic.setLevel(10, false);
      expect(m.vcpu(0).take()).toBe(0x5a);
      m.eoi(0); // the LAPIC EOI only (no IOAPIC EOI-register write)
      expect(m.counters.get('userspace.ioapicEoi')).toBe(quirk ? 1 : 0);
      expect(remoteIrr(m, 10)).toBe(quirk ? 0 : 1);
      m.mmioWrite(0, B + 0x40, 0x5a, 4); // the guest's directed EOI
      expect(remoteIrr(m, 10)).toBe(0);
    }
    const f = mk();
    expect(f.lapic(0).version & (1 << 24)).toBe(0);
    apicWrite(f, 0, 0xf0, 0x11ff);
    expect(f.lapic(0).spiv & (1 << 12)).toBe(0);
  });
});
