import { HcrBit, Lr, MisrBit } from '../constants.js';
import { LrByte } from './lr.js';
import type { VgicCpu } from './vcpu.js';

/**
 * ICH_MISR_EL2 right after a guest entry, when every used LR holds a valid entry (flush
 * wrote them all): no EOI status, so only U and NP need the LRs — and only with UIE or NPIE,
 * which KVM sets when interrupts were left outside the LRs.
 */
export function entryMisr(v: VgicCpu): number {
  const hcr = v.hcr;
  if ((hcr & (HcrBit.UIE | HcrBit.NPIE)) !== 0) return misr(v);
  const m =
    hcr &
    ((v.grpEn0 === true ? HcrBit.VGrp0EIE : HcrBit.VGrp0DIE) |
      (v.grpEn1 === true ? HcrBit.VGrp1EIE : HcrBit.VGrp1DIE));
  return (hcr & HcrBit.LRENPIE) !== 0 && v.eoiCount !== 0 ? m | MisrBit.LRENP : m;
}

/** ICH_MISR_EL2 as the hardware would compute it now (ARM-3.12). */
export function misr(v: VgicCpu): number {
  const hcr = v.hcr;
  // VGrp0E/VGrp0D/VGrp1E/VGrp1D sit at the bit positions of their HCR enables
  // (VGrp0EIE … VGrp1DIE): the status is the enable of the condition that holds.
  let m =
    hcr &
    ((v.grpEn0 === true ? HcrBit.VGrp0EIE : HcrBit.VGrp0DIE) |
      (v.grpEn1 === true ? HcrBit.VGrp1EIE : HcrBit.VGrp1DIE));
  if ((hcr & HcrBit.LRENPIE) !== 0 && v.eoiCount !== 0) m |= MisrBit.LRENP;
  const used = v.usedLrs;
  const bytes = v.lr.bytes;
  if ((hcr & (HcrBit.UIE | HcrBit.NPIE)) === 0) {
    // Only EOI can be raised: an invalid software entry with its EOI bit.
    for (let n = 0; n < used; n++) {
      if (
        bytes[LrByte.State + n] === Lr.Invalid &&
        bytes[LrByte.Eoi + n] === 1 &&
        bytes[LrByte.Hw + n] === 0
      )
        return m | MisrBit.EOI;
    }
    return m;
  }
  // One pass over the used LRs: EOI as above, U and NP from the counts of valid and pending
  // entries.
  let valid = 0;
  let pending = 0;
  let eoi = false;
  for (let n = 0; n < used; n++) {
    const s = bytes[LrByte.State + n]!;
    if (s === Lr.Invalid) {
      if (!eoi && bytes[LrByte.Eoi + n] === 1 && bytes[LrByte.Hw + n] === 0) eoi = true;
    } else {
      valid++;
      if ((s & Lr.Pending) !== 0) pending++;
    }
  }
  if (eoi) m |= MisrBit.EOI;
  if ((hcr & HcrBit.UIE) !== 0 && valid <= 1) m |= MisrBit.U;
  if ((hcr & HcrBit.NPIE) !== 0 && pending === 0) m |= MisrBit.NP;
  return m;
}
