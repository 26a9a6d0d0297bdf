import { HCR, LR_ACTIVE, LR_PENDING, NR_SGIS } from '../constants.js';
import { isPending, type VgicIrq } from '../gic/irq.js';
import { oracle } from './queue.js';
import type { VgicCpu } from './vcpu.js';
import type { Vgic } from './vgic.js';

/**
 * Guest entry: `vgic_flush_lr_state` + `vgic_v3_configure_hcr` (ARM-3.5 … 3.8). Counts the
 * ap_list, sorts it only on overflow, writes one LR per interrupt routed here, clears the
 * rest and computes ICH_HCR. Allocation-free.
 */
export function flush(gic: Vgic, v: VgicCpu): void {
  const list = v.apList;
  const lr = v.lr;
  const nrLr = lr.count;
  const v2 = !gic.v3;
  // ARM-3.5: the summary over entries whose oracle is this vCPU.
  let nrPend = 0;
  let nrAct = 0;
  let nrSgi = 0;
  const len = v.apLen;
  for (let i = 0; i < len; i++) {
    const irq = list[i]!;
    if (oracle(gic, irq) !== v) continue;
    if (irq.intid < NR_SGIS) nrSgi++;
    if (v2 && irq.intid < NR_SGIS && irq.source !== 0) {
      nrPend += popcount8(irq.source); // vgic_irq_get_lr_count: one per source + active
      if (irq.active) nrAct++;
    } else if (irq.active) nrAct++;
    else nrPend++;
  }
  const outside = nrPend + nrAct > nrLr;
  if (outside) sortApList(gic, v);
  // ARM-3.7: populate.
  let used = 0;
  let actsIn = 0;
  for (let i = 0; i < len && used < nrLr; i++) {
    const irq = list[i]!;
    if (oracle(gic, irq) !== v) continue;
    if (irq.active) actsIn++;
    populate(gic, v, irq, used++);
  }
  for (let n = used; n < v.usedLrs; n++) lr.clear(n);
  v.usedLrs = used;
  if (len > 0) v.count(v.c.lrFlushes);
  // ARM-3.8
  let hcr = HCR.En;
  if (nrPend > nrLr) hcr |= HCR.NPIE;
  if (nrAct > 0 && outside) hcr |= HCR.LRENPIE;
  if (outside) hcr |= HCR.UIE;
  hcr |= v.grpEn0 ? HCR.VGrp0DIE : HCR.VGrp0EIE;
  hcr |= v.grpEn1 ? HCR.VGrp1DIE : HCR.VGrp1EIE;
  if (gic.vsgiCapable && nrSgi === 0) hcr |= HCR.vSGIEOICount;
  if (gic.v3 && (nrAct > actsIn || gic.activeSpis > 0)) hcr |= HCR.TDIR;
  v.hcr = hcr;
}

/** ARM-3.7 `vgic_v3_populate_lr` for entry `n`. */
function populate(gic: Vgic, v: VgicCpu, irq: VgicIrq, n: number): void {
  const lr = v.lr;
  const v2Sgi = !gic.v3 && irq.intid < NR_SGIS;
  let vintid = irq.intid;
  let state = 0;
  let eoi = 0;
  let hw = 0;
  let allowPending = true;
  if (irq.active) {
    state |= LR_ACTIVE;
    if (v2Sgi) vintid |= irq.activeSource << 10;
    if (v2Sgi && irq.source !== 0) {
      allowPending = false; // multi-source SGI: present the next source after this one
      eoi = 1;
    }
  }
  if (irq.hwLine !== null && !irq.swResample) {
    hw = 1;
    if (irq.active) allowPending = false; // the pending state lives in the physical GIC
  } else if (irq.isLevel) {
    eoi = 1;
    if (irq.active) allowPending = false; // no pending+active for software level IRQs
  }
  if (allowPending && isPending(irq)) {
    state |= LR_PENDING;
    if (!irq.isLevel) irq.pendingLatch = false;
    if (v2Sgi) {
      const src = lowestBit(irq.source);
      if (src >= 0) {
        vintid = irq.intid | (src << 10);
        irq.source &= ~(1 << src);
        if (irq.source !== 0) {
          irq.pendingLatch = true;
          eoi = 1;
        }
      }
    }
  }
  // ARM-3.7.5: only rising edges are observed for forwarded level IRQs.
  if (hw === 1 && irq.isLevel && (state & LR_PENDING) !== 0) irq.lineLevel = false;
  lr.vintid[n] = vintid;
  lr.pintid[n] = hw === 1 ? irq.hwintid : 0;
  lr.state[n] = state;
  lr.hw[n] = hw;
  lr.eoi[n] = hw === 1 ? 0 : eoi;
  lr.priority[n] = irq.priority;
  lr.group[n] = irq.group;
  lr.irq[n] = irq;
  irq.inLr = true;
}

// ARM-3.6 sort key: undeliverable here last, then group disabled in VMCR, then pending
// (enabled, pending, not active) before the rest; pending ones by priority, HW first.
function rank(gic: Vgic, v: VgicCpu, irq: VgicIrq): number {
  if (oracle(gic, irq) !== v) return 3;
  if (irq.group === 0 ? !v.grpEn0 : !v.grpEn1) return 2;
  return irq.enabled && isPending(irq) && !irq.active ? 0 : 1;
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
