import { HcrBit, IDLE_PRIORITY, Intid, Lr, MisrBit } from '../constants.js';
import { LrByte, LrWord } from '../vgic/lr.js';
import { misr } from '../vgic/maintenance.js';
import { beginTrap, bounce, endTrap } from '../vgic/run.js';
import type { VgicCpu } from '../vgic/vcpu.js';
import type { Vgic } from '../vgic/vgic.js';
import { trappedDeactivate } from './deactivate.js';
import type { VgicIrq } from './irq.js';

/*
 * The virtual CPU interface as the hardware runs it on a vCPU's list registers (arm.md §2.5):
 * acknowledge, priority drop, deactivation, running priority, PMR — none of it exits, except
 * the maintenance interrupts of ARM-3.12 and a trapped DIR (ARM-2.13).
 */

/** Group priority with the binary point fixed at reset (ARM-2.9: all five bits). */
function groupPriority(priority: number): number {
  return priority & 0xf8;
}

function groupEnabled(v: VgicCpu, group: number): boolean {
  return (group === 0 ? v.grpEn0 : v.grpEn1) === true; // === true: see oracle() in queue.ts
}

/** Running priority: the highest active priority, or idle 0xFF (ARM-2.9). */
export function runningPriority(v: VgicCpu): number {
  const ap = (v.ap0 | v.ap1) >>> 0;
  if (ap === 0) return IDLE_PRIORITY;
  return (31 - Math.clz32(ap & -ap)) << 3;
}

/**
 * The highest-priority pending interrupt among pending LRs and, while the vPE is resident,
 * its direct vLPIs/vSGIs; only enabled groups count (ARM-2.10). Encoded to avoid allocation:
 * `n ≥ 0` LR n, `−2 − k` direct entry k, −1 none.
 */
export function hppi(gic: Vgic, v: VgicCpu): number {
  const bytes = v.lr.bytes;
  let best = -1;
  let bestPrio = 0x100;
  for (let n = 0; n < v.usedLrs; n++) {
    if (bytes[LrByte.State + n] !== Lr.Pending) continue;
    if (!groupEnabled(v, bytes[LrByte.Group + n]!)) continue;
    const p = bytes[LrByte.Priority + n]!;
    if (p < bestPrio) {
      best = n;
      bestPrio = p;
    }
  }
  const vpe = v.vpe;
  if (vpe.pendingCount > 0 && vpe.resident === true) return hppiDirect(gic, v, best, bestPrio);
  return best;
}

/** {@link hppi} continued over the resident vPE's direct vLPIs/vSGIs (out of line). */
function hppiDirect(gic: Vgic, v: VgicCpu, lrBest: number, lrPrio: number): number {
  let best = lrBest;
  let bestPrio = lrPrio;
  const vpe = v.vpe;
  const d = vpe.pending;
  for (let k = 0; k < vpe.pendingCount; k++) {
    const irq = d[k]!;
    if (irq.enabled !== true || !groupEnabled(v, irq.group)) continue;
    if (irq.intid < Intid.NrSgis && gic.enabled !== true) continue;
    if (irq.priority < bestPrio) {
      best = -2 - k;
      bestPrio = irq.priority;
    }
  }
  return best;
}

function candidateGroup(v: VgicCpu, h: number): number {
  return h >= 0 ? v.lr.bytes[LrByte.Group + h]! : v.vpe.pending[-2 - h]!.group;
}

/** ICC_HPPIRn / GICV_HPPIR: the HPPI's INTID for `group` (−1: any), or 1023. */
export function readHppir(gic: Vgic, v: VgicCpu, group: number): number {
  const h = hppi(gic, v);
  if (h === -1 || (group >= 0 && candidateGroup(v, h) !== group)) return Intid.Spurious;
  return h >= 0 ? v.lr.words[LrWord.Vintid + h]! : v.vpe.pending[-2 - h]!.intid;
}

/**
 * ARM-2.11 acknowledge (ICC_IAR1/IAR0, GICV_IAR): if the HPPI of `group` (−1: any) is
 * signalled — priority below PMR and above the running priority — it goes Pending → Active,
 * its priority becomes active, and its INTID (v2 SGIs: with the source CPU) is returned;
 * otherwise 1023 and nothing changes.
 */
export function acknowledge(gic: Vgic, v: VgicCpu, group: number): number {
  const h = hppi(gic, v);
  if (h === -1) return Intid.Spurious;
  // Read the candidate's priority and group in place (no helper call per acknowledge).
  let prio: number;
  let grp: number;
  const lr = v.lr;
  if (h >= 0) {
    prio = lr.bytes[LrByte.Priority + h]!;
    grp = lr.bytes[LrByte.Group + h]!;
  } else {
    const d = v.vpe.pending[-2 - h]!;
    prio = d.priority;
    grp = d.group;
  }
  if (group >= 0 && grp !== group) return Intid.Spurious;
  if (!(prio < v.pmr && groupPriority(prio) < runningPriority(v))) return Intid.Spurious;
  const bit = 1 << (prio >>> 3);
  if (grp === 0) v.ap0 = (v.ap0 | bit) >>> 0;
  else v.ap1 = (v.ap1 | bit) >>> 0;
  let intid: number;
  if (h >= 0) {
    lr.bytes[LrByte.State + h] = Lr.Active;
    intid = lr.words[LrWord.Vintid + h]!;
    // Pending → Active can only change NP of the maintenance status (ARM-3.12).
    if ((v.hcr & HcrBit.NPIE) !== 0) v.misr = misr(v);
  } else {
    // A direct vLPI/vSGI: the hardware consumes the VPT bit; there is no active state.
    const irq = v.vpe.pending[-2 - h]!;
    v.vpe.clearPending(irq);
    intid = irq.intid;
  }
  if (gic.trace.enabled === true) gic.trace.emit({ type: 'take', vcpu: v.id, token: intid });
  return intid;
}

function isSpecial(gic: Vgic, value: number): boolean {
  const id = gic.v3 === true ? value : value & 0x3ff;
  return id >= 1020 && id <= 1023;
}

/**
 * Deactivates `value` in the LRs (ARM-2.12 second half): Active → Invalid, Pending+Active →
 * Pending; a HW entry deactivates its physical interrupt at once. Not found: see
 * {@link deactivateMissed}.
 */
function deactivate(gic: Vgic, v: VgicCpu, value: number, isDir: boolean): void {
  const lr = v.lr;
  const bytes = lr.bytes;
  const words = lr.words;
  for (let n = 0; n < v.usedLrs; n++) {
    const s = bytes[LrByte.State + n]!;
    if (words[LrWord.Vintid + n] !== value || (s & Lr.Active) === 0) continue;
    bytes[LrByte.State + n] = s & Lr.Pending;
    // Active → Invalid can raise EOI or U of the maintenance status; Pending+Active → Pending
    // changes none of it (ARM-3.12). Updated before the physical deactivation, which may
    // re-enter the guest (and so recompute it).
    if (s === Lr.Active) lrInvalidated(v, n);
    if (bytes[LrByte.Hw + n] === 1) physDeactivateLr(lr.irq[n] ?? null);
    if (gic.trace.enabled === true) gic.trace.emit({ type: 'eoi', vcpu: v.id, token: value });
    return;
  }
  deactivateMissed(gic, v, value, isDir);
}

/** Keeps {@link VgicCpu.misr} current after LR `n` became invalid. */
function lrInvalidated(v: VgicCpu, n: number): void {
  const bytes = v.lr.bytes;
  if ((v.hcr & HcrBit.UIE) !== 0) v.misr = misr(v);
  else if (bytes[LrByte.Eoi + n] === 1 && bytes[LrByte.Hw + n] === 0) v.misr |= MisrBit.EOI;
}

/**
 * A deactivation that found no active LR: the hardware counts EOIcount (LPIs and, with
 * vSGIEOICount, vSGIs are not counted), or — for DIR with TDIR set — the write traps to KVM
 * (ARM-2.13). Out of line: the hot EOI path finds its LR.
 */
function deactivateMissed(gic: Vgic, v: VgicCpu, value: number, isDir: boolean): void {
  const intid = gic.v3 ? value : value & 0x3ff;
  if (intid >= Intid.MinLpi) return;
  if (intid < Intid.NrSgis && (v.hcr & HcrBit.vSGIEOICount) !== 0 && gic.nassgireq) return;
  if (isDir && gic.v3 && (v.hcr & HcrBit.TDIR) !== 0) {
    const trapped = beginTrap(gic, v, v.c['exits.sysreg']);
    trappedDeactivate(gic, v, value);
    endTrap(gic, v, trapped);
    return;
  }
  v.eoiCount++;
  if ((v.hcr & HcrBit.LRENPIE) !== 0) v.misr |= MisrBit.LRENP;
}

function physDeactivateLr(irq: VgicIrq | null): void {
  irq?.hwLine?.deactivate();
}

/** ICC_EOIRn / GICV_EOIR (ARM-2.12 … 2.14): priority drop, plus deactivation in EOImode 0. */
export function writeEoir(gic: Vgic, v: VgicCpu, value: number): void {
  // INTIDs 1020..1023 are special (no drop, no deactivation); a GICv2 value carries the
  // source CPU above bit 9.
  const id = gic.v3 === true ? value : value & 0x3ff;
  if (id >= 1020 && id <= 1023) return;
  // ARM-2.12 priority drop (written out: this runs on every EOI).
  const ap = (v.ap0 | v.ap1) >>> 0;
  if (ap !== 0) {
    const bit = ap & -ap;
    if ((v.ap0 & bit) !== 0) v.ap0 = (v.ap0 & ~bit) >>> 0;
    else v.ap1 = (v.ap1 & ~bit) >>> 0;
  }
  if (v.eoiMode === 0) deactivate(gic, v, value, false);
}

/** ICC_DIR / GICV_DIR (ARM-2.13): deactivation only, and only in EOImode 1. */
export function writeDir(gic: Vgic, v: VgicCpu, value: number): void {
  if (v.eoiMode === 0 || isSpecial(gic, value)) return;
  deactivate(gic, v, value, true);
}

/**
 * ARM-3.12: after a guest action, a maintenance condition that became true forces one
 * `maintenance` exit; fold/prune/flush then present the next batch. Recomputes the status
 * from the LRs and VMCR (any guest action).
 */
export function checkMaintenance(gic: Vgic, v: VgicCpu, before: number): void {
  if (v.inGuest !== true) return;
  v.misr = misr(v);
  raiseMaintenance(gic, v, before);
}

/**
 * {@link checkMaintenance} after acknowledge, EOI or deactivation, which keep
 * {@link VgicCpu.misr} current themselves (they know which LR changed, and how).
 */
export function raiseMaintenance(gic: Vgic, v: VgicCpu, before: number): void {
  if (v.inGuest !== true) return;
  const now = v.misr;
  if ((now & ~before) === 0) return;
  if (gic.trace.enabled === true)
    gic.trace.emit({ type: 'arm.maintenance', vcpu: v.id, misr: now });
  bounce(gic, v, v.maintenanceCounter);
}
