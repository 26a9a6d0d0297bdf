import { Lr } from '../constants.js';
import type { VgicIrq } from '../gic/irq.js';

/**
 * Where each 32-bit LR field lives in {@link ListRegisters.words} (internal): field-major,
 * one block of 64 entries (the most list registers a host has) per field, so the offsets are
 * constants the bundler writes in place.
 */
export const enum LrWord {
  /** `words[Vintid + n]`. */
  Vintid = 0,
  /** `words[Pintid + n]`. */
  Pintid = 64,
  /** Size of the block in bytes. */
  Bytes = 512,
}

/** Where each 8-bit LR field lives in {@link ListRegisters.bytes} (internal), as {@link LrWord}. */
export const enum LrByte {
  /** `bytes[State + n]`. */
  State = 0,
  /** `bytes[Hw + n]`. */
  Hw = 64,
  /** `bytes[Eoi + n]`. */
  Eoi = 128,
  /** `bytes[Priority + n]`. */
  Priority = 192,
  /** `bytes[Group + n]`. */
  Group = 256,
  /** Size of the block in bytes. */
  Bytes = 320,
}

/**
 * A vCPU's list registers (arm.md §3.1), stored field by field in typed arrays so the flush /
 * fold hot path never allocates. The model keeps the GICv3 layout; {@link ListRegisters.ich}
 * and {@link ListRegisters.gich} encode one entry as the hardware holds it.
 *
 * All fields share one buffer: the per-field arrays are views of it, and the hot paths use
 * the two whole-buffer views {@link ListRegisters.words} and {@link ListRegisters.bytes}
 * (one typed array checked once per function instead of one per field).
 */
export class ListRegisters {
  /** vINTID (for a GICv2 guest's SGIs, with the source CPU in bits [12:10]). */
  readonly vintid: Uint32Array;
  /** Physical INTID when HW = 1. */
  readonly pintid: Uint32Array;
  /** 0 invalid, 1 pending, 2 active, 3 pending+active. */
  readonly state: Uint8Array;
  /** HW bit: deactivation also deactivates the physical interrupt. */
  readonly hw: Uint8Array;
  /** EOI bit (HW = 0): a deactivation raises an EOI maintenance interrupt. */
  readonly eoi: Uint8Array;
  /** 8-bit priority. */
  readonly priority: Uint8Array;
  /** Group bit. */
  readonly group: Uint8Array;
  /** The 32-bit fields, vINTID then pINTID, each a block of 64 entries. */
  readonly words: Uint32Array;
  /** The 8-bit fields, state, HW, EOI, priority then group, each a block of 64 entries. */
  readonly bytes: Uint8Array;
  /** The interrupt each entry was populated from (KVM looks it up by vINTID). */
  readonly irq: Array<VgicIrq | null>;

  /** @param count - number of list registers (1 … 64). */
  constructor(readonly count: number) {
    const buf = new ArrayBuffer(LrWord.Bytes + LrByte.Bytes);
    this.words = new Uint32Array(buf, 0, LrWord.Bytes / 4);
    this.bytes = new Uint8Array(buf, LrWord.Bytes, LrByte.Bytes);
    this.vintid = new Uint32Array(buf, LrWord.Vintid * 4, count);
    this.pintid = new Uint32Array(buf, LrWord.Pintid * 4, count);
    this.state = new Uint8Array(buf, LrWord.Bytes + LrByte.State, count);
    this.hw = new Uint8Array(buf, LrWord.Bytes + LrByte.Hw, count);
    this.eoi = new Uint8Array(buf, LrWord.Bytes + LrByte.Eoi, count);
    this.priority = new Uint8Array(buf, LrWord.Bytes + LrByte.Priority, count);
    this.group = new Uint8Array(buf, LrWord.Bytes + LrByte.Group, count);
    // Filled by push: a packed array (no hole checks on the hot path).
    const irq: Array<VgicIrq | null> = [];
    for (let n = 0; n < count; n++) irq.push(null);
    this.irq = irq;
  }

  /** Empties entry `n`. */
  clear(n: number): void {
    this.vintid[n] = 0;
    this.pintid[n] = 0;
    this.state[n] = 0;
    this.hw[n] = 0;
    this.eoi[n] = 0;
    this.priority[n] = 0;
    this.group[n] = 0;
    this.irq[n] = null;
  }

  /** True if entry `n` holds the pending state. */
  isPending(n: number): boolean {
    return (this.state[n]! & Lr.Pending) !== 0;
  }

  /** True if entry `n` holds the active state. */
  isActive(n: number): boolean {
    return (this.state[n]! & Lr.Active) !== 0;
  }

  /**
   * Entry `n` as ICH_LR<n>_EL2: vINTID [31:0], pINTID [44:32], EOI [41] (HW = 0), priority
   * [55:48], group [60], HW [61], state [63:62].
   */
  ich(n: number): bigint {
    let v = BigInt(this.vintid[n]!);
    if (this.hw[n] === 1) v |= BigInt(this.pintid[n]! & 0x1fff) << 32n;
    else if (this.eoi[n] === 1) v |= 1n << 41n;
    v |= BigInt(this.priority[n]!) << 48n;
    if (this.group[n] === 1) v |= 1n << 60n;
    if (this.hw[n] === 1) v |= 1n << 61n;
    v |= BigInt(this.state[n]!) << 62n;
    return v;
  }

  /**
   * Entry `n` as GICH_LR<n> (GICv2 host view): vINTID [9:0] (source CPU [12:10]), pINTID
   * [19:10] or EOI [19], priority [27:23], state [29:28], group [30], HW [31].
   */
  gich(n: number): number {
    let v = this.vintid[n]! & 0x1fff;
    if (this.hw[n] === 1) v = (v & 0x3ff) | ((this.pintid[n]! & 0x3ff) << 10);
    else if (this.eoi[n] === 1) v |= 1 << 19;
    v |= (this.priority[n]! >>> 3) << 23;
    v |= this.state[n]! << 28;
    if (this.group[n] === 1) v |= 1 << 30;
    if (this.hw[n] === 1) v |= 1 << 31;
    return v >>> 0;
  }
}
