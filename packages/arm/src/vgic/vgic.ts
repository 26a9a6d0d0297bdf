import {
  type Counters,
  type Host,
  IrqError,
  type Trace,
  type VcpuRunState,
  type Vm,
} from '@irqkit/core';
import { Intid } from '../constants.js';
import { VgicIrq } from '../gic/irq.js';
import type { Its } from '../its/its.js';
import type { GuestMemory } from '../memory.js';
import { VgicCpu } from './vcpu.js';

/** GICv4 support of the host (ARM-6.1). */
export type GicV4 = 'none' | 'v4.0' | 'v4.1';

/** The resolved configuration of one VGIC (validated by `createArmMachine`). */
export interface VgicConfig {
  /** Guest-visible GIC model. */
  readonly model: 'v2' | 'v3';
  /** Number of vCPUs. */
  readonly vcpus: number;
  /** SPIs: 32 … 960 in steps of 32 (ARM-1.2). */
  readonly nrSpis: number;
  /** List registers per vCPU. */
  readonly nrLr: number;
  /** An ITS exists (GICv3 only). */
  readonly its: boolean;
  /** Host GICv4 level. */
  readonly gicv4: GicV4;
  /** GICD_IIDR.Revision (default 3). */
  readonly implementationRevision: number;
  /** Model extension: pair VFIO platform IRQs with irqfds by forwarding (ARM-6.4). */
  readonly forwardSpis: boolean;
}

/**
 * The VM-wide VGIC (`struct vgic_dist` and friends): configuration, the SPIs, the live LPIs,
 * the vCPUs' VGIC state, the distributor enable, the ITS, and KVM's `activeSpis`
 * approximation. Behaviour lives in function modules next to this file (queue, flush, sync,
 * run) and in `gic/` (registers, CPU interface); this class only owns the state.
 */
export class Vgic {
  /** SPIs `32 .. 32 + nrSpis − 1` (allocated at init). */
  spis: VgicIrq[] = [];
  /** Live LPIs by INTID. */
  readonly lpis: Map<number, VgicIrq> = new Map();
  /** Per-vCPU state. */
  readonly vcpus: readonly VgicCpu[];
  /** Current number of SPIs. */
  nrSpis: number;
  /** `32 + nrSpis`. */
  nrIrqs: number;
  /** True for a GICv3 guest (fixed at creation; read on hot paths). */
  readonly v3: boolean;
  /** `vgic_supports_direct_msis` (ARM-6.1). */
  readonly directMsis: boolean;
  /** GICv4.1 vSGIs can be offered (GICD_TYPER2.nASSGIcap). */
  readonly vsgiCapable: boolean;
  /** True once KVM_DEV_ARM_VGIC_CTRL_INIT ran (or lazily, GICv2). */
  initialized = false;
  /** True once userspace configured the number of IRQs. */
  nrIrqsSet = false;
  /** GICD_CTLR enable (v2 Enable, v3 EnableGrp1A). */
  enabled = false;
  /** GICD_CTLR.nASSGIreq (GICv4.1 vSGIs, ARM-6.8). */
  nassgireq = false;
  /** KVM's approximate count of SPIs that may be active (ARM-3.8). */
  activeSpis = 0;
  /** GICR_PROPBASER, shared by every redistributor: low and high words. */
  propbaser: [number, number] = [0, 0];
  /** GICv2 userspace: group writes are honoured once userspace wrote GICD_IIDR. */
  v2GroupsUserWritable = false;
  /** The ITS, if any. */
  its: Its | null = null;
  /** The VM (set by the machine once created). */
  vm!: Vm;
  private readonly byAffinity = new Map<number, VgicCpu>();

  /**
   * @param config - validated configuration.
   * @param host - the host kernel.
   * @param memory - guest RAM.
   * @param counters - machine counters.
   * @param trace - machine trace.
   * @param runState - initial run state of every vCPU.
   */
  constructor(
    readonly config: VgicConfig,
    readonly host: Host,
    readonly memory: GuestMemory,
    readonly counters: Counters,
    readonly trace: Trace,
    runState: VcpuRunState,
  ) {
    this.nrSpis = config.nrSpis;
    this.nrIrqs = Intid.NrPrivate + config.nrSpis;
    this.v3 = config.model === 'v3';
    const g = config.gicv4;
    this.directMsis = g === 'v4.1' || (g === 'v4.0' && config.its);
    this.vsgiCapable = g === 'v4.1' && this.v3;
    const group = this.v3 ? 1 : 0;
    const vcpus: VgicCpu[] = [];
    for (let i = 0; i < config.vcpus; i++) {
      const v = new VgicCpu(i, affinityOf(i), config.nrLr, counters, group, runState);
      vcpus.push(v);
      this.byAffinity.set(v.affinity, v);
    }
    this.vcpus = vcpus;
  }

  /** `vgic_get_irq`: the interrupt `intid` as seen by vCPU `v` (private IRQs are banked). */
  irq(v: VgicCpu | null, intid: number): VgicIrq | undefined {
    if (intid < Intid.NrPrivate) return intid >= 0 ? v?.privateIrqs[intid] : undefined;
    if (intid < Intid.NrPrivate + this.spis.length) return this.spis[intid - Intid.NrPrivate];
    if (intid >= Intid.MinLpi) return this.lpis.get(intid);
    return undefined;
  }

  /** The vCPU whose MPIDR affinity is `aff` (Aff2.Aff1.Aff0), or null. */
  vcpuByAffinity(aff: number): VgicCpu | null {
    return this.byAffinity.get(aff & 0xffffff) ?? null;
  }

  /**
   * `vgic_init`: allocates the SPIs with their reset values (ARM-1.10).
   * @returns false if already initialised.
   */
  init(): boolean {
    if (this.initialized) return false;
    const group = this.v3 ? 1 : 0;
    const vcpu0 = this.vcpus[0] ?? null;
    const spis: VgicIrq[] = [];
    for (let i = 0; i < this.nrSpis; i++) {
      const irq = new VgicIrq(Intid.NrPrivate + i, false);
      irq.group = group;
      irq.targetVcpu = vcpu0;
      spis.push(irq);
    }
    this.spis = spis;
    this.initialized = true;
    return true;
  }

  /**
   * `KVM_DEV_ARM_VGIC_GRP_NR_IRQS` (ARM-1.2).
   * @throws IrqError EINVAL (not a multiple of 32 in 64..1023), EBUSY (already set or ready).
   */
  setNrIrqs(nrIrqs: number): void {
    if (!Number.isInteger(nrIrqs) || nrIrqs < 64 || nrIrqs > 1023 || nrIrqs % 32 !== 0) {
      throw new IrqError(
        'EINVAL',
        `number of IRQs ${String(nrIrqs)} must be a multiple of 32 in 64..992`,
      );
    }
    if (this.initialized || this.nrIrqsSet) {
      throw new IrqError('EBUSY', 'the number of IRQs is already set or the VGIC is ready');
    }
    this.nrSpis = nrIrqs - Intid.NrPrivate;
    this.nrIrqs = nrIrqs;
    this.nrIrqsSet = true;
  }
}

/** KVM's `reset_mpidr`: Aff0 = id[3:0], Aff1 = id[11:4], Aff2 = id[19:12]. */
export function affinityOf(vcpu: number): number {
  return (vcpu & 0x0f) | (((vcpu >>> 4) & 0xff) << 8) | (((vcpu >>> 12) & 0xff) << 16);
}
