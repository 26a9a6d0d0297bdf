import { ioapicMmioRead, ioapicMmioWrite, low32 } from './ioapic/access.js';
import { IOAPIC_MEM_LENGTH } from './ioapic/regs.js';
import {
  ipivHandles,
  lapicRegRead,
  lapicRegWrite,
  setApicBase,
  setTpr,
  x2apicIcrWrite,
} from './lapic/registers.js';
import {
  APIC_MMIO_LENGTH,
  lapicRegisterForMsr,
  MSR_IA32_APICBASE,
  X2APIC_ICR_RESERVED_LO,
  X2APIC_MSR_BASE,
} from './lapic/regs.js';
import { PIC_PORTS, picPortRead, picPortWrite } from './pic/access.js';
import type { Platform } from './platform.js';
import type { Vcpu } from './vcpu.js';

/**
 * Guest-initiated accesses, with the exit accounting of spec/x86.md X86-7.1: which accesses
 * trap (`exits.mmio`, `exits.msr`, `exits.apicWrite`, `exits.eoi`, …), which go on to the VMM
 * (`userspace.mmio`), and which APICv / IPIv absorb. While an exit is handled the vCPU counts
 * as being in the host, so interrupts it sends to itself need no kick. None of these throw on
 * guest-controlled values.
 */

/** Runs `fn` without an exit (virtualized by APICv / IPIv). */
function virtualized<T>(p: Platform, fn: () => T): T {
  const s = p.vm.scheduler;
  s.enter();
  try {
    return fn();
  } finally {
    s.exit();
  }
}

/** Runs `fn` inside a counted exit of `v`. */
function inExit<T>(p: Platform, v: Vcpu, id: number, reason: string, fn: () => T): T {
  v.exit(id, reason);
  const was = v.beginExit();
  try {
    return virtualized(p, fn);
  } finally {
    v.endExit(was);
  }
}

function userspaceMmio(p: Platform, v: Vcpu): void {
  v.counters.add(v.ids.userspaceMmio);
  if (p.trace.enabled === true)
    p.trace.emit({ type: 'x86.userspace-exit', vcpu: v.index, reason: 'mmio', vector: -1 });
}

/** A guest EOI write (xAPIC 0xB0 or x2APIC MSR 0x80B, X86-4.12 / 7.1). @returns the vector or −1 */
export function guestEoi(p: Platform, v: Vcpu): number {
  // The common case first and small (V8 inlines by size): an in-kernel LAPIC without APICv,
  // where every EOI write traps.
  if (v.eoiTraps !== true) return guestEoiOther(p, v);
  v.counters.add(v.ids.eoi);
  if (p.trace.enabled === true) v.traceExit('eoi');
  const was = v.beginExit();
  try {
    return v.eoi();
  } finally {
    v.endExit(was);
  }
}

// A userspace LAPIC (an MMIO exit to the VMM), or APICv's EOI virtualization.
function guestEoiOther(p: Platform, v: Vcpu): number {
  let id: number;
  if (p.opts.irqchip === 'none') {
    id = v.ids.mmio;
    userspaceMmio(p, v);
  } else {
    // APICv: EOI virtualization; only vectors in the EOI-exit bitmap take an EOI-induced exit.
    const top = v.lapic.isr.highest();
    if (top < 0 || !v.lapic.ioapicHandled.test(top)) return v.eoi();
    id = v.ids.eoi;
  }
  v.exit(id, id === v.ids.eoi ? 'eoi' : 'mmio');
  const was = v.beginExit();
  try {
    return v.eoi();
  } finally {
    v.endExit(was);
  }
}

/**
 * A guest TPR write (CR8, or the TPR register): TPR shadow absorbs it, except that without
 * APICv lowering TPR below a pending interrupt's class takes a TPR-below-threshold exit.
 */
export function guestTpr(p: Platform, v: Vcpu, tpr: number): void {
  const before = v.lapic.deliverable();
  setTpr(p, v, tpr);
  if (!p.opts.apicv && p.opts.irqchip !== 'none' && before < 0 && v.lapic.deliverable() >= 0) {
    inExit(p, v, v.ids.tprBelowThreshold, 'tpr-below-threshold', () => undefined);
  }
}

/** HLT: one `exits.hlt`; with nothing pending the vCPU blocks. */
export function guestHlt(p: Platform, v: Vcpu): void {
  v.exit(v.ids.hlt, 'hlt');
  if (p.opts.apicv && v.pid.on) v.syncPir();
  const pending =
    (v.interruptible && v.lapic.deliverable() >= 0) || v.nmiPending > 0 || v.smiPending;
  if (!pending) v.setState('blocked');
}

// ---- MMIO ------------------------------------------------------------------------------------

/** A guest MMIO read of `len` bytes at `address`. */
export function guestMmioRead(p: Platform, v: Vcpu, address: number, len: number): number {
  const io = p.ioapic;
  const o = p.opts;
  if (address >= io.baseAddress && address < io.baseAddress + IOAPIC_MEM_LENGTH) {
    return inExit(p, v, v.ids.mmio, 'mmio', () => {
      if (o.irqchip !== 'full') userspaceMmio(p, v);
      return ioapicMmioRead(io, address, len);
    });
  }
  const base = (v.lapic.apicBase & 0xfffff000) >>> 0;
  if (address < base || address >= base + APIC_MMIO_LENGTH) return 0;
  const read = () => lapicMmioRead(v, address - base, len);
  if (o.irqchip === 'none') {
    return inExit(p, v, v.ids.mmio, 'mmio', () => {
      userspaceMmio(p, v);
      return read();
    });
  }
  return o.apicv ? virtualized(p, read) : inExit(p, v, v.ids.mmio, 'mmio', read);
}

function lapicMmioRead(v: Vcpu, offset: number, len: number): number {
  const a = v.lapic;
  // A hardware-disabled APIC or one in x2APIC mode is a hole reading all ones.
  if (!a.present || a.x2apic) return len >= 4 ? 0xffffffff : (1 << (len * 8)) - 1;
  const align = offset & 0xf;
  if ((len !== 1 && len !== 2 && len !== 4) || align + len > 4) return 0;
  const value = lapicRegRead(v, offset & 0xff0) ?? 0;
  const shifted = value >>> (align * 8);
  return len === 4 ? shifted >>> 0 : shifted & ((1 << (len * 8)) - 1);
}

/** A guest MMIO write of `len` bytes at `address`. */
export function guestMmioWrite(
  p: Platform,
  v: Vcpu,
  address: number,
  value: number | bigint,
  len: number,
): void {
  const io = p.ioapic;
  const o = p.opts;
  if (address >= io.baseAddress && address < io.baseAddress + IOAPIC_MEM_LENGTH) {
    inExit(p, v, v.ids.mmio, 'mmio', () => {
      if (o.irqchip !== 'full') userspaceMmio(p, v);
      ioapicMmioWrite(io, address, value, len);
    });
    return;
  }
  const a = v.lapic;
  const base = (a.apicBase & 0xfffff000) >>> 0;
  if (address < base || address >= base + APIC_MMIO_LENGTH) return;
  const offset = address - base;
  // KVM: 32-bit aligned accesses only; a hole in x2APIC mode or when hardware-disabled.
  if (len !== 4 || (offset & 0xf) !== 0 || !a.present || a.x2apic) {
    inExit(p, v, v.ids.mmio, 'mmio', () => undefined);
    return;
  }
  const data = low32(value);
  if (offset === 0x0b0) {
    guestEoi(p, v);
    return;
  }
  if (offset === 0x080 && o.irqchip !== 'none') {
    guestTpr(p, v, data & 0xff);
    return;
  }
  if (offset === 0x300 && o.ipiv && ipivHandles(data)) {
    virtualized(p, () => ipivSend(p, v, data, a.icrHi >>> 24));
    return;
  }
  const write = () => {
    lapicRegWrite(p, v, offset, data);
  };
  if (o.irqchip === 'none') {
    inExit(p, v, v.ids.mmio, 'mmio', () => {
      userspaceMmio(p, v);
      write();
    });
  } else if (o.apicv) inExit(p, v, v.ids.apicWrite, 'apic-write', write);
  else inExit(p, v, v.ids.mmio, 'mmio', write);
}

// Intel IPI virtualization: the sender's CPU posts the vector into the target's PID through
// the PID-pointer table (indexed by APIC ID) and notifies; no exit on either side.
function ipivSend(p: Platform, v: Vcpu, icrLo: number, dest: number): void {
  v.lapic.icrLo = icrLo & ~(1 << 12);
  const target = p.vcpus[dest];
  if (target !== undefined) target.postHardware(icrLo & 0xff, 'ipiv');
  if (p.trace.enabled === true) {
    p.trace.emit({
      type: 'x86.ipi',
      vcpu: v.index,
      icrLo,
      dest,
      result: target === undefined ? 0 : 1,
    });
  }
}

// ---- MSRs ------------------------------------------------------------------------------------

/** A guest RDMSR; `undefined` means #GP. */
export function guestRdmsr(p: Platform, v: Vcpu, msr: number): bigint | undefined {
  if (msr === MSR_IA32_APICBASE)
    return inExit(p, v, v.ids.msr, 'msr', () => BigInt(v.lapic.apicBase));
  const reg = lapicRegisterForMsr(msr);
  const a = v.lapic;
  const read = (): bigint | undefined => {
    if (!a.x2apic || reg === undefined || reg.x2apic === 'wo' || reg.x2apic === 'none')
      return undefined;
    if (reg.offset === 0x300) return (BigInt(a.icrHi >>> 0) << 32n) | BigInt(a.icrLo >>> 0);
    const value = lapicRegRead(v, reg.offset);
    return value === undefined ? undefined : BigInt(value >>> 0);
  };
  if (p.opts.apicv && a.x2apic && reg !== undefined) return virtualized(p, read);
  return inExit(p, v, v.ids.msr, 'msr', read);
}

/** A guest WRMSR; false means #GP (nothing changed). */
export function guestWrmsr(p: Platform, v: Vcpu, msr: number, value: number | bigint): boolean {
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else if (Number.isInteger(value) && value >= 0) big = BigInt(value);
  else return false;
  if (big < 0n || big > 0xffffffffffffffffn) return false;
  const lo = Number(big & 0xffffffffn);
  const hi = Number(big >> 32n);
  if (msr === MSR_IA32_APICBASE) {
    return inExit(p, v, v.ids.msr, 'msr', () => hi === 0 && setApicBase(p, v, lo));
  }
  if (msr < X2APIC_MSR_BASE || msr > 0x8ff) return false;
  const a = v.lapic;
  const reg = lapicRegisterForMsr(msr);
  const o = p.opts;
  if (!a.x2apic || reg === undefined || reg.x2apic === 'ro' || reg.x2apic === 'none') {
    return inExit(p, v, v.ids.msr, 'msr', () => false);
  }
  if (reg.offset === 0x300) {
    const send = () => x2apicIcrWrite(p, v, lo, hi);
    if (!o.apicv) return inExit(p, v, v.ids.msr, 'msr', send);
    if (o.ipiv && ipivHandles(lo) && (lo & X2APIC_ICR_RESERVED_LO) === 0) {
      return virtualized(p, () => {
        a.icrLo = lo & ~(1 << 12);
        a.icrHi = hi;
        ipivSend(p, v, lo, hi);
        return true;
      });
    }
    return inExit(p, v, v.ids.apicWrite, 'apic-write', send);
  }
  if (hi !== 0) return inExit(p, v, v.ids.msr, 'msr', () => false);
  if (reg.offset === 0x0b0) {
    guestEoi(p, v);
    return true;
  }
  if (reg.offset === 0x080) {
    guestTpr(p, v, lo & 0xff);
    return true;
  }
  const write = () => lapicRegWrite(p, v, reg.offset, lo);
  // APICv virtualizes self-IPIs; other x2APIC MSR writes stay intercepted.
  if (reg.offset === 0x3f0 && o.apicv) return virtualized(p, write);
  return inExit(p, v, v.ids.msr, 'msr', write);
}

// ---- port I/O (the PIC, X86-3.1) -------------------------------------------------------------

/** A guest IN of `len` bytes from `port` (the PIC's ports; anything else reads all ones). */
export function guestPioRead(p: Platform, v: Vcpu, port: number, len: number): number {
  const pic = p.pic;
  if (pic === null || !PIC_PORTS.has(port)) return len >= 4 ? 0xffffffff : (1 << (len * 8)) - 1;
  return inExit(p, v, v.ids.pio, 'pio', () => picPortRead(pic, port, len));
}

/** A guest OUT of `len` bytes to `port`. */
export function guestPioWrite(
  p: Platform,
  v: Vcpu,
  port: number,
  value: number,
  len: number,
): void {
  const pic = p.pic;
  if (pic === null || !PIC_PORTS.has(port)) return;
  inExit(p, v, v.ids.pio, 'pio', () => picPortWrite(p, pic, port, value, len));
}
