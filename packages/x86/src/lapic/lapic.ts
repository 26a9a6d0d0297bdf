import { Bitmap } from '@irqkit/core';
import {
  APIC_DEFAULT_BASE,
  APIC_LVR_DIRECTED_EOI,
  APIC_VERSION,
  ApicBaseBit,
  LVT_MASKED,
  Spiv,
} from './regs.js';

/** Number of LVT entries without CMCI (timer, thermal, PMC, LINT0, LINT1, error). */
export const LVT_COUNT = 6;

/**
 * A local APIC's architectural state as KVM keeps it (spec/x86.md §4): IRR, ISR and TMR as
 * 256-bit {@link Bitmap}s, TPR/PPR, IDs, logical destination, spurious-vector register, ICR,
 * LVT entries and the IA32_APIC_BASE bits. Behaviour that needs the rest of the machine
 * (delivery, EOI forwarding, exits) is in {@link Vcpu} and `registers.ts`.
 */
export class Lapic {
  /** Interrupt request register. */
  readonly irr: Bitmap = new Bitmap(256);
  /** In-service register. */
  readonly isr: Bitmap = new Bitmap(256);
  /** Trigger mode register (1 = level). */
  readonly tmr: Bitmap = new Bitmap(256);
  /** Vectors whose EOI must reach the IOAPIC (`ioapic_handled_vectors`, X86-4.11). */
  readonly ioapicHandled: Bitmap = new Bitmap(256);
  /** Highest vector added to {@link Lapic.ioapicHandled} by the "stale pending" clause, or −1. */
  highestStalePendingEoi = -1;
  /** Task priority register (bits 7:0). */
  tpr = 0;
  /** Processor priority register, kept current (X86-4.2). */
  ppr = 0;
  /** xAPIC ID register value (ID in bits 31:24). */
  idReg: number;
  /** Logical destination register value. */
  ldr = 0;
  /** Destination format register value (0xFFFFFFFF = flat). */
  dfr = 0xffffffff;
  /** Spurious-interrupt vector register. */
  spiv = 0xff;
  /** ICR low 32 bits. */
  icrLo = 0;
  /** ICR high 32 bits (xAPIC: ICR2). */
  icrHi = 0;
  /** Error status register. */
  esr = 0;
  /** Timer initial count and divide configuration (stored only; the model has no APIC timer). */
  tmict = 0;
  /** Timer divide configuration register. */
  tdcr = 0;
  /** LVT entries: timer, thermal, PMC, LINT0, LINT1, error. */
  readonly lvt: Uint32Array = new Uint32Array(LVT_COUNT).fill(LVT_MASKED);
  /** IA32_APIC_BASE MSR value. */
  apicBase: number;
  /** Version register value (X86-4.16: bit 24 only on split irqchips with x2APIC CPUID). */
  readonly version: number;
  /** Lowest-priority arbitration counter (`apic_arb_prio`, X86-4.10). */
  arbPrio = 0;

  /**
   * @param vcpuId - the vCPU id, which is also the x2APIC ID.
   * @param directedEoi - advertise directed EOI (Version bit 24).
   */
  constructor(
    readonly vcpuId: number,
    directedEoi: boolean,
  ) {
    this.idReg = (vcpuId & 0xff) << 24;
    this.apicBase = APIC_DEFAULT_BASE | ApicBaseBit.Enable | (vcpuId === 0 ? ApicBaseBit.Bsp : 0);
    this.version =
      (APIC_VERSION | ((LVT_COUNT - 1) << 16) | (directedEoi ? APIC_LVR_DIRECTED_EOI : 0)) >>> 0;
  }

  /** Hardware-enabled (IA32_APIC_BASE bit 11): the APIC is *present* (X86-4.1). */
  get present(): boolean {
    return (this.apicBase & ApicBaseBit.Enable) !== 0;
  }

  /** In x2APIC mode (IA32_APIC_BASE bit 10). */
  get x2apic(): boolean {
    return (this.apicBase & ApicBaseBit.X2apic) !== 0;
  }

  /** Software-enabled (SPIV bit 8). */
  get swEnabled(): boolean {
    return (this.spiv & Spiv.ApicEnabled) !== 0;
  }

  /** Present and software-enabled: accepts fixed interrupts (X86-4.1). */
  get enabled(): boolean {
    return (this.apicBase & ApicBaseBit.Enable) !== 0 && (this.spiv & Spiv.ApicEnabled) !== 0;
  }

  /** The xAPIC ID (ID register bits 31:24). */
  get xapicId(): number {
    return this.idReg >>> 24;
  }

  /** The physical APIC ID in the current mode: x2APIC ID (= vcpuId) or xAPIC ID. */
  get apicId(): number {
    return this.x2apic ? this.vcpuId : this.idReg >>> 24;
  }

  /** Recomputes PPR from TPR and the highest ISR vector (X86-4.2). */
  updatePpr(): void {
    const isrv = this.isr.highest();
    const tpr = this.tpr;
    this.ppr = (tpr & 0xf0) >= (isrv < 0 ? 0 : isrv & 0xf0) ? tpr & 0xff : isrv & 0xf0;
  }

  /**
   * The highest IRR vector if it is deliverable (`(V & 0xF0) > PPR`, X86-4.3), else −1. Only
   * the highest IRR vector is ever considered.
   */
  deliverable(): number {
    const v = this.irr.highest();
    return v >= 0 && (v & 0xf0) > this.ppr ? v : -1;
  }

  /** True if `vector` is pending in IRR or ISR (`kvm_apic_pending_eoi`). */
  pendingEoi(vector: number): boolean {
    return this.irr.test(vector) || this.isr.test(vector);
  }

  /** Sets the x2APIC LDR derived from the x2APIC ID (read-only in x2APIC mode). */
  setX2apicLdr(): void {
    const id = this.vcpuId;
    this.ldr = (((id >>> 4) << 16) | (1 << (id & 0xf))) >>> 0;
  }

  /** `kvm_lapic_reset` for an INIT: registers reset, the APIC ID and IA32_APIC_BASE kept. */
  reset(): void {
    this.irr.clearAll();
    this.isr.clearAll();
    this.tmr.clearAll();
    this.tpr = 0;
    this.ppr = 0;
    if (this.x2apic) this.setX2apicLdr();
    else this.ldr = 0;
    this.dfr = 0xffffffff;
    this.spiv = 0xff;
    this.icrLo = 0;
    this.icrHi = 0;
    this.esr = 0;
    this.tmict = 0;
    this.tdcr = 0;
    this.lvt.fill(LVT_MASKED);
  }
}
