import { Intid, Lr } from '../constants.js';
import { isPending, type VgicIrq } from '../gic/irq.js';
import { physLineLevel, physSetActive } from './hw.js';
import { LrByte, LrWord } from './lr.js';
import { kick, oracle } from './queue.js';
import type { VgicCpu } from './vcpu.js';
import type { Vgic } from './vgic.js';

/**
 * Guest exit (ARM-3.9 … 3.11): fold every used LR back into its interrupt, replay EOIcount
 * deactivations of interrupts that were outside the LRs, then prune the ap_list.
 */
export function sync(gic: Vgic, v: VgicCpu): void {
  const used = v.usedLrs;
  if (used > 0) {
    const lr = v.lr;
    const irqs = lr.irq;
    const bytes = lr.bytes;
    const words = lr.words;
    for (let n = 0; n < used; n++) {
      // The array is packed and never shrunk: every slot below `count` holds an IRQ or null.
      const irq = irqs[n] as VgicIrq | null;
      // An LPI discarded while it sat in an LR is gone (KVM: vgic_get_irq returns NULL).
      if (irq === null || (irq.intid >= Intid.MinLpi && gic.lpis.get(irq.intid) !== irq)) continue;
      // A software edge interrupt the guest deactivated, without the EOI bit: all ARM-3.9 does
      // (see foldLr) is clear its active state.
      if (
        bytes[LrByte.State + n] === Lr.Invalid &&
        irq.isLevel !== true &&
        bytes[LrByte.Eoi + n] === 0 &&
        irq.hwLine === null
      ) {
        irq.active = false;
        continue;
      }
      foldLr(
        gic,
        irq,
        bytes[LrByte.State + n]!,
        bytes[LrByte.Eoi + n] === 1,
        bytes[LrByte.Hw + n] === 1,
        words[LrWord.Vintid + n]!,
      );
    }
    if (v.eoiCount > 0) replayEoiCount(gic, v);
    for (let n = 0; n < used; n++) {
      const irq = irqs[n] as VgicIrq | null;
      if (irq !== null) irq.inLr = false;
      irqs[n] = null; // the other fields are rewritten at the next flush
      bytes[LrByte.State + n] = Lr.Invalid;
    }
    v.usedLrs = 0;
  } else if (v.eoiCount > 0) replayEoiCount(gic, v);
  if (v.apLen > 0) prune(gic, v);
}

/** ARM-3.9 for one LR value (also used for KVM's pseudo-LR software deactivations). */
export function foldLr(
  gic: Vgic,
  irq: VgicIrq,
  state: number,
  eoi: boolean,
  hw: boolean,
  vintid: number,
): void {
  const intid = irq.intid;
  const v2Sgi = intid < Intid.NrSgis && gic.v3 !== true;
  // ARM-5.7: a virtual LPI's active state disappears at every exit.
  const lrActive = (state & Lr.Active) !== 0 && intid < Intid.MinLpi;
  const deactivated = irq.active === true && !lrActive;
  irq.active = lrActive;
  if (lrActive && v2Sgi) irq.activeSource = (vintid >>> 10) & 7;
  if (irq.isLevel !== true) {
    // Edge is the only case where the LR's pending bit is preserved.
    if ((state & Lr.Pending) !== 0) {
      irq.pendingLatch = true;
      if (v2Sgi) irq.source |= 1 << ((vintid >>> 10) & 7);
    }
  } else {
    // The soft pend of a level IRQ is consumed by the acknowledge.
    if (state === Lr.Invalid) irq.pendingLatch = false;
    if (irq.hwLine !== null) handleResampling(irq, deactivated, (state & Lr.Pending) !== 0);
  }
  // Step 1: the guest EOI'd a software level SPI — the only way core learns of it.
  if (
    state === Lr.Invalid &&
    eoi === true &&
    hw !== true &&
    intid >= Intid.NrPrivate &&
    intid < gic.nrIrqs
  ) {
    if (gic.activeSpis > 0) gic.activeSpis--;
    gic.vm.notifyAcked(0, intid - Intid.NrPrivate);
  }
}

/** ARM-3.17 `vgic_irq_handle_resampling` for forwarded level IRQs (`hwLine` set). */
function handleResampling(irq: VgicIrq, deactivated: boolean, lrPending: boolean): void {
  let resample = false;
  if (irq.swResample === true) {
    resample = !(irq.active === true || irq.pendingLatch === true);
  } else if (lrPending || (deactivated && irq.lineLevel)) {
    irq.lineLevel = physLineLevel(irq);
    resample = !irq.lineLevel;
  }
  if (resample) physSetActive(irq, false);
}

/**
 * KVM's trapped / replayed deactivation of an interrupt outside the LRs: build the LR that
 * populate would write, minus Active, deactivate the physical side of a HW one, and fold it.
 */
export function softwareDeactivate(gic: Vgic, irq: VgicIrq): void {
  if (!irq.active) return;
  const v2Sgi = !gic.v3 && irq.intid < Intid.NrSgis;
  const hw = irq.hwLine !== null && !irq.swResample;
  let eoi = false;
  let allowPending = true;
  if (v2Sgi && irq.source !== 0) {
    allowPending = false;
    eoi = true;
  }
  if (hw) allowPending = false;
  else if (irq.isLevel) {
    eoi = true;
    allowPending = false;
  }
  const state = allowPending && isPending(irq) ? Lr.Pending : Lr.Invalid;
  if (hw) physSetActive(irq, false);
  const vintid = irq.intid | (v2Sgi ? irq.activeSource << 10 : 0);
  foldLr(gic, irq, state, eoi, hw, vintid);
}

// ARM-3.10: each EOI counted by the hardware deactivates the next active interrupt that was
// not in an LR, in ap_list order.
function replayEoiCount(gic: Vgic, v: VgicCpu): void {
  let count = v.eoiCount;
  v.eoiCount = 0;
  const list = v.apList;
  for (let i = 0; i < v.apLen && count > 0; i++) {
    const irq = list[i]!;
    if (!irq.active || irq.inLr || irq.intid >= Intid.MinLpi || oracle(gic, irq) !== v) continue;
    softwareDeactivate(gic, irq);
    count--;
  }
}

const pendingKicks: VgicCpu[] = [];

/**
 * ARM-3.11 `vgic_prune_ap_list`: drop entries that go nowhere, keep ours, move the others to
 * their new vCPU's tail and kick it (kicks after the list is consistent again).
 */
export function prune(gic: Vgic, v: VgicCpu): void {
  const list = v.apList;
  const len = v.apLen;
  // Usually every entry stays: nothing is written until the first one that goes.
  for (let i = 0; i < len; i++) {
    if (oracle(gic, list[i]!) !== v) {
      pruneFrom(gic, v, i);
      return;
    }
  }
}

/** {@link prune} from entry `first`, the first whose oracle is not `v`. */
function pruneFrom(gic: Vgic, v: VgicCpu, first: number): void {
  const list = v.apList;
  const start = pendingKicks.length;
  const len = v.apLen;
  let w = first;
  for (let i = first; i < len; i++) {
    const irq = list[i]!;
    const target = oracle(gic, irq);
    if (target === v) {
      if (w !== i) list[w] = irq;
      w++;
    } else if (target === null) {
      irq.vcpu = null;
    } else {
      irq.vcpu = target;
      target.apAdd(irq);
      pendingKicks.push(target);
    }
  }
  if (w !== len) v.apTruncate(w);
  if (pendingKicks.length === start) return;
  for (let i = start; i < pendingKicks.length; i++) kick(gic, pendingKicks[i]!);
  pendingKicks.length = start;
}
