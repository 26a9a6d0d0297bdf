import { NR_PRIVATE_IRQS, NR_SGIS, PRIORITY_MASK } from '../constants.js';
import { clearDirect, postDirect } from '../v4/direct.js';
import { physLineLevel, physSetActive } from '../vgic/hw.js';
import { queueIrq } from '../vgic/queue.js';
import { haltAll, resumeAll } from '../vgic/run.js';
import { isPending, type VgicIrq } from './irq.js';
import type { RegContext } from './regs.js';

/*
 * Behaviour of the per-IRQ registers shared by the v2 distributor, the v3 distributor and the
 * v3 redistributor SGI frame (arm.md §2.1–2.4). Each handler gets the first INTID an access
 * covers and the access size; decode tables live in dist-v2.ts, dist-v3.ts and redist.ts.
 */

function irqAt(ctx: RegContext, intid: number): VgicIrq | undefined {
  return ctx.gic.irq(ctx.v, intid);
}

/** A GICv4.1 vSGI: an SGI backed by the vPE (ARM-6.8). */
function isVsgi(irq: VgicIrq): boolean {
  return irq.hw && irq.vpe !== null && irq.intid < NR_SGIS;
}

function isV2Sgi(ctx: RegContext, irq: VgicIrq): boolean {
  return !ctx.gic.v3 && irq.intid < NR_SGIS;
}

/** Reads one bit per IRQ through `bit`. */
function readBits(
  ctx: RegContext,
  intid: number,
  size: number,
  bit: (irq: VgicIrq) => boolean,
): number {
  let val = 0;
  for (let i = 0; i < size * 8; i++) {
    const irq = irqAt(ctx, intid + i);
    if (irq !== undefined && bit(irq)) val |= 1 << i;
  }
  return val >>> 0;
}

/** Applies `op` to each IRQ whose bit is 1 in `val` (the write-1-to-act set/clear registers). */
function forSetBits(
  ctx: RegContext,
  intid: number,
  size: number,
  val: number,
  op: (ctx: RegContext, irq: VgicIrq) => void,
): void {
  for (let i = 0; i < size * 8; i++) {
    if (((val >>> i) & 1) === 0) continue;
    const irq = irqAt(ctx, intid + i);
    if (irq !== undefined) op(ctx, irq);
  }
}

// ---- IGROUPR -------------------------------------------------------------------------------

/** GICD_IGROUPR / GICR_IGROUPR0 read. */
export function readGroup(ctx: RegContext, intid: number, size: number): number {
  return readBits(ctx, intid, size, (irq) => irq.group === 1);
}

/** Group write: a group change may make an IRQ deliverable, so it is queued (ARM-2.3). */
export function writeGroup(ctx: RegContext, intid: number, size: number, val: number): void {
  for (let i = 0; i < size * 8; i++) {
    const irq = irqAt(ctx, intid + i);
    if (irq === undefined) continue;
    irq.group = (val >>> i) & 1;
    queueIrq(ctx.gic, irq);
  }
}

/** GICv2 userspace group write: honoured only after userspace wrote GICD_IIDR (ARM-2.8). */
export function userWriteGroupV2(ctx: RegContext, intid: number, size: number, val: number): void {
  if (ctx.gic.v2GroupsUserWritable) writeGroup(ctx, intid, size, val);
}

// ---- IS/ICENABLER --------------------------------------------------------------------------

/** ISENABLER / ICENABLER read. */
export function readEnable(ctx: RegContext, intid: number, size: number): number {
  return readBits(ctx, intid, size, (irq) => irq.enabled);
}

/**
 * ISENABLER write. A forwarded level IRQ re-reads its physical line and, if inactive and the
 * line fell, releases the physical active state (ARM-3.18).
 */
export function writeSenable(ctx: RegContext, intid: number, size: number, val: number): void {
  forSetBits(ctx, intid, size, val, enable);
}

function enable(ctx: RegContext, irq: VgicIrq): void {
  if (irq.hwLine !== null && irq.isLevel && !ctx.user) {
    const wasHigh = irq.lineLevel;
    irq.lineLevel = physLineLevel(irq);
    if (!irq.active && wasHigh && !irq.lineLevel) physSetActive(irq, false);
  }
  irq.enabled = true;
  queueIrq(ctx.gic, irq);
}

/** ICENABLER write: lazy — the IRQ leaves the ap_list at the next sync (ARM-2.3). */
export function writeCenable(ctx: RegContext, intid: number, size: number, val: number): void {
  forSetBits(ctx, intid, size, val, disable);
}

function disable(_ctx: RegContext, irq: VgicIrq): void {
  irq.enabled = false;
}

// ---- IS/ICPENDR ----------------------------------------------------------------------------

/**
 * Guest pending read: a vSGI reads its hardware pending bit; a forwarded level IRQ its
 * physical line (KVM `__read_pending`); others ARM-1.6.
 */
export function readPending(ctx: RegContext, intid: number, size: number): number {
  return readBits(ctx, intid, size, (irq) => {
    if (isVsgi(irq)) return irq.vptPending;
    if (irq.hwLine !== null && irq.isLevel) return physLineLevel(irq) || irq.pendingLatch;
    return isPending(irq);
  });
}

/** GICv3 userspace pending read: the latch only (line levels are saved separately). */
export function userReadPendingV3(ctx: RegContext, intid: number, size: number): number {
  return readBits(ctx, intid, size, (irq) => (isVsgi(irq) ? irq.vptPending : irq.pendingLatch));
}

/**
 * ISPENDR write (ARM-2.5): sets the latch and queues; a HW IRQ also becomes physically active;
 * a vSGI is made pending in hardware; GICv2 SGI bits are WI for the guest.
 */
export function writeSpending(ctx: RegContext, intid: number, size: number, val: number): void {
  forSetBits(ctx, intid, size, val, setPending);
}

function setPending(ctx: RegContext, irq: VgicIrq): void {
  if (isV2Sgi(ctx, irq) && !ctx.user) return;
  if (isVsgi(irq)) {
    postDirect(ctx.gic, irq);
    return;
  }
  irq.pendingLatch = true;
  if (irq.hwLine !== null && !ctx.user) physSetActive(irq, true);
  queueIrq(ctx.gic, irq);
}

/**
 * ICPENDR write (ARM-2.6): clears the latch only — a level IRQ with its line high stays
 * pending; a HW IRQ drops its physical pending state and, if not active, its active state.
 */
export function writeCpending(ctx: RegContext, intid: number, size: number, val: number): void {
  forSetBits(ctx, intid, size, val, clearPending);
}

function clearPending(ctx: RegContext, irq: VgicIrq): void {
  if (isV2Sgi(ctx, irq) && !ctx.user) return;
  if (isVsgi(irq)) {
    clearDirect(irq);
    return;
  }
  irq.pendingLatch = false;
  if (isV2Sgi(ctx, irq)) irq.source = 0;
  // The physical pending state of a level line is its device output; only active can go.
  if (irq.hwLine !== null && !ctx.user && !irq.active) physSetActive(irq, false);
}

/** GICv3 userspace ISPENDR write: sets the latch for 1 bits and clears it for 0 bits. */
export function userWritePendingV3(
  ctx: RegContext,
  intid: number,
  size: number,
  val: number,
): void {
  for (let i = 0; i < size * 8; i++) {
    const irq = irqAt(ctx, intid + i);
    if (irq === undefined) continue;
    if (((val >>> i) & 1) === 1) {
      irq.pendingLatch = true;
      queueIrq(ctx.gic, irq);
    } else {
      irq.pendingLatch = false;
    }
  }
}

// ---- IS/ICACTIVER --------------------------------------------------------------------------

/** Active read: the virtual active state only (ARM-2.7). */
export function readActive(ctx: RegContext, intid: number, size: number): number {
  return readBits(ctx, intid, size, (irq) => irq.active);
}

function changeActive(ctx: RegContext, irq: VgicIrq, active: boolean): void {
  if (isVsgi(irq)) {
    irq.active = false; // vSGIs have no active state
    return;
  }
  irq.active = active;
  if (irq.hwLine !== null && !ctx.user) physSetActive(irq, active);
  if (active && isV2Sgi(ctx, irq)) irq.activeSource = ctx.user ? 0 : ctx.v.id;
  if (active) queueIrq(ctx.gic, irq);
}

function activate(ctx: RegContext, irq: VgicIrq): void {
  changeActive(ctx, irq, true);
}

function deactivate(ctx: RegContext, irq: VgicIrq): void {
  changeActive(ctx, irq, false);
}

function writeActive(
  ctx: RegContext,
  intid: number,
  size: number,
  val: number,
  op: (ctx: RegContext, irq: VgicIrq) => void,
): void {
  // ARM-2.7: stop every vCPU so no LR copy overwrites the change (userspace runs stopped).
  if (!ctx.user) haltAll(ctx.gic);
  forSetBits(ctx, intid, size, val, op);
  if (!ctx.user) resumeAll(ctx.gic);
}

/** ISACTIVER write. */
export function writeSactive(ctx: RegContext, intid: number, size: number, val: number): void {
  writeActive(ctx, intid, size, val, activate);
}

/** ICACTIVER write. */
export function writeCactive(ctx: RegContext, intid: number, size: number, val: number): void {
  writeActive(ctx, intid, size, val, deactivate);
}

// ---- IPRIORITYR ----------------------------------------------------------------------------

/** IPRIORITYR read, one byte per IRQ. */
export function readPriority(ctx: RegContext, intid: number, size: number): number {
  let val = 0;
  for (let i = 0; i < size; i++) val |= (irqAt(ctx, intid + i)?.priority ?? 0) << (8 * i);
  return val >>> 0;
}

/** IPRIORITYR write: five priority bits are kept (ARM-2.9). */
export function writePriority(ctx: RegContext, intid: number, size: number, val: number): void {
  for (let i = 0; i < size; i++) {
    const irq = irqAt(ctx, intid + i);
    if (irq !== undefined) irq.priority = (val >>> (8 * i)) & PRIORITY_MASK;
  }
}

// ---- ICFGR ---------------------------------------------------------------------------------

/** ICFGR read: 0b10 for edge IRQs. */
export function readConfig(ctx: RegContext, intid: number, size: number): number {
  let val = 0;
  for (let i = 0; i < size * 4; i++) {
    const irq = irqAt(ctx, intid + i);
    if (irq !== undefined && !irq.isLevel) val |= 2 << (2 * i);
  }
  return val >>> 0;
}

/** ICFGR write: bit 2i+1 selects edge; SGIs and PPIs are WI (KVM). */
export function writeConfig(ctx: RegContext, intid: number, size: number, val: number): void {
  for (let i = 0; i < size * 4; i++) {
    if (intid + i < NR_PRIVATE_IRQS) continue;
    const irq = irqAt(ctx, intid + i);
    if (irq !== undefined) irq.isLevel = ((val >>> (2 * i + 1)) & 1) === 0;
  }
}

// ---- ITARGETSR (v2) ------------------------------------------------------------------------

/** GICD_ITARGETSR read: private IRQs read the own-CPU bit. */
export function readTargets(ctx: RegContext, intid: number, size: number): number {
  let val = 0;
  for (let i = 0; i < size; i++) {
    const id = intid + i;
    const t = id < NR_PRIVATE_IRQS ? 1 << ctx.v.id : (irqAt(ctx, id)?.targets ?? 0);
    val |= (t & 0xff) << (8 * i);
  }
  return val >>> 0;
}

/** GICD_ITARGETSR write: SPIs deliver to the lowest set bit, vCPU 0 when none. */
export function writeTargets(ctx: RegContext, intid: number, size: number, val: number): void {
  if (intid < NR_PRIVATE_IRQS) return;
  const gic = ctx.gic;
  const mask = (1 << gic.vcpus.length) - 1;
  for (let i = 0; i < size; i++) {
    const irq = irqAt(ctx, intid + i);
    if (irq === undefined) continue;
    irq.targets = (val >>> (8 * i)) & 0xff & mask;
    const t = irq.targets === 0 ? 0 : 31 - Math.clz32(irq.targets & -irq.targets);
    irq.targetVcpu = gic.vcpus[t] ?? null;
  }
}
