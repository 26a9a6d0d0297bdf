import { VgicIrq } from '../gic/irq.js';
import { moveDirect } from '../v4/direct.js';
import { unmapVlpi } from '../v4/forwarding.js';
import { queueIrq } from '../vgic/queue.js';
import type { VgicCpu } from '../vgic/vcpu.js';
import type { Vgic } from '../vgic/vgic.js';
import type { Its } from './its.js';
import { syncLpiPending, updateLpiConfig } from './lpi.js';
import type { Ite, ItsDevice } from './types.js';

const ESZ = 8;
const L2_PAGE = 0x10000;

/** The table base address of GITS_BASER<n> ([47:12]). */
export function baserAddress(its: Its, n: number): number {
  const [lo, hi] = its.baser[n]!;
  return (lo & 0xfffff000) + (hi & 0xffff) * 2 ** 32;
}

/** Table size in bytes: (Size + 1) × 64 KiB pages. */
function baserSize(its: Its, n: number): number {
  return ((its.baser[n]![0] & 0xff) + 1) * L2_PAGE;
}

/**
 * `vgic_its_check_id`: does `id` fit device table (n = 0) or collection table (n = 1)? An
 * indirect device table needs a valid level-1 entry. Returns the entry's address, or −1.
 */
export function tableEntry(its: Its, n: number, id: number): number {
  if (!its.baserValid(n) || !Number.isInteger(id) || id < 0 || id >= 2 ** 16) return -1;
  const base = baserAddress(its, n);
  const size = baserSize(its, n);
  const indirect = n === 0 && (its.baser[n]![1] & 0x40000000) !== 0;
  if (!indirect) {
    if (id >= size / ESZ) return -1;
    const addr = base + id * ESZ;
    return its.gic.memory.valid(addr, ESZ) ? addr : -1;
  }
  const index = Math.floor(id / (L2_PAGE / ESZ));
  if (index >= size / 8) return -1;
  const l1 = its.gic.memory.read64(base + index * 8);
  if (l1 === null || l1 >> 63n === 0n) return -1;
  const l2 = Number(l1 & 0x000ffffffff0000n);
  const addr = l2 + (id % (L2_PAGE / ESZ)) * ESZ;
  return its.gic.memory.valid(addr, ESZ) ? addr : -1;
}

/**
 * `vgic_add_lpi`: the LPI `intid`, created on first reference with its configuration byte and
 * pending bit read from the tables (ARM-1.4, 5.3, 5.4), or shared if it exists.
 */
export function addLpi(its: Its, intid: number, vcpu: VgicCpu | null): VgicIrq {
  const gic = its.gic;
  const existing = gic.lpis.get(intid);
  if (existing !== undefined) {
    existing.refs++;
    return existing;
  }
  const irq = new VgicIrq(intid, false);
  irq.group = 1;
  irq.targetVcpu = vcpu;
  irq.refs = 1;
  gic.lpis.set(intid, irq);
  updateLpiConfig(gic, irq);
  syncLpiPending(gic, irq);
  return irq;
}

/** Drops one reference; the last one destroys the LPI with its pending state (ARM-1.4). */
export function releaseLpi(gic: Vgic, irq: VgicIrq): void {
  if (--irq.refs > 0) return;
  if (irq.hw) unmapVlpi(gic, irq);
  gic.lpis.delete(irq.intid);
  irq.pendingLatch = false;
  irq.active = false;
  irq.enabled = false;
  const v = irq.vcpu;
  if (v !== null && !irq.inLr) {
    const list = v.apList;
    let w = 0;
    for (let i = 0; i < v.apLen; i++) if (list[i] !== irq) list[w++] = list[i]!;
    v.apTruncate(w);
    irq.vcpu = null;
  }
}

/** `its_free_ite`: unmaps a vLPI, drops the LPI reference. */
export function freeIte(its: Its, dev: ItsDevice, ite: Ite): void {
  dev.ites.delete(ite.eventid);
  releaseLpi(its.gic, ite.irq);
}

/** `vgic_its_free_device`: frees every ITE, the device, and invalidates the cache. */
export function freeDevice(its: Its, dev: ItsDevice): void {
  for (const ite of [...dev.ites.values()]) freeIte(its, dev, ite);
  its.devices.delete(dev.devid);
  its.invalidateCache();
}

/** `update_affinity`: the LPI now targets `vcpu` (a vLPI is remapped to that vPE). */
export function updateAffinity(gic: Vgic, irq: VgicIrq, vcpu: VgicCpu): void {
  irq.targetVcpu = vcpu;
  if (irq.hw && irq.vpe !== null) moveDirect(gic, irq, vcpu);
  else queueIrq(gic, irq);
}
