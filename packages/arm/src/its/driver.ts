import { IrqError } from '@irqkit/core';
import { MIN_LPI } from '../constants.js';
import type { GuestMemory } from '../memory.js';
import { GITS_TRANSLATER, ITS_CMD } from './types.js';

/** Register writes as the guest performs them (through the trapping bus or not). */
export interface GuestRegs {
  /** Reads a 32-bit register. */
  read32(addr: number): number;
  /** Writes a 32-bit register. */
  write32(addr: number, value: number): void;
  /** Writes a 64-bit register. */
  write64(addr: number, value: bigint): void;
}

/** Where the driver keeps its tables in guest RAM. */
export interface ItsDriverLayout {
  /** Command queue (64 KiB aligned). */
  readonly queue: number;
  /** Command queue size in bytes (default 64 KiB). */
  readonly queueBytes: number;
  /** Flat device table (8 × 64 KiB: 65,536 devices). */
  readonly deviceTable: number;
  /** Collection table (64 KiB). */
  readonly collectionTable: number;
  /** LPI configuration table (64 KiB: 16 ID bits). */
  readonly propTable: number;
  /** First pending table; vCPU n's is at `pendTables + n × 64 KiB`. */
  readonly pendTables: number;
  /** First ITT; device d's is at `itts + d × 512 KiB`. */
  readonly itts: number;
}

/** The default driver layout, from `base` (1 GiB). */
export function defaultDriverLayout(base = 0x4000_0000): ItsDriverLayout {
  return {
    queue: base,
    queueBytes: 0x1_0000,
    deviceTable: base + 0x10_0000,
    collectionTable: base + 0x20_0000,
    propTable: base + 0x30_0000,
    pendTables: base + 0x100_0000,
    itts: base + 0x1000_0000,
  };
}

const u64 = (v: number | bigint): bigint => BigInt.asUintN(64, BigInt(v));

/**
 * Encodes ITS commands as four 64-bit words (arm.md §5.2): DW0[7:0] opcode, DW0[63:32]
 * DeviceID; DW1[31:0] EventID, [63:32] pINTID, [4:0] Size; DW2[15:0] ICID, [50:16] RDbase,
 * [51:8] ITT address, [63] Valid; DW3[50:16] RDbase2.
 */
export const itsCommand = {
  /** MAPD DevID, Size (EventID bits − 1), ITT, V. */
  mapd: (devid: number, size: number, itt: number, valid = true): bigint[] => [
    u64(ITS_CMD.MAPD) | (u64(devid) << 32n),
    u64(size & 0x1f),
    (u64(itt) & 0xffffffffff00n & ((1n << 52n) - 1n)) | (valid ? 1n << 63n : 0n),
    0n,
  ],
  /** MAPC ICID → RDbase (vCPU number), V. */
  mapc: (icid: number, rdbase: number, valid = true): bigint[] => [
    u64(ITS_CMD.MAPC),
    0n,
    u64(icid & 0xffff) | (u64(rdbase) << 16n) | (valid ? 1n << 63n : 0n),
    0n,
  ],
  /** MAPTI DevID, EventID → pINTID in ICID. */
  mapti: (devid: number, eventid: number, pintid: number, icid: number): bigint[] => [
    u64(ITS_CMD.MAPTI) | (u64(devid) << 32n),
    u64(eventid) | (u64(pintid) << 32n),
    u64(icid & 0xffff),
    0n,
  ],
  /** MAPI DevID, EventID (pINTID = EventID) in ICID. */
  mapi: (devid: number, eventid: number, icid: number): bigint[] => [
    u64(ITS_CMD.MAPI) | (u64(devid) << 32n),
    u64(eventid),
    u64(icid & 0xffff),
    0n,
  ],
  /** INT DevID, EventID. */
  int: (devid: number, eventid: number): bigint[] => eventCmd(ITS_CMD.INT, devid, eventid),
  /** CLEAR DevID, EventID. */
  clear: (devid: number, eventid: number): bigint[] => eventCmd(ITS_CMD.CLEAR, devid, eventid),
  /** DISCARD DevID, EventID. */
  discard: (devid: number, eventid: number): bigint[] => eventCmd(ITS_CMD.DISCARD, devid, eventid),
  /** INV DevID, EventID. */
  inv: (devid: number, eventid: number): bigint[] => eventCmd(ITS_CMD.INV, devid, eventid),
  /** INVALL ICID. */
  invall: (icid: number): bigint[] => [u64(ITS_CMD.INVALL), 0n, u64(icid & 0xffff), 0n],
  /** MOVI DevID, EventID → ICID. */
  movi: (devid: number, eventid: number, icid: number): bigint[] => [
    u64(ITS_CMD.MOVI) | (u64(devid) << 32n),
    u64(eventid),
    u64(icid & 0xffff),
    0n,
  ],
  /** MOVALL RDbase1 → RDbase2. */
  movall: (rd1: number, rd2: number): bigint[] => [
    u64(ITS_CMD.MOVALL),
    0n,
    u64(rd1) << 16n,
    u64(rd2) << 16n,
  ],
  /** SYNC RDbase. */
  sync: (rdbase: number): bigint[] => [u64(ITS_CMD.SYNC), 0n, u64(rdbase) << 16n, 0n],
};

function eventCmd(op: number, devid: number, eventid: number): bigint[] {
  return [u64(op) | (u64(devid) << 32n), u64(eventid), 0n, 0n];
}

/**
 * What a guest's ITS driver does (Linux `irq-gic-v3-its.c` in miniature): program the tables,
 * enable LPIs, and queue commands by writing them to memory and advancing GITS_CWRITER. Used by
 * the GuestPort, the tests and the docs.
 */
export class ItsDriver {
  /** The MSI doorbell: GITS_TRANSLATER. */
  readonly doorbell: number;
  // Drivers track GITS_CWRITER in memory; −1 until known (then read once).
  private cwriter = -1;

  /**
   * @param regs - register access (the machine's trapping bus, or setup writes).
   * @param memory - guest RAM.
   * @param itsBase - the ITS frame.
   * @param redistBase - the redistributor region (128 KiB per vCPU).
   * @param vcpus - number of vCPUs.
   * @param layout - where the tables go.
   */
  constructor(
    private readonly regs: GuestRegs,
    private readonly memory: GuestMemory,
    readonly itsBase: number,
    private readonly redistBase: number,
    private readonly vcpus: number,
    readonly layout: ItsDriverLayout = defaultDriverLayout(),
  ) {
    this.doorbell = itsBase + GITS_TRANSLATER;
  }

  /**
   * Programs BASER0/1, CBASER, PROPBASER (16 ID bits) and every PENDBASER, enables LPIs on
   * every vCPU and enables the ITS.
   */
  setup(): void {
    const l = this.layout;
    const r = this.regs;
    r.write64(this.itsBase + 0x100, (1n << 63n) | u64(l.deviceTable) | 7n); // 8 pages, flat
    r.write64(this.itsBase + 0x108, (1n << 63n) | u64(l.collectionTable));
    r.write64(this.itsBase + 0x80, (1n << 63n) | u64(l.queue) | u64(l.queueBytes / 4096 - 1));
    this.cwriter = 0; // a CBASER write resets CREADR and CWRITER
    for (let v = 0; v < this.vcpus; v++) {
      const rd = this.redistBase + v * 0x20000;
      r.write64(rd + 0x70, u64(l.propTable) | 15n);
      r.write64(rd + 0x78, u64(l.pendTables + v * 0x10000));
      r.write32(rd + 0x0, 1);
    }
    r.write32(this.itsBase, 1);
  }

  /** The ITT address the driver uses for device `devid`. */
  itt(devid: number): number {
    return this.layout.itts + devid * 0x8_0000;
  }

  /** Writes LPI `intid`'s configuration byte (priority, enable, RES1); no INV is issued. */
  setLpiConfig(intid: number, priority: number, enabled: boolean): void {
    if (intid < MIN_LPI) throw new IrqError('EINVAL', `${intid} is not an LPI`);
    this.memory.write8(
      this.layout.propTable + intid - MIN_LPI,
      (priority & 0xfc) | 2 | (enabled ? 1 : 0),
    );
  }

  /** Queues `words` (four 64-bit words) and advances GITS_CWRITER: one register write. */
  submit(...commands: bigint[][]): void {
    const r = this.regs;
    const size = this.layout.queueBytes;
    let w = this.cwriter < 0 ? r.read32(this.itsBase + 0x88) : this.cwriter;
    for (const cmd of commands) {
      for (let i = 0; i < 4; i++) this.memory.write64(this.layout.queue + w + i * 8, cmd[i] ?? 0n);
      w = (w + 32) % size;
    }
    this.cwriter = w;
    r.write64(this.itsBase + 0x88, u64(w));
  }

  /** MAPD with the driver's ITT for the device. */
  mapd(devid: number, size: number, valid = true): void {
    this.submit(itsCommand.mapd(devid, size, this.itt(devid), valid));
  }
}
