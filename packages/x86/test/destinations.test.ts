import { describe, expect, it } from 'vitest';
import {
  createX86Machine,
  DM_FIXED,
  DM_LOWEST,
  DM_NMI,
  LOGICAL_MAP_DISABLED,
  LOGICAL_XAPIC_FLAT,
  matchDest,
  SH_ALL_BUT,
  SH_ALL_INC,
  SH_NONE,
  SH_SELF,
} from '../src/index.js';
import {
  apicRead,
  apicWrite,
  disableApic,
  flatLdrs,
  inIrr,
  mk,
  msi,
  program,
  takeEoi,
  toX2apic,
} from './helpers.js';

/** Sends a message on the APIC bus as an IOAPIC/MSI source would (no source APIC). */
const send = (
  m: ReturnType<typeof mk>,
  dest: number,
  logical: boolean,
  mode: number,
  vector: number,
  rh = 0,
) =>
  m.vm.signalMsi({
    addressLo: (0xfee00000 | ((dest & 0xff) << 12) | (rh << 3) | (logical ? 4 : 0)) >>> 0,
    addressHi: 0,
    data: vector | (mode << 8),
  });

const who = (m: ReturnType<typeof mk>, vector: number) =>
  Array.from({ length: m.vcpus }, (_, i) => i).filter((i) => inIrr(m, i, vector));

describe('X86 §4.4 destination matching', () => {
  it('X86-4.8: physical (xAPIC ID or, in x2APIC mode / above 0xFF, the x2APIC ID), broadcast, shorthands', () => {
    const m = mk({ vcpus: 2 });
    const a = m.lapic(1);
    expect(matchDest(a, null, SH_NONE, 1, 0, true)).toBe(true);
    expect(matchDest(a, null, SH_NONE, 0xff, 0, true)).toBe(true);
    expect(matchDest(a, null, SH_NONE, 0x101, 0, true)).toBe(false);
    expect(matchDest(a, null, SH_NONE, 1, 1, true)).toBe(false); // logical, LDR 0
    const src = m.vcpu(0);
    expect(matchDest(a, src, SH_SELF, 0, 0, true)).toBe(false);
    expect(matchDest(m.lapic(0), src, SH_SELF, 0, 0, true)).toBe(true);
    expect(matchDest(m.lapic(0), src, SH_ALL_INC, 0, 0, true)).toBe(true);
    expect(matchDest(m.lapic(0), src, SH_ALL_BUT, 0, 0, true)).toBe(false);
    expect(matchDest(a, src, SH_ALL_BUT, 0, 0, true)).toBe(true);
    // Hotplug hack: a 32-bit ID matches an xAPIC-mode APIC by its x2APIC ID.
    const big = createX86Machine({ vcpus: 300 });
    expect(matchDest(big.lapic(299), null, SH_NONE, 299, 0, true)).toBe(true);
    expect(matchDest(big.lapic(299), null, SH_NONE, 299 & 0xff, 0, true)).toBe(true); // its xAPIC ID
    // x2APIC mode: the broadcast quirk makes 0xFF from a non-IPI source a broadcast.
    toX2apic(m, 1);
    expect(matchDest(m.lapic(1), null, SH_NONE, 0xff, 0, true)).toBe(true);
    expect(matchDest(m.lapic(1), null, SH_NONE, 0xff, 0, false)).toBe(false);
    expect(matchDest(m.lapic(1), m.vcpu(0), SH_NONE, 0xff, 0, true)).toBe(false);
  });

  it('X86-4.8: logical flat, cluster, x2APIC; any other DFR matches nothing', () => {
    const m = mk({ vcpus: 2 });
    apicWrite(m, 1, 0xd0, 0x24000000);
    expect(matchDest(m.lapic(1), null, SH_NONE, 0x04, 1, true)).toBe(true); // flat: LDR & MDA
    expect(matchDest(m.lapic(1), null, SH_NONE, 0x08, 1, true)).toBe(false);
    apicWrite(m, 1, 0xe0, 0x0fffffff); // cluster 2, bit 2
    expect(matchDest(m.lapic(1), null, SH_NONE, 0x24, 1, true)).toBe(true);
    expect(matchDest(m.lapic(1), null, SH_NONE, 0x14, 1, true)).toBe(false);
    apicWrite(m, 1, 0xe0, 0x5fffffff);
    expect(matchDest(m.lapic(1), null, SH_NONE, 0x24, 1, true)).toBe(false);
    toX2apic(m, 1); // LDR = (1 >> 4) << 16 | 1 << 1
    expect(apicRead(m, 1, 0xd0)).toBe(0xffffffff); // the MMIO window is a hole in x2APIC mode
    expect(m.rdmsr(1, 0x80d)).toBe(2n);
    expect(matchDest(m.lapic(1), null, SH_NONE, 0x00000002, 1, true)).toBe(true);
    expect(matchDest(m.lapic(1), null, SH_NONE, 0x00010002, 1, true)).toBe(false);
  });
});

describe('X86 §4.5 delivery on the APIC bus', () => {
  it('X86-4.9: physical broadcast with mode 001 becomes fixed (no arbitration); RH = 1 still arbitrates', () => {
    const m = mk();
    expect(send(m, 0xff, false, DM_LOWEST, 0x41)).toBe(4);
    expect([0, 1, 2, 3].map((i) => m.lapic(i).arbPrio)).toEqual([0, 0, 0, 0]);
    expect(send(m, 0xff, false, DM_FIXED, 0x42, 1)).toBe(1);
    expect(who(m, 0x42)).toHaveLength(1);
  });

  it('X86-4.9: no candidate at all → 0, never −1; remote IRR is not set; a deviation is traced', () => {
    const m = mk();
    flatLdrs(m);
    apicWrite(m, 2, 0xe0, 0x0fffffff); // mixed models: slow path
    const { events, stop } = m.trace.record();
    expect(send(m, 0x80, true, DM_FIXED, 0x41)).toBe(0);
    stop();
    expect(events.some((e) => e.type === 'deviation' && e.code === 'X86-4.9')).toBe(true);
    program(m, 10, { vector: 0x5a, level: true, dest: 0x80, logical: true });
    expect(m.vm.setIrq(0, 10, true)).toBe(0);
    expect((m.ioapic.lo[10]! >>> 14) & 1).toBe(0);
  });

  it('X86-4.10: map path hashing counts every mask bit; without hashing the smallest arbitration counter wins', () => {
    const m = mk();
    flatLdrs(m);
    expect(m.apicMap().logicalMode).toBe(LOGICAL_XAPIC_FLAT);
    expect(send(m, 0x0a, true, DM_LOWEST, 0x32)).toBe(1); // mask {1,3}: 50 mod 2 = 0 → vCPU 1
    expect(who(m, 0x32)).toEqual([1]);
    const n = mk({ vectorHashing: false });
    flatLdrs(n);
    n.lapic(0).arbPrio = 5;
    expect(send(n, 0x03, true, DM_LOWEST, 0x33)).toBe(1);
    expect(who(n, 0x33)).toEqual([1]);
    expect(n.lapic(1).arbPrio).toBe(1);
    // RH-only arbitration does not count.
    expect(send(n, 0x03, true, DM_FIXED, 0x34, 1)).toBe(1);
    expect(n.lapic(1).arbPrio + n.lapic(0).arbPrio).toBe(6);
  });

  it('X86-4.10: the map is disabled by aliased logical slots; x2APIC clusters beyond the map reach nobody', () => {
    const m = mk();
    apicWrite(m, 0, 0xd0, 0x01000000);
    apicWrite(m, 1, 0xd0, 0x01000000); // same slot
    expect(m.apicMap().logicalMode).toBe(LOGICAL_MAP_DISABLED);
    expect(send(m, 0x01, true, DM_FIXED, 0x41)).toBe(2); // slow path: both match
    const x = mk({ vcpus: 4, x2apicApi: { disableBroadcastQuirk: true } });
    for (let i = 0; i < 4; i++) toX2apic(x, i);
    const ipi = (dest: number, vector: number) =>
      x.wrmsr(0, 0x830, (BigInt(dest) << 32n) | BigInt(0x800 | vector));
    ipi(0x00100001, 0x41); // cluster 16 starts at x2APIC ID 256 > max(255, 3)
    expect(who(x, 0x41)).toEqual([]);
  });
});

describe('X86 §4.8 x2APIC API and the suppress-EOI-broadcast quirk', () => {
  it('X86-4.15: use32BitIds widens MSI destinations and the LAPIC-state ID format; disableBroadcastQuirk makes 0xFF an ID', () => {
    const m = mk({ vcpus: 259, x2apicApi: { use32BitIds: true } });
    expect(m.vm.signalMsi({ ...msi(2, 0x41), addressHi: 0x100 })).toBe(1);
    expect(inIrr(m, 258, 0x41)).toBe(true);
    toX2apic(m, 5);
    expect(m.getLapicState(5).id).toBe(5);
    const legacy = mk();
    toX2apic(legacy, 2);
    expect(legacy.getLapicState(2).id).toBe(2 << 24);
    const q = mk({ x2apicApi: { disableBroadcastQuirk: true } });
    for (let i = 0; i < 4; i++) toX2apic(q, i);
    expect(send(q, 0xff, false, DM_FIXED, 0x41)).toBe(0);
  });

  it('X86-4.16: full: no directed EOI (Version bit 24 = 0, SPIV bit 12 dropped); split + x2APIC CPUID: advertised and writable', () => {
    const f = mk();
    expect(apicRead(f, 0, 0x30) & (1 << 24)).toBe(0);
    apicWrite(f, 0, 0xf0, 0x11ff);
    expect(apicRead(f, 0, 0xf0)).toBe(0x1ff);
    const s = mk({ irqchip: 'split' });
    expect(apicRead(s, 0, 0x30) & (1 << 24)).toBe(1 << 24);
    apicWrite(s, 0, 0xf0, 0x11ff);
    expect(apicRead(s, 0, 0xf0)).toBe(0x11ff);
    const n = mk({ irqchip: 'split', guestX2apicCpuid: false });
    expect(apicRead(n, 0, 0x30) & (1 << 24)).toBe(0);
  });
});

describe('X86 §9 scenarios — destinations', () => {
  it('X86-S33: physical', () => {
    const m = mk();
    expect(send(m, 2, false, DM_FIXED, 0x41)).toBe(1);
    expect(who(m, 0x41)).toEqual([2]);
    expect(send(m, 0xff, false, DM_FIXED, 0x42)).toBe(4);
    apicWrite(m, 3, 0x20, 0x07000000);
    expect(send(m, 3, false, DM_FIXED, 0x43)).toBe(0);
    expect(send(m, 7, false, DM_FIXED, 0x44)).toBe(1);
    expect(who(m, 0x44)).toEqual([3]);
  });

  it('X86-S34: logical flat', () => {
    const m = mk();
    flatLdrs(m);
    expect(send(m, 0x03, true, DM_FIXED, 0x41)).toBe(2);
    expect(who(m, 0x41)).toEqual([0, 1]);
    expect(send(m, 0x0c, true, DM_FIXED, 0x42)).toBe(2);
    expect(who(m, 0x42)).toEqual([2, 3]);
  });

  it('X86-S35: logical cluster', () => {
    const m = mk();
    const ldr = [0x11, 0x12, 0x21, 0x22];
    for (let k = 0; k < 4; k++) {
      apicWrite(m, k, 0xe0, 0x0fffffff);
      apicWrite(m, k, 0xd0, (ldr[k]! << 24) >>> 0);
    }
    expect(send(m, 0x13, true, DM_FIXED, 0x41)).toBe(2);
    expect(who(m, 0x41)).toEqual([0, 1]);
    expect(send(m, 0x21, true, DM_FIXED, 0x42)).toBe(1);
    expect(who(m, 0x42)).toEqual([2]);
    expect(send(m, 0x24, true, DM_FIXED, 0x43)).toBe(0);
  });

  it('X86-S36: x2APIC logical', () => {
    const m = mk({ vcpus: 32, x2apicApi: { disableBroadcastQuirk: true } });
    for (let i = 0; i < 32; i++) toX2apic(m, i);
    const ipi = (dest: number, vector: number) =>
      m.wrmsr(0, 0x830, (BigInt(dest) << 32n) | BigInt(0x800 | vector)); // logical, fixed
    ipi(0x00010003, 0x41);
    expect(who(m, 0x41)).toEqual([16, 17]);
    ipi(0x00000001, 0x42);
    expect(who(m, 0x42)).toEqual([0]);
  });

  it('X86-S37: broadcast quirk', () => {
    for (const [quirkOff, expected] of [
      [false, [0, 1, 2, 3]],
      [true, []],
    ] as const) {
      const m = mk({ x2apicApi: { disableBroadcastQuirk: quirkOff } });
      for (let i = 0; i < 4; i++) toX2apic(m, i);
      program(m, 5, { vector: 0x35, dest: 0xff });
      m.vm.setIrq(0, 5, true);
      expect(who(m, 0x35)).toEqual(expected);
    }
    const m = mk();
    for (let i = 0; i < 4; i++) toX2apic(m, i);
    m.wrmsr(0, 0x830, (0xffn << 32n) | 0x46n);
    expect(who(m, 0x46)).toEqual([]);
  });

  it('X86-S38: hotplug hack', () => {
    const m = mk({ vcpus: 301, x2apicApi: { use32BitIds: true } });
    expect(m.lapic(300).x2apic).toBe(false);
    expect(m.vm.signalMsi({ addressLo: 0xfee2c000, addressHi: 0x100, data: 0x41 })).toBe(1);
    expect(inIrr(m, 300, 0x41)).toBe(true);
    expect(inIrr(m, 44, 0x41)).toBe(false);
  });
});

describe('X86 §9 scenarios — lowest priority', () => {
  it('X86-S39: vector hashing, both paths', () => {
    const m = mk();
    flatLdrs(m);
    expect(send(m, 0x0f, true, DM_LOWEST, 0x33)).toBe(1);
    expect(who(m, 0x33)).toEqual([3]);
    expect(send(m, 0x0f, true, DM_LOWEST, 0x34)).toBe(1);
    expect(who(m, 0x34)).toEqual([0]);
    disableApic(m, 1);
    expect(m.apicMap().logicalMode).toBe(LOGICAL_XAPIC_FLAT);
    m.lapic(3).irr.clearAll();
    expect(send(m, 0x0f, true, DM_LOWEST, 0x33)).toBe(1);
    expect(who(m, 0x33)).toEqual([3]);
    expect(send(m, 0x0f, true, DM_LOWEST, 0x35)).toBe(0);
    // Slow path: vCPU 2 switches to the cluster model (LDR 0x04: cluster 0, bit 2).
    apicWrite(m, 2, 0xe0, 0x0fffffff);
    apicWrite(m, 2, 0xd0, 0x04000000);
    expect(m.apicMap().logicalMode).toBe(LOGICAL_MAP_DISABLED);
    expect(send(m, 0x0f, true, DM_LOWEST, 0x35)).toBe(1);
    expect(who(m, 0x35)).toEqual([3]);
    m.lapic(0).irr.clearAll();
    m.lapic(3).irr.clearAll();
    expect(send(m, 0x0f, true, DM_LOWEST, 0x33)).toBe(1);
    expect(who(m, 0x33)).toEqual([0]);
  });

  it('X86-S40: arbitration without hashing', () => {
    const m = mk({ vectorHashing: false });
    flatLdrs(m);
    const got: number[] = [];
    for (const vec of [0x41, 0x42, 0x43]) {
      send(m, 0x03, true, DM_LOWEST, vec);
      got.push(who(m, vec)[0]!);
    }
    expect(got).toEqual([0, 1, 0]);
    expect(m.lapic(1).arbPrio).toBe(1);
    m.setLapicState(1, m.getLapicState(1));
    expect(m.lapic(1).arbPrio).toBe(0);
  });

  it('X86-S41: physical broadcast lowest → fixed', () => {
    const m = mk();
    expect(send(m, 0xff, false, DM_LOWEST, 0x41)).toBe(4);
    expect([0, 1, 2, 3].map((i) => m.lapic(i).arbPrio)).toEqual([0, 0, 0, 0]);
  });

  it('X86-S42: redirection hint', () => {
    const m = mk();
    flatLdrs(m);
    expect(m.vm.signalMsi({ addressLo: 0xfee0300c, addressHi: 0, data: 0x0041 })).toBe(1);
    expect(who(m, 0x41)).toEqual([1]);
    expect(takeEoi(m, 1)).toBe(0x41);
    // NMI through the same logical destination is not arbitrated without RH.
    expect(send(m, 0x03, true, DM_NMI, 0)).toBe(2);
  });
});
