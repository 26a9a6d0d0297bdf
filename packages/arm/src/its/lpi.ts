import { MAX_LPI_INTID, MIN_LPI } from '../constants.js';
import type { VgicIrq } from '../gic/irq.js';
import { queueIrq } from '../vgic/queue.js';
import type { VgicCpu } from '../vgic/vcpu.js';
import type { Vgic } from '../vgic/vgic.js';

/** GICR_PROPBASER.PA ([51:12]). */
export function propbaseAddress(gic: Vgic): number {
  const [lo, hi] = gic.propbaser;
  return (lo & 0xfffff000) + (hi & 0xfffff) * 2 ** 32;
}

/** GICR_PENDBASER.PA ([51:16]) of `v`. */
export function pendbaseAddress(v: VgicCpu): number {
  const [lo, hi] = v.pendbaser;
  return (lo & 0xffff0000) + (hi & 0xfffff) * 2 ** 32;
}

// An LPI's pending bit: bit `intid % 8` of byte `intid / 8` of its target's pending table.
function pendingByteAddress(v: VgicCpu, intid: number): number {
  return pendbaseAddress(v) + Math.floor(intid / 8);
}

function pendingBit(intid: number): number {
  return 1 << (intid % 8);
}

/** The largest usable LPI INTID + 1: `2^min(PROPBASER.IDbits + 1, 16)` (ARM-5.3). */
export function lpiLimit(gic: Vgic): number {
  const bits = Math.min((gic.propbaser[0] & 0x1f) + 1, 16);
  return Math.min(2 ** bits, MAX_LPI_INTID + 1);
}

/** True if `intid` is a usable LPI INTID under the current PROPBASER. */
export function validLpi(gic: Vgic, intid: number): boolean {
  return intid >= MIN_LPI && intid < lpiLimit(gic);
}

/**
 * ARM-5.3 `update_lpi_config`: reads the LPI's configuration byte — priority `byte & 0xFC`,
 * enable bit 0 — and queues it if that made it deliverable. The only times the table is read
 * are LPI creation, INV, INVALL, GICR_INVLPIR and GICR_INVALLR.
 */
export function updateLpiConfig(gic: Vgic, irq: VgicIrq): void {
  const byte = gic.memory.read8(propbaseAddress(gic) + (irq.intid - MIN_LPI));
  if (byte < 0) return; // unreadable table: keep the cached config
  irq.priority = byte & 0xfc;
  irq.enabled = (byte & 1) !== 0;
  queueIrq(gic, irq);
}

/**
 * ARM-5.4 `vgic_v3_lpi_sync_pending_status`: the bit of `irq` in its target's pending table
 * becomes the latch; a set bit is consumed (cleared in memory).
 */
export function syncLpiPending(gic: Vgic, irq: VgicIrq): void {
  const v = irq.targetVcpu;
  if (v === null) return;
  const addr = pendingByteAddress(v, irq.intid);
  const byte = gic.memory.read8(addr);
  if (byte < 0) return;
  const bit = pendingBit(irq.intid);
  const status = (byte & bit) !== 0;
  if (irq.hw && irq.vpe !== null) return; // a vLPI's pending state lives in the VPT
  irq.pendingLatch = status;
  queueIrq(gic, irq);
  if (status) gic.memory.write8(addr, byte & ~bit);
}

/** `vgic_enable_lpis`: GICR_CTLR.EnableLPIs 0 → 1 reads the pending table (unless PTZ). */
export function enableLpis(gic: Vgic, v: VgicCpu): void {
  if (v.ptz) return;
  for (const irq of gic.lpis.values()) if (irq.targetVcpu === v) syncLpiPending(gic, irq);
}

/** `vgic_flush_pending_lpis`: EnableLPIs 1 → 0 drops every LPI from `v`'s ap_list. */
export function flushPendingLpis(v: VgicCpu): void {
  const list = v.apList;
  let w = 0;
  for (let i = 0; i < v.apLen; i++) {
    const irq = list[i]!;
    if (irq.intid >= MIN_LPI) irq.vcpu = null;
    else list[w++] = irq;
  }
  v.apTruncate(w);
}

/**
 * `vgic_v3_save_pending_tables` (ARM-5.4, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES): writes each
 * LPI's pending state (a vLPI's VPT bit) into its target's pending table.
 */
export function savePendingTables(gic: Vgic): void {
  for (const irq of gic.lpis.values()) {
    const v = irq.targetVcpu;
    if (v === null) continue;
    const addr = pendingByteAddress(v, irq.intid);
    const byte = gic.memory.read8(addr);
    if (byte < 0) continue;
    const bit = pendingBit(irq.intid);
    const pending = irq.hw && irq.vpe !== null ? irq.vptPending : irq.pendingLatch;
    gic.memory.write8(addr, pending ? byte | bit : byte & ~bit);
  }
}
