import { IrqError } from '@irqkit/core';
import type { VgicIrq } from '../gic/irq.js';
import type { Vgic } from '../vgic/vgic.js';
import { executeCommand } from './commands.js';
import { freeDevice } from './tables.js';
import { ITS_FRAME_SIZE, type ItsCollection, type ItsDevice } from './types.js';

/** Translation cache capacity (ARM-5.6). */
export type ItsCacheMode = 'unbounded' | { readonly lru: number };

/**
 * The ITS (arm.md §5): GITS registers, the command queue, the device / collection / ITE
 * tables, and the translation cache. Guest register decode is in `its-regs.ts`, commands in
 * `commands.ts`, MSI translation in `translate.ts`.
 */
export class Its {
  /** GITS_CTLR.Enabled. */
  enabled = false;
  /** GITS_CBASER low / high words (Valid, PA, Size kept). */
  cbaser: [number, number] = [0, 0];
  /** GITS_CWRITER offset. */
  cwriter = 0;
  /** GITS_CREADR offset. */
  creadr = 0;
  /** GITS_BASER<n> low / high words. */
  readonly baser: Array<[number, number]>;
  /** Mapped devices by DeviceID. */
  readonly devices: Map<number, ItsDevice> = new Map();
  /** Collections by ICID. */
  readonly collections: Map<number, ItsCollection> = new Map();
  /** (DeviceID, EventID) → LPI, for translations that succeeded (ARM-5.6). */
  readonly cache: Map<number, VgicIrq> = new Map();
  /** The last command error code (0: none), for tests and traces (ARM-5.2). */
  lastError = 0;
  /** Commands processed. */
  commands = 0;
  private readonly cmd = new Uint32Array(8);

  /**
   * @param gic - the VGIC.
   * @param base - guest physical base (64 KiB aligned).
   * @param cacheMode - cache capacity.
   */
  constructor(
    readonly gic: Vgic,
    readonly base: number,
    readonly cacheMode: ItsCacheMode = 'unbounded',
  ) {
    if (!Number.isSafeInteger(base) || base < 0 || base % 0x10000 !== 0) {
      throw new IrqError('EINVAL', `ITS base ${String(base)} must be 64 KiB aligned`);
    }
    this.baser = Array.from({ length: 8 }, (_, n) => initialBaser(n));
  }

  /** True if `addr` lies in this ITS's frame (where MSIs may be sent). */
  contains(addr: number): boolean {
    return addr >= this.base && addr < this.base + ITS_FRAME_SIZE;
  }

  /** Command queue size in bytes: (Size + 1) × 4 KiB. */
  get queueSize(): number {
    return ((this.cbaser[0] & 0xff) + 1) * 4096;
  }

  /** Command queue base address. */
  get queueBase(): number {
    return (this.cbaser[0] & 0xffff0000) + (this.cbaser[1] & 0xfffff) * 2 ** 32;
  }

  /** GITS_BASER<n>.Valid. */
  baserValid(n: number): boolean {
    return ((this.baser[n]?.[1] ?? 0) & 0x80000000) !== 0;
  }

  /** Key of the translation cache. */
  static key(devid: number, eventid: number): number {
    return devid * 0x10000 + eventid;
  }

  /** Empties the translation cache (`vgic_its_invalidate_cache`). */
  invalidateCache(): void {
    this.cache.clear();
  }

  /** Caches a successful translation (LRU: evicts the oldest beyond capacity). */
  cacheInsert(devid: number, eventid: number, irq: VgicIrq): void {
    const key = Its.key(devid, eventid);
    this.cache.delete(key);
    this.cache.set(key, irq);
    const mode = this.cacheMode;
    if (mode !== 'unbounded' && this.cache.size > mode.lru) {
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
  }

  /**
   * ARM-5.2: processes commands from CREADR to CWRITER, synchronously; a failing command is
   * skipped (its error kept in {@link Its.lastError}) and an unreadable one silently.
   */
  process(): void {
    if (!this.enabled) return;
    const mem = this.gic.memory;
    const size = this.queueSize;
    const base = this.queueBase;
    const cmd = this.cmd;
    while (this.creadr !== this.cwriter) {
      let readable = true;
      for (let i = 0; i < 8; i++) {
        const w = mem.read32(base + this.creadr + 4 * i);
        if (w < 0) readable = false;
        cmd[i] = w < 0 ? 0 : w;
      }
      if (readable) {
        this.commands++;
        const err = executeCommand(this, cmd);
        if (err > 0) {
          this.lastError = err;
          if (this.gic.trace.enabled) {
            this.gic.trace.emit({ type: 'arm.its-error', opcode: cmd[0]! & 0xff, code: err });
          }
        }
      }
      this.creadr = (this.creadr + 32) % size;
    }
  }

  /** Frees every device (BASER0.Valid = 0, reset). */
  freeDevices(): void {
    for (const dev of [...this.devices.values()]) freeDevice(this, dev);
    this.invalidateCache();
  }

  /** Frees every collection (BASER1.Valid = 0, reset); ITEs become "collection unmapped". */
  freeCollections(): void {
    for (const dev of this.devices.values())
      for (const ite of dev.ites.values()) ite.collection = null;
    this.collections.clear();
    this.invalidateCache();
  }

  /** ARM-5.8 `KVM_DEV_ARM_ITS_CTRL_RESET`. */
  reset(): void {
    this.enabled = false;
    this.freeDevices();
    this.freeCollections();
    for (let n = 0; n < 8; n++) this.baser[n] = initialBaser(n);
    this.cbaser = [0, 0];
    this.creadr = 0;
    this.cwriter = 0;
    this.lastError = 0;
  }
}

/** BASER reset value: Type (device 1, collection 4), EntrySize − 1 = 7, 64 KiB pages. */
export function initialBaser(n: number): [number, number] {
  if (n > 1) return [0, 0];
  const type = n === 0 ? 1 : 4;
  return [2 << 8, ((type << 24) | (7 << 16)) >>> 0];
}
