import { MIN_LPI } from '../constants.js';
import { clearDirect, postDirect } from '../v4/direct.js';
import { queueIrq } from '../vgic/queue.js';
import type { Its } from './its.js';
import { lpiLimit, updateLpiConfig } from './lpi.js';
import { addLpi, freeDevice, freeIte, tableEntry, updateAffinity } from './tables.js';
import { ITS_CMD, ITS_ERR, ITS_ID_BITS, type Ite, type ItsCollection } from './types.js';

/*
 * ITS command execution (arm.md §5.2 table). Encodings: DW0[7:0] opcode, DW0[63:32] DeviceID;
 * DW1[31:0] EventID, DW1[63:32] pINTID, DW1[4:0] Size; DW2[15:0] ICID, DW2[50:16] RDbase,
 * DW2[51:8] ITT address, DW2[63] Valid; DW3[50:16] RDbase2. Each handler validates first and
 * changes nothing on error (KVM never stalls the queue: the caller skips the command).
 */

function rdbase(lo: number, hi: number): number {
  return (lo >>> 16) + (hi & 0x7ffff) * 0x10000;
}

function mapped(c: ItsCollection | null | undefined): c is ItsCollection & { target: object } {
  return c !== null && c !== undefined && c.target !== null;
}

function findIte(its: Its, devid: number, eventid: number): Ite | undefined {
  return its.devices.get(devid)?.ites.get(eventid);
}

/**
 * Executes one command.
 * @returns 0, or the ITS error code of arm.md §5.2.
 */
export function executeCommand(its: Its, w: Uint32Array): number {
  const devid = w[1]!;
  const eventid = w[2]!;
  switch (w[0]! & 0xff) {
    case ITS_CMD.MAPD:
      return mapd(
        its,
        devid,
        (w[2]! & 0x1f) + 1,
        (w[4]! & 0xffffff00) + (w[5]! & 0xfffff) * 2 ** 32,
        w[5]! >>> 31 === 1,
      );
    case ITS_CMD.MAPC:
      return mapc(its, w[4]! & 0xffff, rdbase(w[4]!, w[5]!), w[5]! >>> 31 === 1);
    case ITS_CMD.MAPTI:
      return mapti(its, devid, eventid, w[3]!, w[4]! & 0xffff);
    case ITS_CMD.MAPI:
      return mapti(its, devid, eventid, eventid, w[4]! & 0xffff);
    case ITS_CMD.INT:
      return int(its, devid, eventid);
    case ITS_CMD.CLEAR:
      return clear(its, devid, eventid);
    case ITS_CMD.DISCARD:
      return discard(its, devid, eventid);
    case ITS_CMD.INV:
      return inv(its, devid, eventid);
    case ITS_CMD.INVALL:
      return invall(its, w[4]! & 0xffff);
    case ITS_CMD.MOVI:
      return movi(its, devid, eventid, w[4]! & 0xffff);
    case ITS_CMD.MOVALL:
      return movall(its, rdbase(w[4]!, w[5]!), rdbase(w[6]!, w[7]!));
    default:
      return 0; // SYNC is a no-op; unknown (VMAPP, VMOVI, …) commands are ignored
  }
}

function mapd(its: Its, devid: number, bits: number, itt: number, valid: boolean): number {
  if (tableEntry(its, 0, devid) < 0) return ITS_ERR.MAPD_DEVICE_OOR;
  if (valid && bits > ITS_ID_BITS) return ITS_ERR.MAPD_ITTSIZE_OOR;
  const dev = its.devices.get(devid);
  if (dev !== undefined) freeDevice(its, dev);
  if (!valid) return 0;
  its.devices.set(devid, { devid, eventIdBits: bits, ittAddr: itt, ites: new Map() });
  return 0;
}

function mapc(its: Its, icid: number, rd: number, valid: boolean): number {
  const gic = its.gic;
  if (rd >= gic.vcpus.length) return ITS_ERR.MAPC_PROCNUM_OOR;
  if (!valid) {
    if (its.collections.delete(icid)) {
      for (const dev of its.devices.values()) {
        for (const ite of dev.ites.values())
          if (ite.collection?.icid === icid) ite.collection = null;
      }
    }
    its.invalidateCache();
    return 0;
  }
  const target = gic.vcpus[rd]!;
  const coll = its.collections.get(icid);
  if (coll === undefined) {
    if (tableEntry(its, 1, icid) < 0) return ITS_ERR.MAPC_COLLECTION_OOR;
    its.collections.set(icid, { icid, target });
    return 0;
  }
  coll.target = target;
  // update_affinity_collection: every LPI of this collection follows.
  for (const dev of its.devices.values()) {
    for (const ite of dev.ites.values())
      if (ite.collection === coll) updateAffinity(gic, ite.irq, target);
  }
  return 0;
}

function mapti(its: Its, devid: number, eventid: number, lpi: number, icid: number): number {
  const dev = its.devices.get(devid);
  if (dev === undefined) return ITS_ERR.MAPTI_UNMAPPED_DEVICE;
  if (eventid >= 2 ** dev.eventIdBits) return ITS_ERR.MAPTI_ID_OOR;
  if (lpi < MIN_LPI || lpi >= lpiLimit(its.gic)) return ITS_ERR.MAPTI_PHYSICALID_OOR;
  if (dev.ites.has(eventid)) return 0; // an existing mapping is left alone
  let coll = its.collections.get(icid);
  if (coll === undefined) {
    if (tableEntry(its, 1, icid) < 0) return ITS_ERR.MAPC_COLLECTION_OOR;
    coll = { icid, target: null };
    its.collections.set(icid, coll);
  }
  const irq = addLpi(its, lpi, coll.target);
  dev.ites.set(eventid, { eventid, irq, collection: coll, icid });
  return 0;
}

function int(its: Its, devid: number, eventid: number): number {
  const ite = findIte(its, devid, eventid);
  if (ite === undefined || !mapped(ite.collection)) return ITS_ERR.INT_UNMAPPED_INTERRUPT;
  const irq = ite.irq;
  if (irq.targetVcpu === null || !irq.targetVcpu.lpisEnabled) return 0; // -EBUSY: dropped
  if (irq.hw && irq.vpe !== null) {
    postDirect(its.gic, irq);
    return 0;
  }
  irq.pendingLatch = true;
  queueIrq(its.gic, irq);
  return 0;
}

function clear(its: Its, devid: number, eventid: number): number {
  const ite = findIte(its, devid, eventid);
  if (ite === undefined) return ITS_ERR.CLEAR_UNMAPPED_INTERRUPT;
  ite.irq.pendingLatch = false; // an LR already loaded is not withdrawn
  if (ite.irq.hw) clearDirect(ite.irq);
  return 0;
}

function discard(its: Its, devid: number, eventid: number): number {
  const dev = its.devices.get(devid);
  const ite = dev?.ites.get(eventid);
  if (dev === undefined || ite === undefined || !mapped(ite.collection)) {
    return ITS_ERR.DISCARD_UNMAPPED_INTERRUPT;
  }
  its.invalidateCache();
  freeIte(its, dev, ite);
  return 0;
}

function inv(its: Its, devid: number, eventid: number): number {
  const ite = findIte(its, devid, eventid);
  if (ite === undefined) return ITS_ERR.INV_UNMAPPED_INTERRUPT;
  updateLpiConfig(its.gic, ite.irq);
  return 0;
}

function invall(its: Its, icid: number): number {
  const coll = its.collections.get(icid);
  if (!mapped(coll)) return ITS_ERR.INVALL_UNMAPPED_COLLECTION;
  for (const irq of its.gic.lpis.values())
    if (irq.targetVcpu === coll.target) updateLpiConfig(its.gic, irq);
  return 0;
}

function movi(its: Its, devid: number, eventid: number, icid: number): number {
  const ite = findIte(its, devid, eventid);
  if (ite === undefined) return ITS_ERR.MOVI_UNMAPPED_INTERRUPT;
  if (!mapped(ite.collection)) return ITS_ERR.MOVI_UNMAPPED_COLLECTION;
  const coll = its.collections.get(icid);
  if (!mapped(coll)) return ITS_ERR.MOVI_UNMAPPED_COLLECTION;
  ite.collection = coll;
  ite.icid = icid;
  its.invalidateCache();
  updateAffinity(its.gic, ite.irq, coll.target as NonNullable<ItsCollection['target']>);
  return 0;
}

function movall(its: Its, rd1: number, rd2: number): number {
  const gic = its.gic;
  if (rd1 >= gic.vcpus.length || rd2 >= gic.vcpus.length) return ITS_ERR.MOVALL_PROCNUM_OOR;
  if (rd1 === rd2) return 0;
  const from = gic.vcpus[rd1]!;
  const to = gic.vcpus[rd2]!;
  for (const irq of [...gic.lpis.values()])
    if (irq.targetVcpu === from) updateAffinity(gic, irq, to);
  its.invalidateCache();
  return 0;
}
