import { HcrBit, Intid, Lr } from '../constants.js';
import type { VgicIrq } from '../gic/irq.js';
import { LrByte, LrWord } from './lr.js';
import type { VgicCpu } from './vcpu.js';
import type { Vgic } from './vgic.js';

/**
 * Guest entry: `vgic_flush_lr_state` + `vgic_v3_configure_hcr` (ARM-3.5 … 3.8). Counts the
 * ap_list, sorts it only on overflow, writes one LR per interrupt routed here, clears the
 * rest and computes ICH_HCR. Allocation-free.
 */
export function flush(gic: Vgic, v: VgicCpu): void {
  const len = v.apLen;
  if (gic.v3 !== true || len > v.lr.count) {
    flushCounted(gic, v);
    return;
  }
  // Every entry needs at most one LR (no multi-source SGIs on GICv3), so nothing can be left
  // outside: ARM-3.5's count and ARM-3.7's populate are one pass, in list order, and every
  // active interrupt gets its LR.
  const list = v.apList;
  let nrSgi = 0;
  let used = 0;
  for (let i = 0; i < len; i++) {
    const irq = list[i]!;
    if (!routedHere(gic, v, irq)) continue;
    if (irq.intid < Intid.NrSgis) nrSgi++;
    populate(gic, v, irq, used++);
  }
  finish(gic, v, used, len, HcrBit.En, nrSgi, false);
}

/**
 * {@link flush} for GICv2 guests (multi-source SGIs need one LR per source) and for ap_lists
 * longer than the LRs: count, sort if something stays outside, then populate.
 */
function flushCounted(gic: Vgic, v: VgicCpu): void {
  const list = v.apList;
  const nrLr = v.lr.count;
  const len = v.apLen;
  let nrPend = 0;
  let nrAct = 0;
  let nrSgi = 0;
  let used = 0;
  let actsIn = 0;
  // ARM-3.5: the summary over entries whose oracle is this vCPU.
  const v2 = gic.v3 !== true;
  for (let i = 0; i < len; i++) {
    const irq = list[i]!;
    if (!routedHere(gic, v, irq)) continue;
    if (irq.intid < Intid.NrSgis) nrSgi++;
    if (v2 && irq.intid < Intid.NrSgis && irq.source !== 0) {
      nrPend += popcount8(irq.source); // vgic_irq_get_lr_count: one per source + active
      if (irq.active) nrAct++;
    } else if (irq.active) nrAct++;
    else nrPend++;
  }
  const outside = nrPend + nrAct > nrLr;
  if (outside) sortApList(gic, v);
  // ARM-3.7: populate.
  for (let i = 0; i < len && used < nrLr; i++) {
    const irq = list[i]!;
    if (!routedHere(gic, v, irq)) continue;
    if (irq.active) actsIn++;
    populate(gic, v, irq, used++);
  }
  // ARM-3.8: interrupts left outside ask for underflow / no-pending / EOIcount maintenance.
  let hcr = HcrBit.En;
  if (outside) {
    hcr |= HcrBit.UIE;
    if (nrPend > nrLr) hcr |= HcrBit.NPIE;
    if (nrAct > 0) hcr |= HcrBit.LRENPIE;
  }
  finish(gic, v, used, len, hcr, nrSgi, nrAct > actsIn);
}

/**
 * The end of a flush: clears entries past `used`, counts the flush and computes the rest of
 * ICH_HCR (ARM-3.8) on top of `hcr`; `activeOutside` — an active interrupt got no LR.
 */
function finish(
  gic: Vgic,
  v: VgicCpu,
  used: number,
  len: number,
  hcr: number,
  nrSgi: number,
  activeOutside: boolean,
): void {
  // Entries past `used` still holding something (only after a restore: sync empties them).
  if (used < v.usedLrs) clearFrom(v, used);
  v.usedLrs = used;
  if (len > 0) v.counters.add(v.lrFlushCounter);
  let h = hcr;
  h |= v.grpEn0 === true ? HcrBit.VGrp0DIE : HcrBit.VGrp0EIE;
  h |= v.grpEn1 === true ? HcrBit.VGrp1DIE : HcrBit.VGrp1EIE;
  if (gic.vsgiCapable === true && nrSgi === 0) h |= HcrBit.vSGIEOICount;
  if (gic.v3 === true && (activeOutside || gic.activeSpis > 0)) h |= HcrBit.TDIR;
  v.hcr = h;
}

function clearFrom(v: VgicCpu, used: number): void {
  const lr = v.lr;
  for (let n = used; n < v.usedLrs; n++) lr.clear(n);
}

/** `oracle(irq) === v` (ARM-3.1) without materialising the oracle. */
function routedHere(gic: Vgic, v: VgicCpu, irq: VgicIrq): boolean {
  if (irq.active === true) return (irq.vcpu ?? irq.targetVcpu) === v;
  if (irq.enabled !== true || gic.enabled !== true) return false;
  return (
    (irq.pendingLatch === true || (irq.isLevel === true && irq.lineLevel === true)) &&
    irq.targetVcpu === v
  );
}

/**
 * ARM-3.7 `vgic_v3_populate_lr` for entry `n`. Software interrupts other than GICv2 SGIs are
 * written here; forwarded ones and GICv2 SGIs (source CPUs) take {@link populateAny}. Kept
 * small so that V8 inlines it into the flush loop.
 */
function populate(gic: Vgic, v: VgicCpu, irq: VgicIrq, n: number): void {
  if (irq.hwLine !== null || (irq.intid < Intid.NrSgis && gic.v3 !== true)) {
    populateAny(gic, v, irq, n);
    return;
  }
  const active = irq.active === true;
  const isLevel = irq.isLevel === true;
  let state: number = active ? Lr.Active : Lr.Invalid;
  // No pending+active for software level IRQs; their deactivation needs the EOI bit.
  if (!(active && isLevel) && (irq.pendingLatch === true || (isLevel && irq.lineLevel === true))) {
    state |= Lr.Pending;
    if (!isLevel) irq.pendingLatch = false;
  }
  const lr = v.lr;
  const words = lr.words;
  const bytes = lr.bytes;
  words[LrWord.Pintid + n] = 0;
  bytes[LrByte.Eoi + n] = isLevel ? 1 : 0;
  words[LrWord.Vintid + n] = irq.intid;
  bytes[LrByte.State + n] = state;
  bytes[LrByte.Hw + n] = 0;
  bytes[LrByte.Priority + n] = irq.priority;
  bytes[LrByte.Group + n] = irq.group;
  lr.irq[n] = irq;
  irq.inLr = true;
}

/** {@link populate} for every kind of interrupt. */
function populateAny(gic: Vgic, v: VgicCpu, irq: VgicIrq, n: number): void {
  const lr = v.lr;
  const intid = irq.intid;
  const active = irq.active === true;
  const isLevel = irq.isLevel === true;
  const v2Sgi = intid < Intid.NrSgis && gic.v3 !== true;
  let vintid = intid;
  let state = 0;
  let eoi = 0;
  let hw = 0;
  let allowPending = true;
  if (active) {
    state = Lr.Active;
    if (v2Sgi) {
      vintid |= irq.activeSource << 10;
      if (irq.source !== 0) {
        allowPending = false; // multi-source SGI: present the next source after this one
        eoi = 1;
      }
    }
  }
  if (irq.hwLine !== null && irq.swResample !== true) {
    hw = 1;
    if (active) allowPending = false; // the pending state lives in the physical GIC
  } else if (isLevel) {
    eoi = 1;
    if (active) allowPending = false; // no pending+active for software level IRQs
  }
  if (allowPending && (irq.pendingLatch === true || (isLevel && irq.lineLevel === true))) {
    state |= Lr.Pending;
    if (!isLevel) irq.pendingLatch = false;
    if (v2Sgi) {
      const src = lowestBit(irq.source);
      if (src >= 0) {
        vintid = intid | (src << 10);
        irq.source &= ~(1 << src);
        if (irq.source !== 0) {
          irq.pendingLatch = true;
          eoi = 1;
        }
      }
    }
  }
  const words = lr.words;
  const bytes = lr.bytes;
  if (hw === 1) {
    // ARM-3.7.5: only rising edges are observed for forwarded level IRQs.
    if (isLevel && (state & Lr.Pending) !== 0) irq.lineLevel = false;
    words[LrWord.Pintid + n] = irq.hwintid;
    bytes[LrByte.Eoi + n] = 0;
  } else {
    words[LrWord.Pintid + n] = 0;
    bytes[LrByte.Eoi + n] = eoi;
  }
  words[LrWord.Vintid + n] = vintid;
  bytes[LrByte.State + n] = state;
  bytes[LrByte.Hw + n] = hw;
  bytes[LrByte.Priority + n] = irq.priority;
  bytes[LrByte.Group + n] = irq.group;
  lr.irq[n] = irq;
  irq.inLr = true;
}

// ARM-3.6 sort key: undeliverable here last, then group disabled in VMCR, then pending
// (enabled, pending, not active) before the rest; pending ones by priority, HW first.
function rank(gic: Vgic, v: VgicCpu, irq: VgicIrq): number {
  if (!routedHere(gic, v, irq)) return 3;
  if (irq.group === 0 ? !v.grpEn0 : !v.grpEn1) return 2;
  return irq.enabled && isPending(irq) && !irq.active ? 0 : 1;
}

function isPending(irq: VgicIrq): boolean {
  return irq.pendingLatch || (irq.isLevel && irq.lineLevel);
}

function before(gic: Vgic, v: VgicCpu, a: VgicIrq, b: VgicIrq): boolean {
  const ra = rank(gic, v, a);
  const rb = rank(gic, v, b);
  if (ra !== rb) return ra < rb;
  if (ra !== 0) return false;
  if (a.priority !== b.priority) return a.priority < b.priority;
  return a.hwLine !== null && b.hwLine === null;
}

/** Stable insertion sort in place (list_sort is stable; no allocation here). */
function sortApList(gic: Vgic, v: VgicCpu): void {
  const list = v.apList;
  for (let i = 1; i < v.apLen; i++) {
    const x = list[i]!;
    let j = i - 1;
    while (j >= 0 && before(gic, v, x, list[j]!)) {
      list[j + 1] = list[j]!;
      j--;
    }
    list[j + 1] = x;
  }
}

function popcount8(x: number): number {
  let n = 0;
  for (let b = x & 0xff; b !== 0; b &= b - 1) n++;
  return n;
}

function lowestBit(x: number): number {
  return x === 0 ? -1 : 31 - Math.clz32(x & -x);
}
