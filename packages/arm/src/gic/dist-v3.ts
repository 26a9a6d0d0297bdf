import { IrqError } from '@irqkit/core';
import { NR_PRIVATE_IRQS } from '../constants.js';
import { distTyper, iidr, readDistCtlrV3, writeDistCtlrV3 } from './dist.js';
import * as r from './irq-regs.js';
import {
  ACC_8,
  ACC_32,
  ACC_64,
  perIrq,
  plain,
  type RegContext,
  type Region,
  raz,
  wi,
} from './regs.js';

function readMisc(ctx: RegContext, at: number): number {
  const gic = ctx.gic;
  switch (at) {
    case 0x0:
      return readDistCtlrV3(gic);
    case 0x4:
      return distTyper(gic);
    case 0x8:
      return iidr(gic);
    default:
      return gic.vsgiCapable ? 1 << 8 : 0; // GICD_TYPER2.nASSGIcap
  }
}

function writeMisc(ctx: RegContext, at: number, _size: number, val: number): void {
  if (at === 0) writeDistCtlrV3(ctx.gic, val);
}

// Userspace restores CTLR directly; IIDR/TYPER2 must match what they read.
function userWriteMisc(ctx: RegContext, at: number, size: number, val: number): void {
  if (at === 0x8 || at === 0xc) {
    if (val >>> 0 !== readMisc(ctx, at))
      throw new IrqError('EINVAL', 'read-only ID register mismatch');
    return;
  }
  writeMisc(ctx, at, size, val);
}

// GICD_IROUTER<n>: bits [23:0] kept; the upper word and IRM are RAZ/WI (ARM-2.2).
function readIrouter(ctx: RegContext, at: number): number {
  const intid = at >>> 3;
  if (intid < NR_PRIVATE_IRQS || (at & 4) !== 0) return 0;
  return ctx.gic.irq(null, intid)?.mpidr ?? 0;
}

function writeIrouter(ctx: RegContext, at: number, _size: number, val: number): void {
  const intid = at >>> 3;
  if (intid < NR_PRIVATE_IRQS || (at & 4) !== 0) return;
  const irq = ctx.gic.irq(null, intid);
  if (irq === undefined) return;
  irq.mpidr = val & 0xffffff;
  irq.targetVcpu = ctx.gic.vcpuByAffinity(irq.mpidr);
}

function readIdRegs(_ctx: RegContext, at: number): number {
  return at === 0x18 ? 0x3b : 0; // GICD_PIDR2 at 0xFFE8: ArchRev 3
}

/** The GICv3 distributor register map (64 KiB frame, arm.md §2.2). */
export const DIST_V3: readonly Region[] = [
  plain('GICD_CTLR/TYPER/IIDR/TYPER2', 0x0000, 16, ACC_32, readMisc, writeMisc, {
    userWrite: userWriteMisc,
  }),
  perIrq('GICD_IGROUPR', 0x0080, 1, ACC_32, r.readGroup, r.writeGroup, { privateRazWi: true }),
  perIrq('GICD_ISENABLER', 0x0100, 1, ACC_32, r.readEnable, r.writeSenable, { privateRazWi: true }),
  perIrq('GICD_ICENABLER', 0x0180, 1, ACC_32, r.readEnable, r.writeCenable, { privateRazWi: true }),
  perIrq('GICD_ISPENDR', 0x0200, 1, ACC_32, r.readPending, r.writeSpending, {
    privateRazWi: true,
    userRead: r.userReadPendingV3,
    userWrite: r.userWritePendingV3,
  }),
  perIrq('GICD_ICPENDR', 0x0280, 1, ACC_32, r.readPending, r.writeCpending, {
    privateRazWi: true,
    userRead: raz,
    userWrite: wi,
  }),
  perIrq('GICD_ISACTIVER', 0x0300, 1, ACC_32, r.readActive, r.writeSactive, { privateRazWi: true }),
  perIrq('GICD_ICACTIVER', 0x0380, 1, ACC_32, r.readActive, r.writeCactive, { privateRazWi: true }),
  perIrq('GICD_IPRIORITYR', 0x0400, 8, ACC_8 | ACC_32, r.readPriority, r.writePriority, {
    privateRazWi: true,
  }),
  perIrq('GICD_ITARGETSR', 0x0800, 8, ACC_8 | ACC_32, raz, wi),
  perIrq('GICD_ICFGR', 0x0c00, 2, ACC_32, r.readConfig, r.writeConfig, { privateRazWi: true }),
  perIrq('GICD_IGRPMODR', 0x0d00, 1, ACC_32, raz, wi),
  plain('GICD_IROUTER', 0x6000, 8 * 1024, ACC_32 | ACC_64, readIrouter, writeIrouter),
  plain('GICD_ID', 0xffd0, 0x30, ACC_32, readIdRegs, wi),
];
