import { HCR, LR_INVALID, LR_PENDING, MISR } from '../constants.js';
import type { VgicCpu } from './vcpu.js';

/** ICH_MISR_EL2 as the hardware would compute it now (ARM-3.12). */
export function misr(v: VgicCpu): number {
  const hcr = v.hcr;
  const lr = v.lr;
  let valid = 0;
  let pending = 0;
  let eoi = false;
  for (let n = 0; n < v.usedLrs; n++) {
    const s = lr.state[n]!;
    if (s !== LR_INVALID) valid++;
    if ((s & LR_PENDING) !== 0) pending++;
    else if (s === LR_INVALID && lr.eoi[n] === 1 && lr.hw[n] === 0) eoi = true;
  }
  let m = 0;
  if (eoi) m |= MISR.EOI;
  if ((hcr & HCR.UIE) !== 0 && valid <= 1) m |= MISR.U;
  if ((hcr & HCR.LRENPIE) !== 0 && v.eoiCount !== 0) m |= MISR.LRENP;
  if ((hcr & HCR.NPIE) !== 0 && pending === 0) m |= MISR.NP;
  if ((hcr & HCR.VGrp0EIE) !== 0 && v.grpEn0) m |= MISR.VGrp0E;
  if ((hcr & HCR.VGrp0DIE) !== 0 && !v.grpEn0) m |= MISR.VGrp0D;
  if ((hcr & HCR.VGrp1EIE) !== 0 && v.grpEn1) m |= MISR.VGrp1E;
  if ((hcr & HCR.VGrp1DIE) !== 0 && !v.grpEn1) m |= MISR.VGrp1D;
  return m;
}
