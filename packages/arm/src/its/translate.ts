import {
  type Delivery,
  IrqError,
  type MsiMessage,
  ROUTE_FLAG_VALID_DEVID,
  WOULD_BLOCK,
} from '@irqkit/core';
import type { VgicIrq } from '../gic/irq.js';
import { postDirect } from '../v4/direct.js';
import { queueIrq } from '../vgic/queue.js';
import type { VgicCpu } from '../vgic/vcpu.js';
import type { Vgic } from '../vgic/vgic.js';
import { Its } from './its.js';

/** The ITS a message is addressed to (ARM-4.3, 5.5 step 2). @throws IrqError ENODEV, EINVAL */
function itsFor(gic: Vgic, msg: MsiMessage): Its {
  const its = gic.its;
  if (its === null) throw new IrqError('ENODEV', 'this VM has no ITS: MSIs cannot be delivered');
  if (((msg.flags ?? 0) & ROUTE_FLAG_VALID_DEVID) === 0 || msg.devid === undefined) {
    throw new IrqError('EINVAL', 'an MSI to the ITS needs a device id (KVM_MSI_VALID_DEVID)');
  }
  const doorbell = msg.addressHi * 2 ** 32 + msg.addressLo;
  if (!its.contains(doorbell)) {
    throw new IrqError('EINVAL', `MSI doorbell 0x${doorbell.toString(16)} is not an ITS frame`);
  }
  return its;
}

// A cached translation is used only while it would still succeed (ARM-5.6).
function cachedLpi(its: Its, devid: number, eventid: number): VgicIrq | undefined {
  const irq = its.cache.get(Its.key(devid, eventid));
  if (irq === undefined || !its.enabled || irq.targetVcpu?.lpisEnabled !== true) return undefined;
  if (its.cacheMode !== 'unbounded') its.cacheInsert(devid, eventid, irq); // LRU touch
  return irq;
}

function inject(gic: Vgic, irq: VgicIrq): Delivery {
  irq.pendingLatch = true;
  queueIrq(gic, irq);
  return 1;
}

/**
 * ARM-5.5 `vgic_its_inject_msi`: translation cache first; then the tables. 1 delivered, 0
 * unmapped (dropped).
 * @throws IrqError ENODEV (no ITS), EINVAL (no devid, bad doorbell), EBUSY (ITS disabled or
 * the target's LPIs disabled) — a route counts these as delivery errors (ARM-4.7).
 */
export function deliverMsi(gic: Vgic, msg: MsiMessage): Delivery {
  const its = itsFor(gic, msg);
  const devid = msg.devid!;
  const eventid = msg.data;
  const hit = cachedLpi(its, devid, eventid);
  if (hit !== undefined) return inject(gic, hit);
  if (!its.enabled) throw new IrqError('EBUSY', 'the ITS is disabled');
  const ite = its.devices.get(devid)?.ites.get(eventid);
  const target: VgicCpu | null = ite?.collection?.target ?? null;
  if (ite === undefined || target === null) return 0;
  if (!target.lpisEnabled) throw new IrqError('EBUSY', `vCPU ${target.id} has LPIs disabled`);
  const irq = ite.irq;
  if (irq.hw && irq.vpe !== null) {
    postDirect(gic, irq); // a forwarded vLPI is never cached and never in an LR
    return 1;
  }
  its.cacheInsert(devid, eventid, irq);
  return inject(gic, irq);
}

/**
 * ARM-4.5 `kvm_arch_set_irq_inatomic`: a translation-cache hit injects from the signalling
 * context; anything else defers to {@link deliverMsi}.
 */
export function deliverMsiInatomic(gic: Vgic, msg: MsiMessage): Delivery {
  const its = gic.its;
  if (
    its === null ||
    msg.devid === undefined ||
    ((msg.flags ?? 0) & ROUTE_FLAG_VALID_DEVID) === 0
  ) {
    return WOULD_BLOCK;
  }
  if (!its.contains(msg.addressHi * 2 ** 32 + msg.addressLo)) return WOULD_BLOCK;
  const irq = cachedLpi(its, msg.devid, msg.data);
  return irq === undefined ? WOULD_BLOCK : inject(gic, irq);
}

/**
 * The table-only translation of (DeviceID, EventID), ignoring the cache: the LPI and its
 * target, or null when unmapped (used by tests to check cache consistency).
 */
export function translate(
  its: Its,
  devid: number,
  eventid: number,
): { irq: VgicIrq; target: VgicCpu } | null {
  const ite = its.devices.get(devid)?.ites.get(eventid);
  const target = ite?.collection?.target ?? null;
  return ite === undefined || target === null ? null : { irq: ite.irq, target };
}
