import { MIN_LPI } from '../constants.js';
import { enableLpis, flushPendingLpis, updateLpiConfig } from '../its/lpi.js';
import { iidr } from './dist.js';
import * as r from './irq-regs.js';
import { ACC_8, ACC_32, ACC_64, plain, type RegContext, type Region, raz, wi } from './regs.js';

/** Bytes of one redistributor: RD_base then SGI_base (arm.md §2.3). */
export const REDIST_SIZE = 0x20000;
/** Offset of the SGI frame within a redistributor. */
export const SGI_BASE = 0x10000;

// ---- RD_base ------------------------------------------------------------------------------

function readCtlr(ctx: RegContext): number {
  const rev3 = ctx.gic.config.implementationRevision >= 3;
  return ((ctx.v.lpisEnabled ? 1 : 0) | (rev3 ? 0b110 : 0)) >>> 0;
}

/**
 * GICR_CTLR.EnableLPIs (WI without an ITS): 0 → 1 reads the pending table; 1 → 0 drops this
 * vCPU's LPIs from its ap_list and invalidates every translation cache.
 */
function writeCtlr(ctx: RegContext, _at: number, _size: number, val: number): void {
  const gic = ctx.gic;
  const v = ctx.v;
  if (!gic.config.its) return;
  const on = (val & 1) !== 0;
  if (on === v.lpisEnabled) return;
  v.lpisEnabled = on;
  if (on) enableLpis(gic, v);
  else {
    flushPendingLpis(v);
    gic.its?.invalidateCache();
  }
}

// GICR_TYPER: PLPIS [0], Last [4], Processor_Number [23:8], affinity [55:32].
function readTyper(ctx: RegContext, at: number): number {
  const { gic, v } = ctx;
  if (at === 4) return v.affinity & 0xffffff;
  let lo = (v.id & 0xffff) << 8;
  if (v.id === gic.vcpus.length - 1) lo |= 1 << 4;
  if (gic.config.its) lo |= 1;
  return lo >>> 0;
}

// PROPBASER/PENDBASER keep only non-RES0 fields, with KVM's cacheability sanitising.
function sanitiseLo(lo: number, resMask: number): number {
  let v = lo & resMask;
  const share = (v >>> 10) & 3;
  if (share === 2) v = (v & ~(3 << 10)) | (1 << 10); // outer → inner shareable
  const inner = (v >>> 7) & 7;
  if (inner === 0 || inner === 1) v = (v & ~(7 << 7)) | (7 << 7); // non-cacheable → RaWb
  return v >>> 0;
}

function sanitiseHi(hi: number): number {
  let v = hi & (0x000fffff | 0x07000000);
  const outer = (v >>> 24) & 7;
  if (outer !== 0 && outer !== 1) v &= ~(7 << 24); // → same as inner
  return v >>> 0;
}

function readPropbaser(ctx: RegContext, at: number): number {
  return ctx.gic.propbaser[at === 0 ? 0 : 1]!;
}

// Shared by all redistributors; ignored while *this* vCPU has LPIs enabled.
function writePropbaser(ctx: RegContext, at: number, _size: number, val: number): void {
  if (ctx.v.lpisEnabled) return;
  const p = ctx.gic.propbaser;
  if (at === 0) p[0] = sanitiseLo(val, ~0x60);
  else p[1] = sanitiseHi(val);
}

function readPendbaser(ctx: RegContext, at: number): number {
  return ctx.v.pendbaser[at === 0 ? 0 : 1]!; // PTZ reads 0
}

function writePendbaser(ctx: RegContext, at: number, _size: number, val: number): void {
  const v = ctx.v;
  if (v.lpisEnabled) return;
  if (at === 0) v.pendbaser[0] = sanitiseLo(val, 0xffff0f80);
  else {
    v.ptz = (val & (1 << 30)) !== 0;
    v.pendbaser[1] = sanitiseHi(val);
  }
}

// GICR_INVLPIR: re-read one LPI's configuration (ignored with LPIs disabled).
function writeInvlpir(ctx: RegContext, at: number, _size: number, val: number): void {
  if (at !== 0 || !ctx.v.lpisEnabled) return;
  const irq = val >= MIN_LPI ? ctx.gic.lpis.get(val >>> 0) : undefined;
  if (irq !== undefined) updateLpiConfig(ctx.gic, irq);
}

// GICR_INVALLR: re-read every LPI targeting this vCPU.
function writeInvallr(ctx: RegContext, at: number): void {
  if (at !== 0 || !ctx.v.lpisEnabled) return;
  for (const irq of ctx.gic.lpis.values())
    if (irq.targetVcpu === ctx.v) updateLpiConfig(ctx.gic, irq);
}

/** RD_base register map (arm.md §2.3). */
export const REDIST_RD: readonly Region[] = [
  plain('GICR_CTLR', 0x0000, 4, ACC_32, readCtlr, writeCtlr),
  plain('GICR_IIDR', 0x0004, 4, ACC_32, (ctx) => iidr(ctx.gic), wi),
  plain('GICR_TYPER', 0x0008, 8, ACC_32 | ACC_64, readTyper, wi),
  plain('GICR_STATUSR', 0x0010, 4, ACC_32, raz, wi),
  plain('GICR_WAKER', 0x0014, 4, ACC_32, raz, wi),
  plain('GICR_PROPBASER', 0x0070, 8, ACC_32 | ACC_64, readPropbaser, writePropbaser),
  plain('GICR_PENDBASER', 0x0078, 8, ACC_32 | ACC_64, readPendbaser, writePendbaser),
  plain('GICR_INVLPIR', 0x00a0, 8, ACC_32 | ACC_64, raz, writeInvlpir),
  plain('GICR_INVALLR', 0x00b0, 8, ACC_32 | ACC_64, raz, writeInvallr),
  plain('GICR_SYNCR', 0x00c0, 4, ACC_32, raz, wi),
  plain('GICR_ID', 0xffd0, 0x30, ACC_32, (_ctx, at) => (at === 0x18 ? 0x3b : 0), wi),
];

function sgiFrame(
  name: string,
  offset: number,
  bits: number,
  access: number,
  read: Region['read'],
  write: Region['write'],
  extra: Partial<Pick<Region, 'userRead' | 'userWrite'>> = {},
): Region {
  return { name, offset, length: (bits * 32) / 8, bitsPerIrq: bits, access, read, write, ...extra };
}

/** SGI_base register map: the banked SGI/PPI registers (arm.md §2.3). */
export const REDIST_SGI: readonly Region[] = [
  sgiFrame('GICR_IGROUPR0', 0x0080, 1, ACC_32, r.readGroup, r.writeGroup),
  sgiFrame('GICR_ISENABLER0', 0x0100, 1, ACC_32, r.readEnable, r.writeSenable),
  sgiFrame('GICR_ICENABLER0', 0x0180, 1, ACC_32, r.readEnable, r.writeCenable),
  sgiFrame('GICR_ISPENDR0', 0x0200, 1, ACC_32, r.readPending, r.writeSpending, {
    userRead: r.userReadPendingV3,
    userWrite: r.userWritePendingV3,
  }),
  sgiFrame('GICR_ICPENDR0', 0x0280, 1, ACC_32, r.readPending, r.writeCpending, {
    userRead: raz,
    userWrite: wi,
  }),
  sgiFrame('GICR_ISACTIVER0', 0x0300, 1, ACC_32, r.readActive, r.writeSactive),
  sgiFrame('GICR_ICACTIVER0', 0x0380, 1, ACC_32, r.readActive, r.writeCactive),
  sgiFrame('GICR_IPRIORITYR', 0x0400, 8, ACC_8 | ACC_32, r.readPriority, r.writePriority),
  sgiFrame('GICR_ICFGR', 0x0c00, 2, ACC_32, r.readConfig, r.writeConfig),
  sgiFrame('GICR_IGRPMODR0', 0x0d00, 1, ACC_32, raz, wi),
  plain('GICR_NSACR', 0x0e00, 4, ACC_32, raz, wi),
];
