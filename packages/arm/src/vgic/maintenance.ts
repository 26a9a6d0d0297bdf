import { HcrBit, Lr, MisrBit } from '../constants.js';
import type { VgicCpu } from './vcpu.js';

/** ICH_MISR_EL2 as the hardware would compute it now (ARM-3.12). */
export function misr(v: VgicCpu): number {
  const hcr = v.hcr;
  let m = 0;
  if (v.grpEn0 === true) {
    if ((hcr & HcrBit.VGrp0EIE) !== 0) m |= MisrBit.VGrp0E;
  } else if ((hcr & HcrBit.VGrp0DIE) !== 0) m |= MisrBit.VGrp0D;
  if (v.grpEn1 === true) {
    if ((hcr & HcrBit.VGrp1EIE) !== 0) m |= MisrBit.VGrp1E;
  } else if ((hcr & HcrBit.VGrp1DIE) !== 0) m |= MisrBit.VGrp1D;
  if ((hcr & HcrBit.LRENPIE) !== 0 && v.eoiCount !== 0) m |= MisrBit.LRENP;
  // One pass over the used LRs: EOI needs an invalid software entry with its EOI bit; U and
  // NP need the counts of valid and pending entries only when enabled.
  const used = v.usedLrs;
  let valid = 0;
  let pending = 0;
  if (used > 0) {
    const lr = v.lr;
    const state = lr.state;
    let eoi = false;
    for (let n = 0; n < used; n++) {
      const s = state[n]!;
      if (s === Lr.Invalid) {
        if (!eoi && lr.eoi[n] === 1 && lr.hw[n] === 0) eoi = true;
      } else {
        valid++;
        if ((s & Lr.Pending) !== 0) pending++;
      }
    }
    if (eoi) m |= MisrBit.EOI;
  }
  if ((hcr & HcrBit.UIE) !== 0 && valid <= 1) m |= MisrBit.U;
  if ((hcr & HcrBit.NPIE) !== 0 && pending === 0) m |= MisrBit.NP;
  return m;
}
