import { oracle } from '../vgic/queue.js';
import { prune, softwareDeactivate } from '../vgic/sync.js';
import type { VgicCpu } from '../vgic/vcpu.js';
import type { Vgic } from '../vgic/vgic.js';
import { writeCactive } from './irq-regs.js';

/**
 * KVM `vgic_v3_deactivate` — a DIR that trapped because of TDIR (ARM-2.13): nothing to do
 * for an IRQ on no ap_list or not active; an IRQ sitting in some vCPU's LR is deactivated as
 * a GICD_ICACTIVER write would (halting every vCPU); otherwise a pseudo-LR without Active is
 * folded and the owner's ap_list pruned.
 */
export function trappedDeactivate(gic: Vgic, v: VgicCpu, value: number): void {
  const intid = gic.v3 ? value : value & 0x3ff;
  if (v.eoiMode === 0 || intid >= gic.nrIrqs) return;
  const irq = gic.irq(v, intid);
  if (irq === undefined) return;
  // In some running vCPU's LR its state is not observable (the active state may exist only
  // there): deactivate bluntly, as a GICD_ICACTIVER write. Checked before the oracle, which
  // cannot see an LR-only active state.
  if (irq.inLr) {
    const base = intid & ~31;
    writeCactive({ gic, v, user: false }, base, 4, 1 << (intid - base));
    return;
  }
  const target = oracle(gic, irq);
  if (target === null || !irq.active) return;
  softwareDeactivate(gic, irq);
  if (!target.inGuest) prune(gic, target);
}
