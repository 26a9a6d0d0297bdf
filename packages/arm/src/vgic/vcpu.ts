import { Counters, type VcpuRunState } from '@irqkit/core';
import { Intid } from '../constants.js';
import { NO_IRQ, VgicIrq } from '../gic/irq.js';
import { Vpe } from '../v4/vpe.js';
import { ListRegisters } from './lr.js';

/** Counter names per vCPU (arm.md §7); machine totals add up automatically. */
export const VCPU_COUNTERS = [
  'exits.kick',
  'exits.maintenance',
  'exits.mmio',
  'exits.sysreg',
  'exits.wfi',
  'exits.userspace',
  'exits.preempt',
  'doorbells',
  'hostIrqs',
  'wakeups',
  'lrFlushes',
] as const;

/** One vCPU counter name. */
export type VcpuCounterName = (typeof VCPU_COUNTERS)[number];

/** Resolved counter slots of one vCPU. */
export type VcpuCounterIds = Readonly<Record<VcpuCounterName, number>>;

/**
 * KVM's per-vCPU VGIC state (`struct vgic_cpu` plus the redistributor and the CPU
 * interface's virtual machine control register): the banked SGIs/PPIs, the ap_list, the list
 * registers, ICH_HCR, the VMCR fields, the active-priority registers and EOIcount.
 */
export class VgicCpu {
  /** SGIs 0..15 and PPIs 16..31 of this vCPU. */
  readonly privateIrqs: readonly VgicIrq[];
  /**
   * Interrupts this vCPU must consider, in KVM's ap_list order (ARM-3.1 … 3.11): entries
   * `0 .. apLen − 1`. The array is never shrunk, so the injection path does not reallocate it.
   */
  apList: VgicIrq[] = [];
  /** Number of ap_list entries. */
  apLen = 0;
  /** The list registers. */
  readonly lr: ListRegisters;
  /** Entries written at the last entry. */
  usedLrs = 0;
  /** ICH_HCR_EL2 as computed at the last entry (EOIcount kept separately). */
  hcr = 0;
  /**
   * ICH_MISR_EL2 while in the guest, kept current by entry and by every guest action that
   * changes an LR or EOIcount (the "before" of ARM-3.12).
   */
  misr = 0;
  /** ICH_HCR_EL2.EOIcount: EOIs of interrupts that were in no list register. */
  eoiCount = 0;
  /** VMCR: priority mask (ICC_PMR_EL1). */
  pmr = 0;
  /** VMCR: binary points (kept and read back; the model treats them as fixed, ARM-2.9). */
  bpr0 = 2;
  /** VMCR: group-1 binary point. */
  bpr1 = 3;
  /** VMCR: EOImode (0: EOIR drops and deactivates; 1: EOIR drops, DIR deactivates). */
  eoiMode = 0;
  /** VMCR: common binary point. */
  cbpr = 0;
  /** VMCR: group 0 enabled (ICC_IGRPEN0 / GICV_CTLR.EnableGrp0). */
  grpEn0 = false;
  /** VMCR: group 1 enabled (ICC_IGRPEN1 / GICV_CTLR.EnableGrp1). */
  grpEn1 = false;
  /** Active priorities of group 0 (bit i: priority i << 3). */
  ap0 = 0;
  /** Active priorities of group 1. */
  ap1 = 0;
  /** Where the vCPU is. */
  runState: VcpuRunState;
  /** True while guest code runs with these LRs loaded (false during an exit). */
  inGuest = false;
  /** Nesting of halt-all (ARM-2.7, bypass stop/start). */
  halted = 0;
  /** KVM_REQ_IRQ_PENDING. */
  irqPending = false;
  /** GICR_CTLR.EnableLPIs. */
  lpisEnabled = false;
  /** GICR_PENDBASER, low and high words (PTZ kept in {@link VgicCpu.ptz}). */
  pendbaser: [number, number] = [0, 0];
  /** GICR_PENDBASER.PTZ as last written (reads 0). */
  ptz = false;
  /** Counters of this vCPU. */
  readonly counters: Counters;
  /** Resolved counter slots. */
  readonly c: VcpuCounterIds;
  /** `c['exits.kick']`, read on every kick. */
  readonly kickCounter: number;
  /** `c['exits.maintenance']`, read on every maintenance exit. */
  readonly maintenanceCounter: number;
  /** `c.lrFlushes`, read on every entry with a non-empty ap_list. */
  readonly lrFlushCounter: number;
  /** The GICv4 vPE. */
  readonly vpe: Vpe;

  /**
   * @param id - vCPU index.
   * @param affinity - MPIDR Aff2.Aff1.Aff0.
   * @param nrLr - number of list registers.
   * @param machine - machine counters to add into.
   * @param group - reset group of private IRQs (0 on GICv2, 1 on GICv3; ARM-1.10).
   */
  constructor(
    readonly id: number,
    readonly affinity: number,
    nrLr: number,
    machine: Counters,
    group: number,
    runState: VcpuRunState,
  ) {
    const irqs: VgicIrq[] = [];
    for (let i = 0; i < Intid.NrPrivate; i++) {
      // ARM-1.10: SGIs enabled edge, PPIs disabled level, priority 0.
      const irq = new VgicIrq(i, i >= Intid.NrSgis);
      irq.enabled = i < Intid.NrSgis;
      irq.group = group;
      irq.targetVcpu = this;
      irqs.push(irq);
    }
    this.privateIrqs = irqs;
    this.lr = new ListRegisters(nrLr);
    this.runState = runState;
    this.counters = new Counters(machine);
    const c = {} as Record<VcpuCounterName, number>;
    for (const name of VCPU_COUNTERS) c[name] = this.counters.id(name);
    this.c = c;
    this.kickCounter = c['exits.kick'];
    this.maintenanceCounter = c['exits.maintenance'];
    this.lrFlushCounter = c.lrFlushes;
    this.vpe = new Vpe(id);
  }

  /** Appends `irq` at the ap_list tail. */
  apAdd(irq: VgicIrq): void {
    if (this.apLen < this.apList.length) this.apList[this.apLen] = irq;
    else this.apList.push(irq);
    this.apLen++;
  }

  /** Keeps the first `n` entries; freed slots are cleared (no dangling references). */
  apTruncate(n: number): void {
    const list = this.apList;
    for (let i = n; i < this.apLen; i++) list[i] = NO_IRQ;
    this.apLen = n;
  }

  /** A copy of the ap_list, in order. */
  apEntries(): VgicIrq[] {
    return this.apList.slice(0, this.apLen);
  }

  /** Adds 1 to counter `id` of this vCPU (and the machine). */
  count(id: number): void {
    this.counters.add(id);
  }
}
