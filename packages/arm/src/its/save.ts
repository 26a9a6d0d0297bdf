import { IrqError } from '@irqkit/core';
import type { Its } from './its.js';
import { addLpi, baserAddress, tableEntry } from './tables.js';
import type { ItsCollection, ItsDevice } from './types.js';

const NOT_MAPPED = 0xffffffff;

/**
 * ARM-5.8 `KVM_DEV_ARM_ITS_SAVE_TABLES` (ABI rev 0, 8-byte entries): device table entries
 * `[63] V | [62:49] next DevID offset | [48:5] ITT_addr[51:8] | [4:0] Size`, one ITT per device
 * with `[63:48] next EventID offset | [47:16] pINTID | [15:0] ICID`, and the collection table
 * `[63] V | [51:16] RDbase | [15:0] ICID`.
 * @throws IrqError EACCES with GICv4.0-backed vLPIs; EFAULT if a table entry is not RAM.
 */
export function saveItsTables(its: Its): void {
  const gic = its.gic;
  if (gic.config.gicv4 === 'v4.0') {
    for (const dev of its.devices.values()) {
      for (const ite of dev.ites.values()) {
        if (ite.irq.hw) throw new IrqError('EACCES', 'GICv4.0 vLPI state cannot be saved');
      }
    }
  }
  const mem = gic.memory;
  const devs = [...its.devices.values()].sort((a, b) => a.devid - b.devid);
  devs.forEach((dev, i) => {
    const addr = tableEntry(its, 0, dev.devid);
    if (addr < 0) throw new IrqError('EFAULT', `device ${dev.devid} has no table entry`);
    const next = i + 1 < devs.length ? Math.min(devs[i + 1]!.devid - dev.devid, 0x3fff) : 0;
    const dte =
      (1n << 63n) |
      (BigInt(next) << 49n) |
      ((BigInt(dev.ittAddr) >> 8n) << 5n) |
      BigInt(dev.eventIdBits - 1);
    mem.write64(addr, dte);
    const ites = [...dev.ites.values()].sort((a, b) => a.eventid - b.eventid);
    ites.forEach((ite, j) => {
      const nextEv = j + 1 < ites.length ? Math.min(ites[j + 1]!.eventid - ite.eventid, 0xffff) : 0;
      const v = (BigInt(nextEv) << 48n) | (BigInt(ite.irq.intid) << 16n) | BigInt(ite.icid);
      if (!mem.write64(dev.ittAddr + ite.eventid * 8, v)) {
        throw new IrqError('EFAULT', `ITT of device ${dev.devid} is not RAM`);
      }
    });
  });
  // Collections are written consecutively and terminated by an invalid entry.
  const base = baserAddress(its, 1);
  const slots = (((its.baser[1]![0] & 0xff) + 1) * 0x10000) / 8;
  const colls = [...its.collections.values()].sort((a, b) => a.icid - b.icid);
  colls.forEach((c, i) => {
    const rd = c.target === null ? NOT_MAPPED : c.target.id;
    mem.write64(base + i * 8, (1n << 63n) | (BigInt(rd) << 16n) | BigInt(c.icid));
  });
  if (colls.length < slots) mem.write64(base + colls.length * 8, 0n);
}

/**
 * ARM-5.8 `KVM_DEV_ARM_ITS_RESTORE_TABLES`: rebuilds collections, devices and ITEs from the
 * guest tables; LPIs are re-created with their configuration and pending bits.
 * @throws IrqError EINVAL for an entry naming a vCPU that does not exist.
 */
export function restoreItsTables(its: Its): void {
  const gic = its.gic;
  const mem = gic.memory;
  its.freeDevices();
  its.freeCollections();
  if (its.baserValid(1)) {
    const base = baserAddress(its, 1);
    const slots = (((its.baser[1]![0] & 0xff) + 1) * 0x10000) / 8;
    for (let i = 0; i < slots; i++) {
      const cte = mem.read64(base + i * 8);
      if (cte === null || cte >> 63n === 0n) break;
      const icid = Number(cte & 0xffffn);
      const rd = Number((cte >> 16n) & 0xfffffffffn);
      let target: ItsCollection['target'] = null;
      if (rd !== NOT_MAPPED) {
        target = gic.vcpus[rd] ?? null;
        if (target === null) throw new IrqError('EINVAL', `collection ${icid} names vCPU ${rd}`);
      }
      its.collections.set(icid, { icid, target });
    }
  }
  if (!its.baserValid(0)) return;
  for (let devid = 0; devid < 0x10000; ) {
    const addr = tableEntry(its, 0, devid);
    if (addr < 0) {
      devid++;
      continue;
    }
    const dte = mem.read64(addr);
    if (dte === null || dte >> 63n === 0n) {
      devid++;
      continue;
    }
    const dev: ItsDevice = {
      devid,
      eventIdBits: Number(dte & 0x1fn) + 1,
      ittAddr: Number(((dte >> 5n) & 0xfffffffffffn) << 8n),
      ites: new Map(),
    };
    its.devices.set(devid, dev);
    restoreItt(its, dev);
    const next = Number((dte >> 49n) & 0x3fffn);
    if (next === 0) break;
    devid += next;
  }
}

function restoreItt(its: Its, dev: ItsDevice): void {
  const mem = its.gic.memory;
  const max = 2 ** dev.eventIdBits;
  for (let ev = 0; ev < max; ) {
    const ite = mem.read64(dev.ittAddr + ev * 8);
    const intid = ite === null ? 0 : Number((ite >> 16n) & 0xffffffffn);
    if (ite === null || intid === 0) {
      ev++;
      continue;
    }
    const icid = Number(ite & 0xffffn);
    const coll = its.collections.get(icid) ?? null;
    const irq = addLpi(its, intid, coll?.target ?? null);
    dev.ites.set(ev, { eventid: ev, irq, collection: coll, icid });
    const next = Number(ite >> 48n);
    if (next === 0) break;
    ev += next;
  }
}
