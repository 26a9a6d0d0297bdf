import { checkRange, IrqError } from '@irqkit/core';
import { DIST_V2 } from './gic/dist-v2.js';
import { DIST_V3 } from './gic/dist-v3.js';
import { REDIST_RD, REDIST_SGI, SGI_BASE } from './gic/redist.js';
import { type RegContext, regRead, regWrite } from './gic/regs.js';
import { ITS_REGS } from './its/its-regs.js';
import { savePendingTables } from './its/lpi.js';
import { restoreItsTables, saveItsTables } from './its/save.js';
import type { GicLayout } from './layout.js';
import { queueIrq } from './vgic/queue.js';
import type { Vgic } from './vgic/vgic.js';

/**
 * The VMM's device-attribute view of the VGIC and ITS (`KVM_DEV_ARM_VGIC_GRP_*`,
 * `KVM_DEV_ARM_ITS_*`; arm.md ARM-2.8, 5.8): 32-bit register accesses with the userspace
 * (`uaccess`) semantics, line levels, and the table save/restore controls. Every access needs
 * all vCPUs out of the guest (`'host'`), else EBUSY.
 */
export class UserAccess {
  /**
   * @param gic - the VGIC.
   * @param layout - frame addresses (unused offsets are frame-relative).
   */
  constructor(
    private readonly gic: Vgic,
    readonly layout: GicLayout,
  ) {}

  private ctx(vcpu: number): RegContext {
    const gic = this.gic;
    for (const v of gic.vcpus) {
      if (v.runState !== 'host') throw new IrqError('EBUSY', `vCPU ${v.id} is running`);
    }
    if (!gic.initialized) throw new IrqError('EBUSY', 'the VGIC is not initialised');
    const v = gic.vcpus[checkRange('vcpu', vcpu, 0, gic.vcpus.length - 1)]!;
    return { gic, v, user: true };
  }

  private offset(off: number): number {
    return checkRange('offset', off, 0, 0x1ffff) & ~3;
  }

  /** KVM_DEV_ARM_VGIC_GRP_DIST_REGS read (`vcpu` selects banked registers on GICv2). */
  readDist(offset: number, vcpu = 0): number {
    const c = this.ctx(vcpu);
    return regRead(this.gic.v3 ? DIST_V3 : DIST_V2, c, this.offset(offset), 4);
  }

  /** KVM_DEV_ARM_VGIC_GRP_DIST_REGS write. @throws IrqError EBUSY, EINVAL */
  writeDist(offset: number, value: number, vcpu = 0): void {
    const c = this.ctx(vcpu);
    regWrite(this.gic.v3 ? DIST_V3 : DIST_V2, c, this.offset(offset), 4, value >>> 0);
  }

  /** KVM_DEV_ARM_VGIC_GRP_REDIST_REGS read of `vcpu`'s redistributor (GICv3). */
  readRedist(vcpu: number, offset: number): number {
    const c = this.ctx(vcpu);
    const off = this.offset(offset);
    if (!this.gic.v3) throw new IrqError('ENXIO', 'no redistributors on a GICv2');
    return off >= SGI_BASE
      ? regRead(REDIST_SGI, c, off - SGI_BASE, 4)
      : regRead(REDIST_RD, c, off, 4);
  }

  /** KVM_DEV_ARM_VGIC_GRP_REDIST_REGS write. */
  writeRedist(vcpu: number, offset: number, value: number): void {
    const c = this.ctx(vcpu);
    const off = this.offset(offset);
    if (!this.gic.v3) throw new IrqError('ENXIO', 'no redistributors on a GICv2');
    if (off >= SGI_BASE) regWrite(REDIST_SGI, c, off - SGI_BASE, 4, value >>> 0);
    else regWrite(REDIST_RD, c, off, 4, value >>> 0);
  }

  /**
   * KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO read: the line levels of INTIDs `intid .. intid + 31`
   * (`intid` a multiple of 32; SGI bits read 0). @throws IrqError EINVAL
   */
  levelInfo(vcpu: number, intid: number): number {
    const c = this.ctx(vcpu);
    this.checkLevelIntid(intid);
    let val = 0;
    for (let i = 0; i < 32; i++) {
      const irq = this.gic.irq(c.v, intid + i);
      if (irq !== undefined && intid + i >= 16 && irq.lineLevel) val |= 1 << i;
    }
    return val >>> 0;
  }

  /** KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO write: sets `lineLevel` regardless of trigger (ARM-2.8). */
  setLevelInfo(vcpu: number, intid: number, bits: number): void {
    const c = this.ctx(vcpu);
    this.checkLevelIntid(intid);
    for (let i = 0; i < 32; i++) {
      const irq = this.gic.irq(c.v, intid + i);
      if (irq === undefined || intid + i < 16) continue;
      irq.lineLevel = ((bits >>> i) & 1) === 1;
      if (irq.lineLevel) queueIrq(this.gic, irq);
    }
  }

  private checkLevelIntid(intid: number): void {
    if (!Number.isInteger(intid) || intid % 32 !== 0 || intid < 0 || intid >= this.gic.nrIrqs) {
      throw new IrqError(
        'EINVAL',
        `level info INTID ${String(intid)} must be a multiple of 32 below ${this.gic.nrIrqs}`,
      );
    }
  }

  /** KVM_DEV_ARM_VGIC_GRP_ITS_REGS read (frame offset). @throws IrqError ENXIO without ITS */
  readIts(offset: number): number {
    const c = this.ctx(0);
    if (this.gic.its === null) throw new IrqError('ENXIO', 'no ITS');
    return regRead(ITS_REGS, c, checkRange('offset', offset, 0, 0x1ffff) & ~3, 4);
  }

  /** KVM_DEV_ARM_VGIC_GRP_ITS_REGS write (GITS_CREADR is restorable while disabled). */
  writeIts(offset: number, value: number): void {
    const c = this.ctx(0);
    if (this.gic.its === null) throw new IrqError('ENXIO', 'no ITS');
    regWrite(ITS_REGS, c, checkRange('offset', offset, 0, 0x1ffff) & ~3, 4, value >>> 0);
  }

  /** KVM_DEV_ARM_ITS_SAVE_TABLES. @throws IrqError EBUSY, EACCES, EFAULT */
  saveItsTables(): void {
    this.ctx(0);
    if (this.gic.its === null) throw new IrqError('ENXIO', 'no ITS');
    saveItsTables(this.gic.its);
  }

  /** KVM_DEV_ARM_ITS_RESTORE_TABLES. @throws IrqError EBUSY, EINVAL */
  restoreItsTables(): void {
    this.ctx(0);
    if (this.gic.its === null) throw new IrqError('ENXIO', 'no ITS');
    restoreItsTables(this.gic.its);
  }

  /** KVM_DEV_ARM_ITS_CTRL_RESET (ARM-5.8). */
  resetIts(): void {
    this.ctx(0);
    if (this.gic.its === null) throw new IrqError('ENXIO', 'no ITS');
    this.gic.its.reset();
  }

  /** KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES (ARM-5.4). */
  savePendingTables(): void {
    this.ctx(0);
    savePendingTables(this.gic);
  }
}
