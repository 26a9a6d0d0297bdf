import { IrqError } from '@irqkit/core';
import { distTyper, iidr, setDistEnabled } from './dist.js';
import { isPending } from './irq.js';
import * as r from './irq-regs.js';
import { ACC_8, ACC_32, perIrq, plain, type RegContext, type Region, raz } from './regs.js';
import { dispatchSgiV2, readSgiPend, writeSgiPend } from './sgi.js';

function readMisc(ctx: RegContext, at: number): number {
  const gic = ctx.gic;
  if (at === 0) return gic.enabled ? 1 : 0;
  if (at === 4) return distTyper(gic);
  return iidr(gic);
}

function writeMisc(ctx: RegContext, at: number, _size: number, val: number): void {
  if (at === 0) setDistEnabled(ctx.gic, (val & 1) !== 0);
}

// Userspace may write GICD_IIDR with the value it reads; that unlocks group writes (ARM-2.8).
function userWriteMisc(ctx: RegContext, at: number, size: number, val: number): void {
  if (at === 8) {
    if (val >>> 0 !== iidr(ctx.gic)) throw new IrqError('EINVAL', 'GICD_IIDR does not match');
    ctx.gic.v2GroupsUserWritable = true;
    return;
  }
  writeMisc(ctx, at, size, val);
}

function userReadPendingV2(ctx: RegContext, intid: number, size: number): number {
  let val = 0;
  for (let i = 0; i < size * 8; i++) if (isPending(ctx.gic.irq(ctx.v, intid + i)!)) val |= 1 << i;
  return val >>> 0;
}

// GICD_CPENDSGIR / GICD_SPENDSGIR: one byte of source-CPU bits per SGI; a write clears or sets.
function sgiPend(name: string, offset: number, set: boolean): Region {
  return plain(
    name,
    offset,
    16,
    ACC_8 | ACC_32,
    (ctx, at, size) => readSgiPend(ctx.v, at, size),
    (ctx, at, size, val) => writeSgiPend(ctx.gic, ctx.v, at, size, val, set),
  );
}

/** The GICv2 distributor register map (4 KiB frame, arm.md §2.1). */
export const DIST_V2: readonly Region[] = [
  plain('GICD_CTLR/TYPER/IIDR', 0x000, 12, ACC_32, readMisc, writeMisc, {
    userWrite: userWriteMisc,
  }),
  perIrq('GICD_IGROUPR', 0x080, 1, ACC_32, r.readGroup, r.writeGroup, {
    userWrite: r.userWriteGroupV2,
  }),
  perIrq('GICD_ISENABLER', 0x100, 1, ACC_32, r.readEnable, r.writeSenable),
  perIrq('GICD_ICENABLER', 0x180, 1, ACC_32, r.readEnable, r.writeCenable),
  perIrq('GICD_ISPENDR', 0x200, 1, ACC_32, r.readPending, r.writeSpending, {
    userRead: userReadPendingV2,
  }),
  perIrq('GICD_ICPENDR', 0x280, 1, ACC_32, r.readPending, r.writeCpending, {
    userRead: userReadPendingV2,
  }),
  perIrq('GICD_ISACTIVER', 0x300, 1, ACC_32, r.readActive, r.writeSactive),
  perIrq('GICD_ICACTIVER', 0x380, 1, ACC_32, r.readActive, r.writeCactive),
  perIrq('GICD_IPRIORITYR', 0x400, 8, ACC_8 | ACC_32, r.readPriority, r.writePriority),
  perIrq('GICD_ITARGETSR', 0x800, 8, ACC_8 | ACC_32, r.readTargets, r.writeTargets),
  perIrq('GICD_ICFGR', 0xc00, 2, ACC_32, r.readConfig, r.writeConfig),
  plain('GICD_SGIR', 0xf00, 4, ACC_32, raz, (ctx, _at, _size, val) =>
    dispatchSgiV2(ctx.gic, ctx.v, val),
  ),
  sgiPend('GICD_CPENDSGIR', 0xf10, false),
  sgiPend('GICD_SPENDSGIR', 0xf20, true),
];
