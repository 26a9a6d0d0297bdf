import {
  Host,
  type IrqchipRoutingEntry,
  type MsiMessage,
  type MsiRoutingEntry,
  TestScheduler,
} from '@irqkit/core';
import {
  APIC_BASE_ENABLE,
  APIC_BASE_X2APIC,
  APIC_DEFAULT_BASE,
  createX86Machine,
  IOAPIC_DEFAULT_BASE,
  type X86Machine,
  type X86MachineOptions,
} from '../src/index.js';

/** The spec's common setup (§9): full, `pic: false`, 4 vCPUs, APICs enabled, xAPIC mode. */
export function mk(options: X86MachineOptions = {}): X86Machine {
  const m = createX86Machine({ vcpus: 4, pic: false, ...options });
  m.enableApics();
  return m;
}

/** As {@link mk}, with a test scheduler (deferred work runs only on `run()`). */
export function mkTest(options: X86MachineOptions = {}): { m: X86Machine; sched: TestScheduler } {
  const sched = new TestScheduler();
  const m = mk({ host: new Host({ scheduler: sched }), ...options });
  return { m, sched };
}

/** Fields of a redirection entry the tests program. */
export interface Rte {
  vector: number;
  level?: boolean;
  dest?: number;
  logical?: boolean;
  mode?: number;
  masked?: boolean;
  polarity?: number;
}

/** Low half of an entry. */
export function rteLo(e: Rte): number {
  return (
    (e.vector |
      ((e.mode ?? 0) << 8) |
      (e.logical === true ? 1 << 11 : 0) |
      ((e.polarity ?? 0) << 13) |
      (e.level === true ? 1 << 15 : 0) |
      (e.masked === true ? 1 << 16 : 0)) >>>
    0
  );
}

/** Writes IOAPIC indirect register `index` through MMIO (IOREGSEL then IOWIN) from vCPU 0. */
export function ioWrite(m: X86Machine, index: number, value: number, len = 4): void {
  m.mmioWrite(0, IOAPIC_DEFAULT_BASE, index, 4);
  m.mmioWrite(0, IOAPIC_DEFAULT_BASE + 0x10, value, len);
}

/** Reads IOAPIC indirect register `index` through MMIO. */
export function ioRead(m: X86Machine, index: number): number {
  m.mmioWrite(0, IOAPIC_DEFAULT_BASE, index, 4);
  return m.mmioRead(0, IOAPIC_DEFAULT_BASE + 0x10, 4);
}

/** "Program pin n = {…}": writes the high half, then the low half. */
export function program(m: X86Machine, pin: number, e: Rte): void {
  ioWrite(m, 0x11 + 2 * pin, ((e.dest ?? 0) << 24) >>> 0);
  ioWrite(m, 0x10 + 2 * pin, rteLo(e));
}

/** The low half of entry `pin` as the guest reads it. */
export function lo(m: X86Machine, pin: number): number {
  return ioRead(m, 0x10 + 2 * pin);
}

/** Remote IRR of pin `pin`. */
export function remoteIrr(m: X86Machine, pin: number): number {
  return (m.ioapic.lo[pin]! >>> 14) & 1;
}

/** The IOAPIC's IRR bit of `pin`. */
export function irrBit(m: X86Machine, pin: number): number {
  return (m.ioapic.irr >>> pin) & 1;
}

/** `setIrq(source, gsi, level)` as the core does it. */
export function line(m: X86Machine, gsi: number, level: 0 | 1, source = 0): number {
  return m.vm.setIrq(source, gsi, level === 1);
}

/** Writes an xAPIC register of `vcpu`. */
export function apicWrite(m: X86Machine, vcpu: number, offset: number, value: number): void {
  m.mmioWrite(vcpu, APIC_DEFAULT_BASE + offset, value, 4);
}

/** Reads an xAPIC register of `vcpu`. */
export function apicRead(m: X86Machine, vcpu: number, offset: number): number {
  return m.mmioRead(vcpu, APIC_DEFAULT_BASE + offset, 4);
}

/** Sends an xAPIC IPI from `from`: ICR2 = dest << 24, then ICR low. */
export function ipi(m: X86Machine, from: number, icrLo: number, dest = 0): void {
  apicWrite(m, from, 0x310, (dest << 24) >>> 0);
  apicWrite(m, from, 0x300, icrLo);
}

/** Switches `vcpu` to x2APIC mode. */
export function toX2apic(m: X86Machine, vcpu: number): void {
  if (
    !m.setApicBase(
      vcpu,
      (APIC_DEFAULT_BASE | APIC_BASE_ENABLE | APIC_BASE_X2APIC | (vcpu === 0 ? 0x100 : 0)) >>> 0,
    )
  ) {
    throw new Error(`x2APIC switch refused on vCPU ${vcpu}`);
  }
}

/** Flat logical model: LDR of vCPU k = (1 << k) << 24 (X86-S34). */
export function flatLdrs(m: X86Machine): void {
  for (let k = 0; k < m.vcpus; k++) {
    apicWrite(m, k, 0xe0, 0xffffffff);
    apicWrite(m, k, 0xd0, ((1 << k) << 24) >>> 0);
  }
}

/** Software-disables `vcpu`'s APIC (SPIV bit 8 clear). */
export function disableApic(m: X86Machine, vcpu: number): void {
  apicWrite(m, vcpu, 0xf0, 0xff);
}

/** Software-enables `vcpu`'s APIC (SPIV = 0x1FF). */
export function enableApic(m: X86Machine, vcpu: number): void {
  apicWrite(m, vcpu, 0xf0, 0x1ff);
}

/** A fixed, edge, physical MSI to APIC ID `dest`. */
export function msi(dest: number, vector: number, extra: Partial<MsiMessage> = {}): MsiMessage {
  return { addressLo: (0xfee00000 | (dest << 12)) >>> 0, addressHi: 0, data: vector, ...extra };
}

/** An MSI route entry. */
export function msiRoute(gsi: number, dest: number, vector: number, data?: number) {
  return { gsi, kind: 'msi' as const, ...msi(dest, vector, data === undefined ? {} : { data }) };
}

/** Whether `vector` is pending in `vcpu`'s IRR. */
export function inIrr(m: X86Machine, vcpu: number, vector: number): boolean {
  return m.lapic(vcpu).irr.test(vector);
}

/** Takes and EOIs the highest interrupt of `vcpu`; returns the vector (or null). */
export function takeEoi(m: X86Machine, vcpu: number): number | null {
  const t = m.guest.take(vcpu);
  if (t !== null) m.guest.eoi(vcpu, t);
  return t;
}

/** An `irqchip` route entry. */
export function chipRoute(gsi: number, chip: number, pin: number): IrqchipRoutingEntry {
  return { gsi, kind: 'irqchip', chip, pin };
}

/** A raw `msi` route entry. */
export function rawMsiRoute(gsi: number, m: MsiMessage): MsiRoutingEntry {
  return { gsi, kind: 'msi', ...m };
}
