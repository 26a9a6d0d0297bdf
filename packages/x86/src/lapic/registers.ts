import { DEST_PHYSICAL, DM_FIXED, SH_NONE, SH_SELF } from '../apic/message.js';
import type { Platform } from '../platform.js';
import type { Vcpu } from '../vcpu.js';
import { LVT_COUNT } from './lapic.js';
import {
  APIC_BASE_BSP,
  APIC_BASE_ENABLE,
  APIC_BASE_X2APIC,
  APIC_LVR_DIRECTED_EOI,
  ICR_BUSY,
  LVT_MASKED,
  LVT_WRITE_MASKS,
  lvtIndex,
  SPIV_APIC_ENABLED,
  SPIV_DIRECTED_EOI,
  X2APIC_ICR_RESERVED_LO,
} from './regs.js';

/**
 * What local-APIC register reads and writes do (`kvm_lapic_reg_read` / `kvm_lapic_reg_write`),
 * shared by the xAPIC MMIO and x2APIC MSR paths. Offsets are xAPIC offsets (16-byte aligned).
 * A write returns false where KVM reports an error (an x2APIC MSR write then takes #GP; an
 * MMIO write is just ignored). Exit accounting is the caller's (see `guest-access.ts`).
 */

/** Reads register `offset` (32 bits); `undefined` where KVM refuses the read. */
export function lapicRegRead(v: Vcpu, offset: number): number | undefined {
  const a = v.lapic;
  const x2 = a.x2apic;
  if (offset >= 0x100 && offset < 0x280) {
    const bank = offset < 0x180 ? a.isr : offset < 0x200 ? a.tmr : a.irr;
    return bank.words[(offset - (offset < 0x180 ? 0x100 : offset < 0x200 ? 0x180 : 0x200)) >> 4]!;
  }
  const lvt = lvtIndex(offset);
  if (lvt >= 0) return a.lvt[lvt]!;
  switch (offset) {
    case 0x020:
      return x2 ? a.vcpuId : a.idReg >>> 0;
    case 0x030:
      return a.version;
    case 0x080:
      return a.tpr;
    case 0x090:
      return x2 ? undefined : 0; // APR
    case 0x0a0:
      a.updatePpr();
      return a.ppr;
    case 0x0d0:
      return a.ldr >>> 0;
    case 0x0e0:
      return x2 ? undefined : a.dfr >>> 0;
    case 0x0f0:
      return a.spiv;
    case 0x280:
      return a.esr;
    case 0x300:
      return a.icrLo >>> 0;
    case 0x310:
      return x2 ? undefined : a.icrHi >>> 0;
    case 0x380:
      return a.tmict;
    case 0x390:
      return 0; // TMCCT: no APIC timer in the model
    case 0x3e0:
      return a.tdcr;
    default:
      return undefined; // EOI, SELF_IPI and reserved offsets are not readable
  }
}

/** Writes register `offset` with the 32-bit `value`. */
export function lapicRegWrite(p: Platform, v: Vcpu, offset: number, value: number): boolean {
  const a = v.lapic;
  const x2 = a.x2apic;
  value >>>= 0;
  const lvt = lvtIndex(offset);
  if (lvt >= 0 && lvt < LVT_COUNT) {
    let val = value & LVT_WRITE_MASKS[lvt]!;
    if (!a.swEnabled) val |= LVT_MASKED;
    a.lvt[lvt] = val >>> 0;
    return true;
  }
  switch (offset) {
    case 0x020: // ID: writable in xAPIC mode only
      if (x2) return false;
      a.idReg = (value & 0xff000000) >>> 0;
      p.apicChanged();
      return true;
    case 0x080:
      setTpr(p, v, value & 0xff);
      return true;
    case 0x0b0: // EOI: any value (X86-4.12)
      v.eoi();
      return true;
    case 0x0d0: // LDR: xAPIC only
      if (x2) return false;
      a.ldr = (value & 0xff000000) >>> 0;
      p.apicChanged();
      return true;
    case 0x0e0: // DFR: xAPIC only; the model bits 27:0 read as ones
      if (x2) return false;
      a.dfr = (value | 0x0fffffff) >>> 0;
      p.apicChanged();
      return true;
    case 0x0f0:
      setSpiv(p, v, value);
      return true;
    case 0x280: // ESR: x2APIC writes must be 0
      if (x2 && value !== 0) return false;
      a.esr = 0;
      return true;
    case 0x300:
      if (x2) return false; // the x2APIC ICR is one 64-bit MSR (see x2apicIcrWrite)
      sendIpi(p, v, value & ~ICR_BUSY, a.icrHi);
      a.icrLo = (value & ~ICR_BUSY) >>> 0;
      return true;
    case 0x310:
      if (x2) return false;
      a.icrHi = (value & 0xff000000) >>> 0;
      return true;
    case 0x380:
      a.tmict = value;
      return true;
    case 0x3e0:
      a.tdcr = value & 0xb;
      return true;
    case 0x3f0: // SELF IPI: x2APIC only; bits other than the vector → #GP (X86-4.14)
      if (!x2 || (value & ~0xff) !== 0) return false;
      sendIpi(p, v, (SH_SELF << 18) | (value & 0xff), 0);
      return true;
    default:
      return false; // read-only or reserved
  }
}

/** An x2APIC write of the 64-bit ICR (MSR 0x830; X86-4.13): reserved bits → #GP. */
export function x2apicIcrWrite(p: Platform, v: Vcpu, lo: number, hi: number): boolean {
  if ((lo & X2APIC_ICR_RESERVED_LO) !== 0) return false;
  const icrLo = (lo & ~ICR_BUSY) >>> 0;
  sendIpi(p, v, icrLo, hi >>> 0);
  v.lapic.icrLo = icrLo;
  v.lapic.icrHi = hi >>> 0;
  return true;
}

/**
 * Sends the IPI an ICR value describes (X86-4.13, `kvm_apic_send_ipi`). The destination is
 * ICR2 bits 31:24 in xAPIC mode and the whole high half in x2APIC mode.
 * @returns the number of APICs that accepted it.
 */
export function sendIpi(p: Platform, v: Vcpu, icrLo: number, icrHi: number): number {
  const dest = v.lapic.x2apic ? icrHi >>> 0 : icrHi >>> 24;
  const prev = p.current;
  p.current = v;
  try {
    const r = p.bus.deliver(
      v,
      dest,
      (icrLo >>> 11) & 1,
      (icrLo >>> 8) & 7,
      icrLo & 0xff,
      (icrLo >>> 15) & 1,
      (icrLo >>> 14) & 1,
      (icrLo >>> 18) & 3,
      0,
    );
    if (p.trace.enabled === true)
      p.trace.emit({ type: 'x86.ipi', vcpu: v.index, icrLo, dest, result: r });
    return r;
  } finally {
    p.current = prev;
  }
}

/**
 * Whether Intel IPI virtualization handles an ICR write without an exit: fixed, edge,
 * physical, no shorthand (everything else takes an APIC-write exit).
 */
export function ipivHandles(icrLo: number): boolean {
  return (
    ((icrLo >>> 8) & 7) === DM_FIXED &&
    ((icrLo >>> 11) & 1) === DEST_PHYSICAL &&
    ((icrLo >>> 18) & 3) === SH_NONE &&
    ((icrLo >>> 15) & 1) === 0
  );
}

/** TPR write (`apic_set_tpr`): PPR follows. */
export function setTpr(_p: Platform, v: Vcpu, tpr: number): void {
  v.lapic.tpr = tpr & 0xff;
  v.lapic.updatePpr();
}

// apic_set_spiv: bits 9:0, plus bit 12 only when Version advertises directed EOI (X86-4.16).
// Software-disabling masks every LVT entry.
function setSpiv(p: Platform, v: Vcpu, value: number): void {
  const a = v.lapic;
  const mask = 0x3ff | ((a.version & APIC_LVR_DIRECTED_EOI) !== 0 ? SPIV_DIRECTED_EOI : 0);
  const was = a.swEnabled;
  a.spiv = (value & mask) >>> 0;
  if ((a.spiv & SPIV_APIC_ENABLED) === 0) {
    for (let i = 0; i < LVT_COUNT; i++) a.lvt[i] = (a.lvt[i]! | LVT_MASKED) >>> 0;
  }
  if (was !== a.swEnabled) p.apicChanged();
}

/**
 * `kvm_set_apic_base` (X86-4.1, 4.15): enables/disables the APIC and switches xAPIC ↔ x2APIC.
 * Invalid values or transitions return false (#GP): reserved bits, x2APIC without the CPUID
 * bit, x2APIC without enable, x2APIC → xAPIC, disabled → x2APIC.
 */
export function setApicBase(p: Platform, v: Vcpu, value: number): boolean {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) return false;
  const reserved = ~(0xfffff000 | APIC_BASE_BSP | APIC_BASE_X2APIC | APIC_BASE_ENABLE) >>> 0;
  if ((value & reserved) !== 0) return false;
  const a = v.lapic;
  const mode = (b: number) =>
    (b & APIC_BASE_ENABLE) === 0
      ? (b & APIC_BASE_X2APIC) === 0
        ? 0
        : -1
      : (b & APIC_BASE_X2APIC) === 0
        ? 1
        : 2;
  const oldMode = mode(a.apicBase);
  const newMode = mode(value);
  if (newMode < 0) return false;
  if (newMode === 2 && !p.opts.guestX2apicCpuid) return false;
  if ((oldMode === 2 && newMode === 1) || (oldMode === 0 && newMode === 2)) return false;
  const wasEnabled = oldMode !== 0;
  a.apicBase = value >>> 0;
  if (!wasEnabled && newMode !== 0) a.idReg = (a.vcpuId & 0xff) << 24;
  if (newMode === 2 && oldMode !== 2) {
    a.idReg = a.vcpuId;
    a.setX2apicLdr();
  }
  p.apicChanged();
  return true;
}
