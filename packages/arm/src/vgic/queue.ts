import type { Delivery } from '@irqkit/core';
import { Dlv, Intid, Lr } from '../constants.js';
import { isPending, type VgicIrq } from '../gic/irq.js';
import { LrByte } from './lr.js';
import { bounce, wake } from './run.js';
import type { VgicCpu } from './vcpu.js';
import type { Vgic } from './vgic.js';

/**
 * ARM-3.1 `vgic_target_oracle`: an active IRQ stays where it is; an enabled pending one goes
 * to its target unless the distributor is disabled (ARM-3.2); anything else goes nowhere.
 */
export function oracle(gic: Vgic, irq: VgicIrq): VgicCpu | null {
  // Booleans are compared with `=== true` on hot paths: V8 keeps no field type for them, so
  // a bare truth test is a full ToBoolean (about ten instructions), the comparison is one.
  if (irq.active === true) return irq.vcpu ?? irq.targetVcpu;
  if (irq.enabled === true && isPending(irq)) return gic.enabled === true ? irq.targetVcpu : null;
  return null;
}

/**
 * ARM-3.3 `vgic_queue_irq_unlock`: put `irq` on its oracle's ap_list tail and kick that
 * vCPU; an IRQ already on a list is not moved but its oracle is still kicked (an edge
 * re-injection of an IRQ sitting in an LR must be noticed).
 */
export function queueIrq(gic: Vgic, irq: VgicIrq): void {
  const v = oracle(gic, irq);
  if (irq.vcpu !== null || v === null) {
    if (v !== null) kick(gic, v);
    return;
  }
  enqueue(gic, irq, v);
}

/** {@link queueIrq} for an IRQ on no ap_list: append it to `v`'s and kick (out of line). */
function enqueue(gic: Vgic, irq: VgicIrq, v: VgicCpu): void {
  v.apAdd(irq);
  irq.vcpu = v;
  if (gic.trace.enabled === true) gic.trace.emit({ type: 'deliver', vcpu: v.id, token: irq.intid });
  // ARM-3.8: a new SPI may need DIR trapping on every vCPU; the first one kicks them all.
  if (
    gic.v3 === true &&
    irq.intid >= Intid.NrPrivate &&
    irq.intid < Intid.MinLpi &&
    gic.activeSpis++ === 0
  ) {
    const all = gic.vcpus;
    for (let i = 0; i < all.length; i++) kick(gic, all[i]!);
    return;
  }
  kick(gic, v);
}

/**
 * ARM-3.4 `kvm_vcpu_kick`: a vCPU running guest code takes one forced exit (and re-enters);
 * a vCPU blocked in WFI is woken; otherwise the request waits for the next entry.
 */
export function kick(gic: Vgic, v: VgicCpu): void {
  v.irqPending = true;
  if (v.inGuest === true) bounce(gic, v, v.kickCounter);
  else if (v.runState === 'blocked') wake(gic, v);
}

/**
 * `kvm_vgic_inject_irq` after the lookup (ARM-1.7, 1.8, 3.16) with the result mapping of
 * ARM-4.2: 1 newly pending, 0 already pending (or no target vCPU), −1 filtered.
 */
export function injectIrq(gic: Vgic, irq: VgicIrq, level: boolean, owner: object | null): Delivery {
  if (irq.owner !== owner) return Dlv.Ignored;
  if (irq.isLevel === true) return injectLevel(gic, irq, level);
  if (level !== true) return Dlv.Ignored; // a falling edge
  const before = irq.pendingLatch === true || pendingInLr(irq);
  irq.pendingLatch = true;
  queueIrq(gic, irq);
  return before || irq.targetVcpu === null ? 0 : 1;
}

/** {@link injectIrq} for a level-sensitive IRQ (out of line: the edge path stays small). */
function injectLevel(gic: Vgic, irq: VgicIrq, level: boolean): Delivery {
  // ARM-3.16: a forwarded level IRQ only observes rising edges.
  if (irq.hwLine !== null && level !== true) return Dlv.Ignored;
  if (irq.lineLevel === level) return level ? 0 : Dlv.Ignored;
  const before = level === true && (isPending(irq) || pendingInLr(irq));
  irq.lineLevel = level;
  queueIrq(gic, irq);
  if (level !== true) return 0;
  return before || irq.targetVcpu === null ? 0 : 1;
}

/** True if `irq` sits in a list register in a pending state (its pending state lives there). */
function pendingInLr(irq: VgicIrq): boolean {
  const v = irq.vcpu;
  if (irq.inLr !== true || v === null) return false;
  const lr = v.lr;
  const irqs = lr.irq;
  for (let n = 0; n < v.usedLrs; n++)
    if (irqs[n] === irq) return (lr.bytes[LrByte.State + n]! & Lr.Pending) !== 0;
  return false;
}
