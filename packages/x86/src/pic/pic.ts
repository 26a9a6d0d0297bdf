import { type Delivery, type IrqChip, IrqError } from '@irqkit/core';
import type { Platform } from '../platform.js';

/** PIC master irqchip id (KVM_IRQCHIP_PIC_MASTER). */
export const PIC_MASTER_ID = 0;
/** PIC slave irqchip id (KVM_IRQCHIP_PIC_SLAVE). */
export const PIC_SLAVE_ID = 1;

/**
 * One 8259A's state (`struct kvm_kpic_state`, X86-3.1): IRR, ISR, IMR, the edge detector
 * `lastIrr`, priority rotation, the ICW1–ICW4 sequence, OCW2/OCW3 modes and ELCR.
 */
export class I8259 {
  /** Edge detector: the line level last seen per pin. */
  lastIrr = 0;
  /** Interrupt request register. */
  irr = 0;
  /** Interrupt mask register. */
  imr = 0;
  /** In-service register. */
  isr = 0;
  /** Priority rotation base (the lowest-priority IRQ is `priorityAdd − 1`). */
  priorityAdd = 0;
  /** ICW2 vector base (bits 7:3). */
  irqBase = 0;
  /** OCW3 RIS: a read of port 0 returns ISR (1) or IRR (0). */
  readRegSelect = 0;
  /** OCW3 poll mode armed for the next read. */
  poll = 0;
  /** OCW3 special mask mode. */
  specialMask = 0;
  /** 0 = operational; 1..3 = expecting ICW2..ICW4. */
  initState = 0;
  /** ICW4 AEOI. */
  autoEoi = 0;
  /** OCW2 rotate in automatic EOI mode. */
  rotateOnAutoEoi = 0;
  /** ICW4 SFNM. */
  specialFullyNestedMode = 0;
  /** ICW1 IC4: an ICW4 follows. */
  init4 = 0;
  /** Edge/level control register (1 = level). */
  elcr = 0;

  /**
   * @param id - 0 master, 1 slave.
   * @param elcrMask - ELCR writable bits (0xF8 master, 0xDE slave).
   */
  constructor(
    readonly id: number,
    readonly elcrMask: number,
  ) {}

  /**
   * `pic_set_irq1` (X86-3.2): an edge pin latches IRR on a 0 → 1 change only, a level pin
   * follows the line.
   * @returns −1 when masked in IMR (IRR still updated), else 1 if newly set, 0 if already set.
   */
  setIrq1(irq: number, level: boolean): Delivery {
    const mask = 1 << irq;
    let ret = 1;
    if ((this.elcr & mask) !== 0) {
      if (level) {
        ret = (this.irr & mask) === 0 ? 1 : 0;
        this.irr |= mask;
        this.lastIrr |= mask;
      } else {
        this.irr &= ~mask;
        this.lastIrr &= ~mask;
      }
    } else if (level) {
      if ((this.lastIrr & mask) === 0) {
        ret = (this.irr & mask) === 0 ? 1 : 0;
        this.irr |= mask;
      }
      this.lastIrr |= mask;
    } else {
      this.lastIrr &= ~mask;
    }
    return (this.imr & mask) !== 0 ? -1 : ret;
  }

  /** `get_priority`: the highest priority (0 = highest) found in `mask`, or 8. */
  priority(mask: number): number {
    if (mask === 0) return 8;
    let p = 0;
    while ((mask & (1 << ((p + this.priorityAdd) & 7))) === 0) p++;
    return p;
  }

  /** `pic_get_irq`: the IRQ this chip wants to raise now, or −1. */
  getIrq(isMaster: boolean): number {
    const p = this.priority(this.irr & ~this.imr);
    if (p === 8) return -1;
    // Special fully nested mode: the slave's in-service IRQ does not block the master.
    const inService =
      isMaster && this.specialFullyNestedMode !== 0 ? this.isr & ~(1 << 2) : this.isr;
    return p < this.priority(inService) ? (p + this.priorityAdd) & 7 : -1;
  }
}

/** `struct kvm_pic_state`, as KVM_GET_IRQCHIP / KVM_SET_IRQCHIP move it for chips 0 and 1. */
export interface KvmPicState {
  readonly lastIrr: number;
  readonly irr: number;
  readonly imr: number;
  readonly isr: number;
  readonly priorityAdd: number;
  readonly irqBase: number;
  readonly readRegSelect: number;
  readonly poll: number;
  readonly specialMask: number;
  readonly initState: number;
  readonly autoEoi: number;
  readonly rotateOnAutoEoi: number;
  readonly specialFullyNestedMode: number;
  readonly init4: number;
  readonly elcr: number;
  readonly elcrMask: number;
}

const STATE_KEYS = [
  'lastIrr',
  'irr',
  'imr',
  'isr',
  'priorityAdd',
  'irqBase',
  'readRegSelect',
  'poll',
  'specialMask',
  'initState',
  'autoEoi',
  'rotateOnAutoEoi',
  'specialFullyNestedMode',
  'init4',
  'elcr',
] as const;

/**
 * The cascaded 8259A pair (`struct kvm_pic`, spec/x86.md §3): master (IR2 = the slave's
 * output) and slave, registered as irqchips 0 and 1 with 8 pins each. The master's output
 * (INT) is what a LAPIC accepting ExtINT sees (X86-3.2a); the guest acknowledges through
 * {@link PicPair.readIrq} (INTA) and completes with OCW2 EOIs (X86-3.3).
 */
export class PicPair {
  /** Master and slave. */
  readonly pics: readonly [I8259, I8259] = [new I8259(0, 0xf8), new I8259(1, 0xde)];
  /** The master's INT output. */
  output = false;
  /** The two routing-visible controllers. */
  readonly chips: readonly [IrqChip, IrqChip];

  /** @param platform - the machine internals. */
  constructor(private readonly platform: Platform) {
    const chip = (id: number): IrqChip => ({
      id,
      pins: 8,
      setLevel: (pin, level) => this.setIrq(id * 8 + pin, level),
    });
    this.chips = [chip(PIC_MASTER_ID), chip(PIC_SLAVE_ID)];
  }

  /**
   * `kvm_pic_set_irq`: drives IRQ `irq` (0..15; 8..15 on the slave) and updates the output.
   * @throws IrqError EINVAL for an IRQ outside 0..15.
   */
  setIrq(irq: number, level: boolean): Delivery {
    if ((irq | 0) !== irq || irq < 0 || irq > 15) {
      throw new IrqError('EINVAL', `PIC irq ${String(irq)} is out of range 0..15`);
    }
    const ret = this.pics[irq >> 3]!.setIrq1(irq & 7, level);
    this.update();
    return ret;
  }

  /**
   * `pic_update_irq`: a slave request pulses master IR2; the master's request is the output.
   * A rising output kicks the first vCPU whose LAPIC accepts PIC interrupts.
   */
  update(): void {
    const [master, slave] = this.pics;
    if (slave.getIrq(false) >= 0) {
      master.setIrq1(2, true);
      master.setIrq1(2, false);
    }
    const out = master.getIrq(true) >= 0;
    const rising = out && !this.output;
    this.output = out;
    if (rising) this.platform.picOutputRose();
  }

  /**
   * `kvm_pic_read_irq` (INTA, X86-3.2a): acknowledges the highest-priority request and
   * returns its vector (ICW2 base + IRQ); a spurious IRQ 7 (or 15) when nothing is pending.
   * @returns `[vector, irq]`.
   */
  readIrq(): [number, number] {
    const [master, slave] = this.pics;
    let irq = master.getIrq(true);
    let intno: number;
    if (irq >= 0) {
      this.intack(master, irq);
      if (irq === 2) {
        let irq2 = slave.getIrq(false);
        if (irq2 >= 0) this.intack(slave, irq2);
        else irq2 = 7; // spurious IRQ on the slave
        intno = slave.irqBase + irq2;
        irq = irq2 + 8;
      } else {
        intno = master.irqBase + irq;
      }
    } else {
      irq = 7; // spurious IRQ on the master
      intno = master.irqBase + irq;
    }
    this.update();
    return [intno & 0xff, irq];
  }

  // pic_intack: ISR set; an edge request is consumed; auto-EOI completes at once.
  private intack(s: I8259, irq: number): void {
    s.isr |= 1 << irq;
    if ((s.elcr & (1 << irq)) === 0) s.irr &= ~(1 << irq);
    if (s.autoEoi !== 0) {
      if (s.rotateOnAutoEoi !== 0) s.priorityAdd = (irq + 1) & 7;
      this.clearIsr(s, irq);
    }
  }

  /** `pic_clear_isr` (X86-3.3): ISR bit cleared, then the ack is reported to the core. */
  clearIsr(s: I8259, irq: number): void {
    s.isr &= ~(1 << irq);
    this.platform.vm.notifyAcked(s.id, irq);
  }

  /** KVM_GET_IRQCHIP for chip 0 or 1. */
  getState(chip: 0 | 1): KvmPicState {
    const s = this.pics[chip];
    const out: Record<string, number> = { elcrMask: s.elcrMask };
    for (const k of STATE_KEYS) out[k] = s[k];
    return out as unknown as KvmPicState;
  }

  /**
   * KVM_SET_IRQCHIP for chip 0 or 1 (then `kvm_pic_update_irq`).
   * @throws IrqError EINVAL for a malformed state (nothing changes).
   */
  setState(chip: 0 | 1, state: KvmPicState): void {
    if (typeof state !== 'object' || state === null)
      throw new IrqError('EINVAL', 'PIC state must be an object');
    for (const k of STATE_KEYS) {
      const v = state[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xff) {
        throw new IrqError('EINVAL', `PIC state ${k} ${String(v)} is not a byte`);
      }
    }
    const s = this.pics[chip];
    for (const k of STATE_KEYS) s[k] = state[k];
    this.update();
  }
}
