import type { Scheduler } from '@irqkit/core';
import { IDLE_PRIORITY, Intid, PRIORITY_MASK } from '../constants.js';
import { beginTrap, endTrap, ensureRunning } from '../vgic/run.js';
import type { VgicCpu } from '../vgic/vcpu.js';
import type { Vgic } from '../vgic/vgic.js';
import {
  acknowledge,
  checkMaintenance,
  raiseMaintenance,
  readHppir,
  runningPriority,
  writeDir,
  writeEoir,
} from './cpuif.js';
import { dispatchSgiV3 } from './sgi.js';

/**
 * One vCPU's virtual CPU interface as its guest uses it (ICV_* system registers on GICv3,
 * the GICV frame on GICv2). Every call is the guest executing on that vCPU: a vCPU that is not
 * running is entered first; maintenance interrupts the action causes are taken before the
 * call returns (ARM-3.12). Nothing here throws.
 */
export class CpuInterface {
  /**
   * @param gic - the VGIC.
   * @param v - the vCPU.
   */
  constructor(
    private readonly gic: Vgic,
    private readonly v: VgicCpu,
  ) {
    this.sched = gic.host.scheduler;
  }

  // The host's scheduler (fixed for the machine's life), read on every guest verb.
  private readonly sched: Scheduler;

  /** vCPU index. */
  get vcpu(): number {
    return this.v.id;
  }

  private begin(): number {
    this.sched.enter();
    if (this.v.runState !== 'guest') ensureRunning(this.gic, this.v);
    return this.v.misr;
  }

  private end(before: number): void {
    try {
      checkMaintenance(this.gic, this.v, before);
    } finally {
      this.sched.exit();
    }
  }

  /** Acknowledge: ICC_IAR1_EL1 (`group` 1), ICC_IAR0_EL1 (0), GICV_IAR (−1: any group). */
  iar(group: 0 | 1 | -1 = this.gic.v3 === true ? 1 : -1): number {
    // The two guest verbs of every delivery cycle bracket themselves in one try/finally
    // (begin/end nest two).
    const gic = this.gic;
    const v = this.v;
    const sched = this.sched;
    sched.enter();
    let intid = Intid.Spurious;
    try {
      if (v.runState !== 'guest') ensureRunning(gic, v);
      const before = v.misr;
      intid = acknowledge(gic, v, group);
      raiseMaintenance(gic, v, before);
    } finally {
      sched.exit();
    }
    return intid;
  }

  /** End of interrupt: ICC_EOIR1/EOIR0_EL1, GICV_EOIR (ARM-2.12, 2.13). */
  eoir(value: number): void {
    const gic = this.gic;
    const v = this.v;
    const sched = this.sched;
    sched.enter();
    try {
      if (v.runState !== 'guest') ensureRunning(gic, v);
      const before = v.misr;
      writeEoir(gic, v, value >>> 0);
      raiseMaintenance(gic, v, before);
    } finally {
      sched.exit();
    }
  }

  /** Deactivate: ICC_DIR_EL1 / GICV_DIR (EOImode 1 only; may trap with TDIR). */
  dir(value: number): void {
    const before = this.begin();
    try {
      writeDir(this.gic, this.v, value >>> 0);
    } finally {
      this.end(before);
    }
  }

  /** ICC_HPPIRn / GICV_HPPIR. */
  hppir(group: 0 | 1 | -1 = this.gic.v3 === true ? 1 : -1): number {
    return readHppir(this.gic, this.v, group);
  }

  /** ICC_RPR_EL1 / GICV_RPR: the running priority (0xFF idle). */
  get rpr(): number {
    return runningPriority(this.v);
  }

  /** ICC_PMR_EL1 / GICV_PMR: five bits kept (0xFF reads 0xF8). */
  get pmr(): number {
    return this.v.pmr;
  }

  set pmr(value: number) {
    const before = this.begin();
    try {
      this.v.pmr = (value >>> 0) & PRIORITY_MASK;
    } finally {
      this.end(before);
    }
  }

  /** EOImode (ICC_CTLR_EL1.EOImode, GICV_CTLR.EOImode). */
  get eoiMode(): 0 | 1 {
    return this.v.eoiMode === 0 ? 0 : 1;
  }

  set eoiMode(mode: 0 | 1) {
    const before = this.begin();
    try {
      this.v.eoiMode = mode === 1 ? 1 : 0;
    } finally {
      this.end(before);
    }
  }

  /** ICC_IGRPEN<group>_EL1 / GICV_CTLR.EnableGrp<group>. */
  groupEnabled(group: 0 | 1): boolean {
    return group === 0 ? this.v.grpEn0 : this.v.grpEn1;
  }

  /** Enables or disables a group; with VGrp*EIE/DIE set this raises a maintenance exit. */
  setGroupEnabled(group: 0 | 1, on: boolean): void {
    const before = this.begin();
    try {
      if (group === 0) this.v.grpEn0 = on;
      else this.v.grpEn1 = on;
    } finally {
      this.end(before);
    }
  }

  /** ICC_AP0R0_EL1 / ICC_AP1R0_EL1 (GICV_APR): active-priority bits of a group. */
  apr(group: 0 | 1): number {
    return group === 0 ? this.v.ap0 : this.v.ap1;
  }

  /** Writes the active-priority bits of a group (what a guest restoring state does). */
  setApr(group: 0 | 1, value: number): void {
    const before = this.begin();
    try {
      if (group === 0) this.v.ap0 = value >>> 0;
      else this.v.ap1 = value >>> 0;
    } finally {
      this.end(before);
    }
  }

  /**
   * ICC_SGI1R_EL1 (`allowGroup1`, default) or ICC_SGI0R_EL1 (GICv3 only): a trapped system
   * register write, one `sysreg` exit on this vCPU (ARM-2.4).
   */
  sgi(value: bigint, allowGroup1 = true): void {
    if (!this.gic.v3) return;
    const s = this.sched;
    s.enter();
    try {
      ensureRunning(this.gic, this.v);
      const trapped = beginTrap(this.gic, this.v, this.v.c['exits.sysreg']);
      dispatchSgiV3(this.gic, this.v, value, allowGroup1);
      endTrap(this.gic, this.v, trapped);
    } finally {
      s.exit();
    }
  }

  /** True if nothing is active (running priority idle). */
  get idle(): boolean {
    return runningPriority(this.v) === IDLE_PRIORITY;
  }
}
