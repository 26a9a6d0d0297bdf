import { HostMsiIrq, type MsiMessage } from '@irqkit/core';
import type { VgicIrq } from '../gic/irq.js';
import { queueIrq } from '../vgic/queue.js';
import type { Vgic } from '../vgic/vgic.js';
import { postDirect } from './direct.js';

/**
 * ARM-6.3 `kvm_vgic_v4_set_forwarding`: resolves `route` like an MSI (ARM-5.5 steps 2–4) and
 * maps host MSI `hostIrq` to the LPI as a vLPI of the target's vPE: pending state moves into
 * the VPT, the LPI leaves the translation cache, and firing the host MSI now posts straight
 * into the vPE. Any resolution failure, or no direct-MSI support, leaves the software path.
 * @returns 0 (KVM's hook never fails the connection).
 */
export function setForwarding(gic: Vgic, hostIrq: number, route: MsiMessage): number {
  const its = gic.its;
  if (!gic.directMsis || its === null || route.devid === undefined) return 0;
  if (!its.contains(route.addressHi * 2 ** 32 + route.addressLo) || !its.enabled) return 0;
  const ite = its.devices.get(route.devid)?.ites.get(route.data);
  const target = ite?.collection?.target ?? null;
  if (ite === undefined || target === null || !target.lpisEnabled) return 0;
  const irq = ite.irq;
  if (irq.hw) return 0;
  const host = gic.host.irqs.get(hostIrq);
  if (!(host instanceof HostMsiIrq)) return 0;
  irq.hw = true;
  irq.hostIrq = hostIrq;
  irq.vpe = target.vpe;
  target.vpe.vlpiCount++;
  for (const [key, cached] of its.cache) if (cached === irq) its.cache.delete(key);
  gic.host.irqs.setVcpuAffinity(hostIrq, { post: () => postDirect(gic, irq) });
  if (irq.pendingLatch) {
    irq.pendingLatch = false;
    postDirect(gic, irq);
  }
  if (gic.trace.enabled) gic.trace.emit({ type: 'arm.vlpi', op: 'map', intid: irq.intid, hostIrq });
  return 0;
}

/**
 * ARM-6.7 `kvm_vgic_v4_unset_forwarding` for host MSI `hostIrq` (a no-op if it forwards
 * nothing), with the model's pending hand-back.
 */
export function unsetForwarding(gic: Vgic, hostIrq: number): void {
  for (const irq of gic.lpis.values()) {
    if (irq.hw && irq.vpe !== null && irq.hostIrq === hostIrq) {
      unmapVlpi(gic, irq);
      return;
    }
  }
}

/**
 * Unmaps a vLPI (unset forwarding, DISCARD, MAPD): the host MSI goes back to its host handler
 * and a VPT bit that was set becomes the software latch (ARM-6.7 hand-back).
 */
export function unmapVlpi(gic: Vgic, irq: VgicIrq): void {
  const vpe = irq.vpe;
  const pending = irq.vptPending;
  if (vpe !== null) {
    vpe.clearPending(irq);
    vpe.vlpiCount--;
  }
  const hostIrq = irq.hostIrq;
  irq.hw = false;
  irq.vpe = null;
  irq.hostIrq = -1;
  const host = gic.host.irqs.get(hostIrq);
  if (host instanceof HostMsiIrq) gic.host.irqs.setVcpuAffinity(hostIrq, null);
  if (gic.trace.enabled)
    gic.trace.emit({ type: 'arm.vlpi', op: 'unmap', intid: irq.intid, hostIrq });
  if (pending) {
    irq.pendingLatch = true;
    queueIrq(gic, irq);
  }
}
