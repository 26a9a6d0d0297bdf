import { IIDR_KVM, NR_SGIS } from '../constants.js';
import { postDirect } from '../v4/direct.js';
import { queueIrq } from '../vgic/queue.js';
import { haltAll, resumeAll } from '../vgic/run.js';
import type { Vgic } from '../vgic/vgic.js';

/** GICD_IIDR / GICR_IIDR value: KVM's product id, the implementation revision, ARM. */
export function iidr(gic: Vgic): number {
  return ((IIDR_KVM & 0xff000fff) | ((gic.config.implementationRevision & 0xf) << 12)) >>> 0;
}

/** GICD_TYPER (ARM-2.1, 2.2 tables). */
export function distTyper(gic: Vgic): number {
  let v = (gic.nrIrqs >>> 5) - 1;
  if (!gic.v3) return (v | ((gic.vcpus.length - 1) << 5)) >>> 0;
  v |= gic.config.its ? (15 << 19) | (1 << 17) : 9 << 19;
  return v >>> 0;
}

/**
 * The distributor enable changes (GICD_CTLR). 0 → 1 kicks every vCPU with a deliverable IRQ
 * (ARM-3.2); IRQs that became pending while it was off are on no ap_list, so the model
 * re-queues every pending IRQ (the architectural outcome S-ARM-28 asks for).
 */
export function setDistEnabled(gic: Vgic, on: boolean): void {
  const was = gic.enabled;
  gic.enabled = on;
  if (was || !on) return;
  for (const irq of gic.spis) queueIrq(gic, irq);
  for (const v of gic.vcpus) for (const irq of v.privateIrqs) queueIrq(gic, irq);
  for (const irq of gic.lpis.values()) queueIrq(gic, irq);
}

/**
 * GICv3 GICD_CTLR write (KVM `vgic_mmio_write_v3_misc`): EnableGrp1A is the enable;
 * nASSGIreq is writable only with GICv4.1 and only while the distributor is (or stays) off.
 */
export function writeDistCtlrV3(gic: Vgic, val: number): void {
  const was = gic.enabled;
  const on = (val & 2) !== 0;
  let nassgi = gic.vsgiCapable && (val & (1 << 8)) !== 0;
  if (was && on) nassgi = gic.nassgireq; // RO while the distributor stays enabled
  if (nassgi !== gic.nassgireq) {
    gic.nassgireq = nassgi;
    configureVsgis(gic);
  }
  setDistEnabled(gic, on);
}

/** GICv3 GICD_CTLR read: EnableGrp1A, ARE_NS and DS (RAO), nASSGIreq. */
export function readDistCtlrV3(gic: Vgic): number {
  return ((gic.enabled ? 2 : 0) | (1 << 4) | (1 << 6) | (gic.nassgireq ? 1 << 8 : 0)) >>> 0;
}

/**
 * ARM-6.8 `vgic_v4_configure_vsgis`: with nASSGIreq every SGI becomes a vSGI backed by its
 * vCPU's vPE (a software pending latch moves into the hardware); without, the hardware pending
 * bits come back as latches.
 */
export function configureVsgis(gic: Vgic): void {
  haltAll(gic);
  for (const v of gic.vcpus) {
    for (let i = 0; i < NR_SGIS; i++) {
      const irq = v.privateIrqs[i]!;
      if (gic.nassgireq) {
        irq.hw = true;
        irq.vpe = v.vpe;
        irq.active = false;
        if (irq.pendingLatch) {
          irq.pendingLatch = false;
          postDirect(gic, irq);
        }
      } else if (irq.vpe !== null) {
        const pending = irq.vptPending;
        v.vpe.clearPending(irq);
        irq.hw = false;
        irq.vpe = null;
        if (pending) irq.pendingLatch = true;
        queueIrq(gic, irq);
      }
    }
  }
  resumeAll(gic);
}
