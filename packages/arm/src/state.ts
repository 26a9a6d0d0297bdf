import { HostIrqLine, IrqError, type JsonValue } from '@irqkit/core';
import { NR_PRIVATE_IRQS } from './constants.js';
import { VgicIrq } from './gic/irq.js';
import type { Ite, ItsDevice } from './its/types.js';
import type { ListRegisters } from './vgic/lr.js';
import { misr } from './vgic/maintenance.js';
import type { VgicCpu } from './vgic/vcpu.js';
import type { Vgic } from './vgic/vgic.js';

/*
 * Save/restore of the whole VGIC as plain JSON (Machine.save/restore): distributor, every
 * interrupt, the redistributors, each vCPU's ap_list order, list registers, VMCR/APRs/HCR,
 * the vPEs, the ITS registers, tables and translation cache, and guest RAM. References between
 * objects are saved as `[vcpu, intid]` pairs (vcpu −1 for shared interrupts).
 * Not saved: in-kernel owners and forwarded host lines belong to live host objects — a
 * forwarded IRQ is re-linked only if the restoring host has a line with the same number.
 */

type Ref = [number, number];
type Obj = Record<string, JsonValue>;

function ref(irq: VgicIrq): Ref {
  return [irq.intid < NR_PRIVATE_IRQS ? (irq.targetVcpu?.id ?? 0) : -1, irq.intid];
}

// The VgicIrq fields a snapshot holds as they are, under their own names. Save and restore both
// walk these lists, so a field cannot be saved and then forgotten on restore. The trigger
// (`level`) and the references (`target`, `vcpu`, `vpe`) are written out below.
const IRQ_FLAGS = [
  'lineLevel',
  'pendingLatch',
  'active',
  'enabled',
  'hw',
  'swResample',
  'inLr',
  'vptPending',
] as const satisfies readonly (keyof VgicIrq)[];
const IRQ_NUMBERS = [
  'priority',
  'group',
  'targets',
  'mpidr',
  'hostIrq',
  'hwintid',
  'source',
  'activeSource',
  'refs',
] as const satisfies readonly (keyof VgicIrq)[];

// The list-register arrays of a saved LR entry, in order (the IRQ reference comes last).
const LR_FIELDS = [
  'vintid',
  'pintid',
  'state',
  'hw',
  'eoi',
  'priority',
  'group',
] as const satisfies readonly (keyof ListRegisters)[];

function saveIrq(irq: VgicIrq): Obj {
  const o: Obj = { intid: irq.intid, level: irq.isLevel };
  for (const k of IRQ_FLAGS) o[k] = irq[k];
  for (const k of IRQ_NUMBERS) o[k] = irq[k];
  o.target = irq.targetVcpu?.id ?? -1;
  o.vcpu = irq.vcpu?.id ?? -1;
  o.vpe = irq.vpe?.id ?? -1;
  return o;
}

function saveVcpu(v: VgicCpu): Obj {
  const lr = v.lr;
  const lrs: JsonValue[] = [];
  for (let n = 0; n < v.usedLrs; n++) {
    const irq = lr.irq[n];
    const entry: JsonValue[] = LR_FIELDS.map((f) => lr[f][n]!);
    entry.push(irq === null || irq === undefined ? null : ref(irq));
    lrs.push(entry);
  }
  return {
    runState: v.runState,
    inGuest: v.inGuest,
    irqPending: v.irqPending,
    private: v.privateIrqs.map(saveIrq),
    apList: v.apEntries().map(ref),
    usedLrs: v.usedLrs,
    lrs,
    hcr: v.hcr,
    // The maintenance status last observed: maintenance fires on a condition *becoming* true
    // (ARM-3.12), so a restored vCPU must compare against the same value.
    misr: v.misr,
    eoiCount: v.eoiCount,
    vmcr: [v.pmr, v.bpr0, v.bpr1, v.eoiMode, v.cbpr, v.grpEn0 ? 1 : 0, v.grpEn1 ? 1 : 0],
    apr: [v.ap0, v.ap1],
    lpisEnabled: v.lpisEnabled,
    pendbaser: [v.pendbaser[0], v.pendbaser[1]],
    ptz: v.ptz,
    vpe: {
      resident: v.vpe.resident,
      doorbellRequested: v.vpe.doorbellRequested,
      pendingLast: v.vpe.pendingLast,
      vlpiCount: v.vpe.vlpiCount,
      pending: v.vpe.pendingEntries().map(ref),
    },
  };
}

function saveIts(gic: Vgic): JsonValue {
  const its = gic.its;
  if (its === null) return null;
  const devices: JsonValue[] = [];
  for (const d of its.devices.values()) {
    const ites: JsonValue[] = [];
    for (const i of d.ites.values())
      ites.push([i.eventid, i.irq.intid, i.collection?.icid ?? -1, i.icid]);
    devices.push({ devid: d.devid, eventIdBits: d.eventIdBits, ittAddr: d.ittAddr, ites });
  }
  const collections: JsonValue[] = [];
  for (const c of its.collections.values()) collections.push([c.icid, c.target?.id ?? -1]);
  const cache: JsonValue[] = [];
  for (const [k, irq] of its.cache) cache.push([k, irq.intid]);
  return {
    enabled: its.enabled,
    cbaser: [its.cbaser[0], its.cbaser[1]],
    cwriter: its.cwriter,
    creadr: its.creadr,
    baser: its.baser.map(([lo, hi]) => [lo, hi]),
    lastError: its.lastError,
    devices,
    collections,
    cache,
  };
}

/** The VGIC's state as JSON. */
export function saveArmState(gic: Vgic): JsonValue {
  return {
    model: gic.config.model,
    nrSpis: gic.nrSpis,
    enabled: gic.enabled,
    nassgireq: gic.nassgireq,
    activeSpis: gic.activeSpis,
    propbaser: [gic.propbaser[0], gic.propbaser[1]],
    v2GroupsUserWritable: gic.v2GroupsUserWritable,
    spis: gic.spis.map(saveIrq),
    lpis: [...gic.lpis.values()].map(saveIrq),
    vcpus: gic.vcpus.map(saveVcpu),
    its: saveIts(gic),
    memory: gic.memory.savePages() as unknown as JsonValue,
  };
}

// ---- restore -------------------------------------------------------------------------------

const num = (o: Obj, k: string): number => o[k] as number;
const bool = (o: Obj, k: string): boolean => o[k] === true;

function loadIrq(gic: Vgic, irq: VgicIrq, o: Obj): void {
  irq.isLevel = bool(o, 'level');
  for (const k of IRQ_FLAGS) irq[k] = bool(o, k);
  for (const k of IRQ_NUMBERS) irq[k] = num(o, k);
  irq.targetVcpu = gic.vcpus[num(o, 'target')] ?? null;
  irq.vcpu = gic.vcpus[num(o, 'vcpu')] ?? null;
  irq.vpe = gic.vcpus[num(o, 'vpe')]?.vpe ?? null;
  irq.hwLine = null;
  irq.getInputLevel = null;
  if (irq.hw && irq.vpe === null) {
    const line = gic.host.irqs.get(irq.hostIrq);
    if (line instanceof HostIrqLine) irq.hwLine = line;
    else irq.hw = false; // the host side is gone
  }
}

function deref(gic: Vgic, r: JsonValue): VgicIrq {
  const [vcpu, intid] = r as Ref;
  const irq = gic.irq(gic.vcpus[vcpu < 0 ? 0 : vcpu]!, intid);
  if (irq === undefined) throw new IrqError('EINVAL', `snapshot refers to missing INTID ${intid}`);
  return irq;
}

/**
 * Restores {@link saveArmState}'s output into a VGIC created with the same options.
 * @throws IrqError EINVAL if the snapshot does not fit this machine.
 */
export function restoreArmState(gic: Vgic, state: JsonValue): void {
  const s = state as Obj;
  if (s === null || typeof s !== 'object' || s.model !== gic.config.model) {
    throw new IrqError('EINVAL', 'snapshot is for another GIC model');
  }
  const vcpus = s.vcpus as Obj[];
  const spis = s.spis as Obj[];
  if (vcpus.length !== gic.vcpus.length || spis.length !== gic.spis.length) {
    throw new IrqError('EINVAL', 'snapshot has a different number of vCPUs or SPIs');
  }
  gic.memory.restorePages(s.memory as unknown as Array<[number, number[]]>);
  gic.enabled = bool(s, 'enabled');
  gic.nassgireq = bool(s, 'nassgireq');
  gic.activeSpis = num(s, 'activeSpis');
  const pb = s.propbaser as number[];
  gic.propbaser = [pb[0]!, pb[1]!];
  gic.v2GroupsUserWritable = bool(s, 'v2GroupsUserWritable');
  spis.forEach((o, i) => {
    loadIrq(gic, gic.spis[i]!, o);
  });
  gic.lpis.clear();
  for (const o of s.lpis as Obj[]) {
    const irq = new VgicIrq(num(o, 'intid'), false);
    gic.lpis.set(irq.intid, irq);
    loadIrq(gic, irq, o);
  }
  vcpus.forEach((o, i) => {
    const v = gic.vcpus[i]!;
    (o.private as Obj[]).forEach((p, j) => {
      loadIrq(gic, v.privateIrqs[j]!, p);
    });
  });
  vcpus.forEach((o, i) => {
    loadVcpu(gic, gic.vcpus[i]!, o);
  });
  loadIts(gic, s.its as Obj | null);
}

function loadVcpu(gic: Vgic, v: VgicCpu, o: Obj): void {
  v.runState = o.runState as VgicCpu['runState'];
  v.inGuest = bool(o, 'inGuest');
  v.irqPending = bool(o, 'irqPending');
  v.halted = 0;
  v.apList = (o.apList as JsonValue[]).map((r) => deref(gic, r));
  v.apLen = v.apList.length;
  const lr = v.lr;
  for (let n = 0; n < lr.count; n++) lr.clear(n);
  const lrs = o.lrs as JsonValue[][];
  lrs.forEach((e, n) => {
    LR_FIELDS.forEach((f, i) => {
      lr[f][n] = e[i] as number;
    });
    const irq = e[LR_FIELDS.length]!;
    lr.irq[n] = irq === null ? null : deref(gic, irq);
  });
  v.usedLrs = num(o, 'usedLrs');
  v.hcr = num(o, 'hcr');
  v.eoiCount = num(o, 'eoiCount');
  // Snapshots from before `misr` was saved: recompute it from the restored LRs.
  v.misr = typeof o.misr === 'number' ? o.misr : misr(v);
  const vm = o.vmcr as number[];
  [v.pmr, v.bpr0, v.bpr1, v.eoiMode, v.cbpr] = [vm[0]!, vm[1]!, vm[2]!, vm[3]!, vm[4]!];
  v.grpEn0 = vm[5] === 1;
  v.grpEn1 = vm[6] === 1;
  const apr = o.apr as number[];
  v.ap0 = apr[0]!;
  v.ap1 = apr[1]!;
  v.lpisEnabled = bool(o, 'lpisEnabled');
  const pb = o.pendbaser as number[];
  v.pendbaser = [pb[0]!, pb[1]!];
  v.ptz = bool(o, 'ptz');
  const vpe = o.vpe as Obj;
  v.vpe.resident = bool(vpe, 'resident');
  v.vpe.doorbellRequested = bool(vpe, 'doorbellRequested');
  v.vpe.pendingLast = bool(vpe, 'pendingLast');
  v.vpe.vlpiCount = num(vpe, 'vlpiCount');
  v.vpe.reset();
  for (const r of vpe.pending as JsonValue[]) {
    const irq = deref(gic, r);
    irq.vptPending = false;
    v.vpe.setPending(irq);
  }
}

function loadIts(gic: Vgic, o: Obj | null): void {
  const its = gic.its;
  if (its === null || o === null) return;
  its.devices.clear();
  its.collections.clear();
  its.cache.clear();
  its.enabled = bool(o, 'enabled');
  const cb = o.cbaser as number[];
  its.cbaser = [cb[0]!, cb[1]!];
  its.cwriter = num(o, 'cwriter');
  its.creadr = num(o, 'creadr');
  (o.baser as number[][]).forEach((b, n) => {
    its.baser[n] = [b[0]!, b[1]!];
  });
  its.lastError = num(o, 'lastError');
  for (const [icid, target] of o.collections as number[][]) {
    its.collections.set(icid!, { icid: icid!, target: gic.vcpus[target!] ?? null });
  }
  for (const d of o.devices as Obj[]) {
    const dev: ItsDevice = {
      devid: num(d, 'devid'),
      eventIdBits: num(d, 'eventIdBits'),
      ittAddr: num(d, 'ittAddr'),
      ites: new Map<number, Ite>(),
    };
    for (const [ev, intid, coll, icid] of d.ites as number[][]) {
      const irq = gic.lpis.get(intid!);
      if (irq === undefined)
        throw new IrqError('EINVAL', `snapshot ITE refers to missing LPI ${intid}`);
      dev.ites.set(ev!, {
        eventid: ev!,
        irq,
        collection: its.collections.get(coll!) ?? null,
        icid: icid!,
      });
    }
    its.devices.set(dev.devid, dev);
  }
  for (const [k, intid] of o.cache as number[][]) {
    const irq = gic.lpis.get(intid!);
    if (irq !== undefined) its.cache.set(k!, irq);
  }
}
