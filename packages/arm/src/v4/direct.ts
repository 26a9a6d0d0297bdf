import type { VgicIrq } from '../gic/irq.js';
import { kick } from '../vgic/queue.js';
import type { VgicCpu } from '../vgic/vcpu.js';
import type { Vgic } from '../vgic/vgic.js';

/** True if this VM uses vPEs at all (direct vLPIs, or GICv4.1 vSGIs). */
function usesVpes(gic: Vgic): boolean {
  return gic.directMsis || gic.vsgiCapable;
}

/** ARM-6.2 `vgic_v4_load`: the vPE becomes resident; a stale doorbell is dropped. */
export function vpeLoad(gic: Vgic, v: VgicCpu): void {
  if (!usesVpes(gic)) return;
  const vpe = v.vpe;
  vpe.resident = true;
  vpe.doorbellRequested = false;
  vpe.pendingLast = false;
}

/** ARM-6.2 `vgic_v4_put`: non-resident; a doorbell is requested only when blocking in WFI. */
export function vpePut(gic: Vgic, v: VgicCpu, inWfi: boolean): void {
  if (!usesVpes(gic)) return;
  const vpe = v.vpe;
  vpe.resident = false;
  vpe.doorbellRequested = inWfi;
}

/**
 * ARM-6.5: the physical ITS (or the vSGI machinery) made `irq` pending in its vPE. Resident:
 * the hardware presents it, nothing else happens. Non-resident with a doorbell requested: the
 * doorbell fires on the host and wakes the vCPU. Otherwise it waits for the next load.
 */
export function postDirect(gic: Vgic, irq: VgicIrq): void {
  const vpe = irq.vpe;
  if (vpe === null) return;
  vpe.setPending(irq);
  if (gic.trace.enabled) gic.trace.emit({ type: 'deliver', vcpu: vpe.id, token: irq.intid });
  if (vpe.resident || !vpe.doorbellRequested) return;
  const v = gic.vcpus[vpe.id]!;
  // The doorbell is a host interrupt; v4.0 disables it until the next put, v4.1 fires once
  // per non-resident period — either way it is one-shot here.
  vpe.doorbellRequested = false;
  gic.host.counters.bump('hostIrqs');
  v.count(v.c.hostIrqs);
  v.count(v.c.doorbells);
  if (gic.trace.enabled) gic.trace.emit({ type: 'arm.doorbell', vcpu: v.id });
  vpe.pendingLast = true;
  kick(gic, v);
}

/** ARM-6.6 CLEAR on a vLPI / ICPENDR on a vSGI: clear the hardware pending bit. */
export function clearDirect(irq: VgicIrq): void {
  irq.vpe?.clearPending(irq);
}

/** Moves a direct interrupt (with its VPT bit) to another vPE (MOVI, MOVALL, MAPC). */
export function moveDirect(gic: Vgic, irq: VgicIrq, to: VgicCpu): void {
  const from = irq.vpe;
  if (from === null || from === to.vpe) return;
  const pending = from.clearPending(irq);
  from.vlpiCount--;
  irq.vpe = to.vpe;
  to.vpe.vlpiCount++;
  if (pending) postDirect(gic, irq);
}
