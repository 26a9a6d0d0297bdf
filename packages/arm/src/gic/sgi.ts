import { NR_SGIS } from '../constants.js';
import { postDirect } from '../v4/direct.js';
import { queueIrq } from '../vgic/queue.js';
import type { VgicCpu } from '../vgic/vcpu.js';
import type { Vgic } from '../vgic/vgic.js';

/** Makes SGI `intid` pending on `target` from `source` (v2: one pending bit per source). */
function raiseSgi(
  gic: Vgic,
  source: VgicCpu,
  target: VgicCpu,
  intid: number,
  allowGroup1: boolean,
): void {
  const irq = target.privateIrqs[intid]!;
  if (!allowGroup1 && irq.group !== 0) return; // ICC_SGI0R raises group-0 SGIs only
  if (irq.hw && irq.vpe !== null) {
    postDirect(gic, irq); // GICv4.1 vSGI: straight into the receiver's vPE (ARM-6.8)
    return;
  }
  if (!gic.v3) irq.source |= 1 << source.id; // ARM-1.9
  irq.pendingLatch = true;
  queueIrq(gic, irq);
}

/**
 * ARM-2.4 ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 (`allowGroup1`) and ICC_SGI0R_EL1: TargetList
 * [15:0], Aff1 [23:16], INTID [27:24], Aff2 [39:32], IRM [40], Aff3 [55:48]. IRM = 1 targets
 * every vCPU but the writer; missing vCPUs are skipped.
 */
export function dispatchSgiV3(
  gic: Vgic,
  source: VgicCpu,
  value: bigint,
  allowGroup1: boolean,
): void {
  const v = BigInt.asUintN(64, value);
  const targetList = Number(v & 0xffffn);
  const aff1 = Number((v >> 16n) & 0xffn);
  const intid = Number((v >> 24n) & 0xfn);
  const aff2 = Number((v >> 32n) & 0xffn);
  const irm = ((v >> 40n) & 1n) === 1n;
  const aff3 = Number((v >> 48n) & 0xffn);
  if (irm) {
    for (const t of gic.vcpus) if (t !== source) raiseSgi(gic, source, t, intid, allowGroup1);
    return;
  }
  if (aff3 !== 0) return; // no vCPU has a non-zero Aff3
  for (let b = 0; b < 16; b++) {
    if (((targetList >>> b) & 1) === 0) continue;
    const t = gic.vcpuByAffinity((aff2 << 16) | (aff1 << 8) | b);
    if (t !== null) raiseSgi(gic, source, t, intid, allowGroup1);
  }
}

/**
 * GICD_SGIR (ARM-2.1 table): INTID [3:0], CPUTargetList [23:16], filter [25:24]: 0 list, 1 all
 * but self, 2 self only, 3 reserved (ignored).
 */
export function dispatchSgiV2(gic: Vgic, source: VgicCpu, value: number): void {
  const intid = value & 0xf;
  let targets = (value >>> 16) & 0xff;
  const mode = (value >>> 24) & 3;
  const all = (1 << gic.vcpus.length) - 1;
  if (mode === 1) targets = all & ~(1 << source.id);
  else if (mode === 2) targets = 1 << source.id;
  else if (mode === 3) return;
  for (const t of gic.vcpus)
    if (((targets >>> t.id) & 1) === 1) raiseSgi(gic, source, t, intid, true);
}

/** GICD_SPENDSGIR / CPENDSGIR read: the source bitmap byte of each SGI on `v`. */
export function readSgiPend(v: VgicCpu, first: number, size: number): number {
  let val = 0;
  for (let i = 0; i < size && first + i < NR_SGIS; i++) {
    val |= (v.privateIrqs[first + i]!.source & 0xff) << (8 * i);
  }
  return val >>> 0;
}

/** GICD_SPENDSGIR / CPENDSGIR write: set or clear source bits; the latch follows. */
export function writeSgiPend(
  gic: Vgic,
  v: VgicCpu,
  first: number,
  size: number,
  val: number,
  set: boolean,
): void {
  for (let i = 0; i < size && first + i < NR_SGIS; i++) {
    const irq = v.privateIrqs[first + i]!;
    const bits = (val >>> (8 * i)) & 0xff;
    if (set) irq.source |= bits;
    else irq.source &= ~bits;
    irq.pendingLatch = irq.source !== 0;
    if (set && irq.source !== 0) queueIrq(gic, irq);
  }
}
