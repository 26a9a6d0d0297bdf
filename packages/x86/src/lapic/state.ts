import { IrqError } from '@irqkit/core';
import { restoreRtcTracking } from '../ioapic/state.js';
import type { Platform } from '../platform.js';
import type { Vcpu } from '../vcpu.js';
import { LVT_COUNT } from './lapic.js';

/**
 * The registers KVM_GET_LAPIC / KVM_SET_LAPIC move (`struct kvm_lapic_state`), as named
 * fields. IRR, ISR and TMR are eight 32-bit words each (vector v is bit v % 32 of word v / 32).
 */
export interface LapicState {
  /** ID register; x2APIC mode: the x2APIC ID (32-bit ids) or ID << 24 (legacy format). */
  readonly id: number;
  /** TPR. */
  readonly tpr: number;
  /** LDR. */
  readonly ldr: number;
  /** DFR. */
  readonly dfr: number;
  /** SPIV. */
  readonly spiv: number;
  /** ISR words. */
  readonly isr: readonly number[];
  /** TMR words. */
  readonly tmr: readonly number[];
  /** IRR words. */
  readonly irr: readonly number[];
  /** ESR. */
  readonly esr: number;
  /** ICR low. */
  readonly icrLo: number;
  /** ICR high / ICR2. */
  readonly icrHi: number;
  /** LVT timer, thermal, PMC, LINT0, LINT1, error. */
  readonly lvt: readonly number[];
  /** Timer initial count. */
  readonly tmict: number;
  /** Timer divide configuration. */
  readonly tdcr: number;
}

/** KVM_GET_LAPIC (APICv: PIR is synced into IRR first, as KVM does). */
export function getLapicState(p: Platform, v: Vcpu): LapicState {
  if (p.opts.apicv && v.pid.on) v.syncPir();
  const a = v.lapic;
  const id = a.x2apic ? (p.opts.use32BitIds ? a.vcpuId : (a.vcpuId << 24) >>> 0) : a.idReg >>> 0;
  return {
    id,
    tpr: a.tpr,
    ldr: a.ldr >>> 0,
    dfr: a.dfr >>> 0,
    spiv: a.spiv,
    isr: Array.from(a.isr.words),
    tmr: Array.from(a.tmr.words),
    irr: Array.from(a.irr.words),
    esr: a.esr,
    icrLo: a.icrLo >>> 0,
    icrHi: a.icrHi >>> 0,
    lvt: Array.from(a.lvt),
    tmict: a.tmict,
    tdcr: a.tdcr,
  };
}

function u32(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new IrqError('EINVAL', `lapic state ${what} ${String(v)} is not a u32`);
  }
  return v;
}

function words(what: string, v: unknown, n: number): number[] {
  if (!Array.isArray(v) || v.length !== n)
    throw new IrqError('EINVAL', `lapic state ${what} must have ${n} words`);
  return v.map((x, i) => u32(`${what}[${i}]`, x));
}

/**
 * KVM_SET_LAPIC: loads the registers (x2APIC ID must match the vCPU), resets the arbitration
 * counter (X86-4.10), rebuilds the map, EOI interception and RTC tracking.
 * @throws IrqError EINVAL for a malformed state (nothing changes).
 */
export function setLapicState(p: Platform, v: Vcpu, s: LapicState): void {
  if (typeof s !== 'object' || s === null)
    throw new IrqError('EINVAL', 'lapic state must be an object');
  const a = v.lapic;
  const id = u32('id', s.id);
  if (a.x2apic) {
    const expect = p.opts.use32BitIds ? a.vcpuId : (a.vcpuId << 24) >>> 0;
    if (id !== expect)
      throw new IrqError('EINVAL', `x2APIC ID ${id} does not match vCPU ${a.vcpuId}`);
  }
  const fields = {
    tpr: u32('tpr', s.tpr) & 0xff,
    ldr: u32('ldr', s.ldr),
    dfr: u32('dfr', s.dfr),
    spiv: u32('spiv', s.spiv),
    esr: u32('esr', s.esr),
    icrLo: u32('icrLo', s.icrLo),
    icrHi: u32('icrHi', s.icrHi),
    tmict: u32('tmict', s.tmict),
    tdcr: u32('tdcr', s.tdcr),
  };
  const isr = words('isr', s.isr, 8);
  const tmr = words('tmr', s.tmr, 8);
  const irr = words('irr', s.irr, 8);
  const lvt = words('lvt', s.lvt, LVT_COUNT);
  if (!a.x2apic) a.idReg = (id & 0xff000000) >>> 0;
  else a.setX2apicLdr();
  a.tpr = fields.tpr;
  if (!a.x2apic) a.ldr = fields.ldr;
  a.dfr = fields.dfr;
  a.spiv = fields.spiv;
  a.esr = fields.esr;
  a.icrLo = fields.icrLo;
  a.icrHi = fields.icrHi;
  a.tmict = fields.tmict;
  a.tdcr = fields.tdcr;
  a.isr.words.set(isr);
  a.tmr.words.set(tmr);
  a.irr.words.set(irr);
  a.lvt.set(lvt);
  a.arbPrio = 0;
  a.updatePpr();
  if (p.opts.apicv) {
    v.pid.pir.clearAll();
    v.pid.on = false;
  }
  p.apicChanged();
  if (p.opts.irqchip === 'full') restoreRtcTracking(p, p.ioapic);
}
