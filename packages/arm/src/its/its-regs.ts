import { IrqError } from '@irqkit/core';
import { ACC_32, ACC_64, plain, type RegContext, type Region, raz, wi } from '../gic/regs.js';
import type { Its } from './its.js';
import { GITS_TRANSLATER, GITS_TYPER_LO } from './types.js';

function its(ctx: RegContext): Its {
  return ctx.gic.its!;
}

// GITS_CTLR: Enabled [0], Quiescent [31] (CREADR == CWRITER). Enabling needs valid CBASER,
// BASER0 and BASER1 (else ignored) and processes queued commands; disabling drops the cache.
function readCtlr(ctx: RegContext): number {
  const i = its(ctx);
  return ((i.enabled ? 1 : 0) | (i.creadr === i.cwriter ? 0x80000000 : 0)) >>> 0;
}

function writeCtlr(ctx: RegContext, _at: number, _size: number, val: number): void {
  const i = its(ctx);
  const on = (val & 1) === 1;
  const cbValid = (i.cbaser[1] & 0x80000000) !== 0;
  if (!i.enabled && on && !(cbValid && i.baserValid(0) && i.baserValid(1))) return;
  i.enabled = on;
  if (!on) i.invalidateCache();
  i.process();
}

// GITS_CBASER: Valid, PA [51:16] (bits [15:12] forced 0), Size, cacheability fields kept.
// Read-only while enabled; a write resets CREADR = CWRITER = 0.
function readCbaser(ctx: RegContext, at: number): number {
  return its(ctx).cbaser[at === 0 ? 0 : 1]!;
}

function writeCbaser(ctx: RegContext, at: number, _size: number, val: number): void {
  const i = its(ctx);
  if (i.enabled) return;
  if (at === 0) i.cbaser[0] = (val & (0xffff0000 | (3 << 10) | 0xff)) >>> 0;
  else i.cbaser[1] = (val & (0x000fffff | (7 << 21) | (7 << 27) | 0x80000000)) >>> 0;
  i.creadr = 0;
  i.cwriter = 0;
}

// GITS_CWRITER [19:5]: a value beyond the queue is ignored; a write processes commands.
function readCwriter(ctx: RegContext, at: number): number {
  return at === 0 ? its(ctx).cwriter : 0;
}

function writeCwriter(ctx: RegContext, at: number, _size: number, val: number): void {
  const i = its(ctx);
  if (at !== 0) return;
  const off = val & 0xfffe0;
  if (off >= i.queueSize) return;
  i.cwriter = off;
  i.process();
}

function readCreadr(ctx: RegContext, at: number): number {
  return at === 0 ? its(ctx).creadr : 0;
}

// Userspace restores CREADR only while the ITS is disabled and within the queue.
function userWriteCreadr(ctx: RegContext, at: number, _size: number, val: number): void {
  const i = its(ctx);
  if (at !== 0) return;
  if (i.enabled)
    throw new IrqError('EBUSY', 'GITS_CREADR cannot be restored while the ITS is enabled');
  const off = val & 0xfffe0;
  if (off >= i.queueSize)
    throw new IrqError('EINVAL', `GITS_CREADR 0x${off.toString(16)} is beyond the queue`);
  i.creadr = off;
}

// GITS_BASER<n>: n = 0 devices, 1 collections, others RAZ/WI. Type and EntrySize are RO,
// PageSize is forced to 64 KiB, Indirect is WI for collections; ignored while enabled;
// Valid = 0 frees the table's contents.
function readBaser(ctx: RegContext, at: number): number {
  const n = at >>> 3;
  if (n > 1) return 0;
  return its(ctx).baser[n]![(at & 4) === 0 ? 0 : 1]!;
}

function writeBaser(ctx: RegContext, at: number, _size: number, val: number): void {
  const i = its(ctx);
  const n = at >>> 3;
  if (n > 1 || i.enabled) return;
  const reg = i.baser[n]!;
  if ((at & 4) === 0) {
    reg[0] = ((val & ~0x300) | 0x200) >>> 0;
  } else {
    let hi = val & (0xffff | (7 << 21) | (7 << 27) | (3 << 30));
    if (n === 1) hi &= ~(1 << 30);
    reg[1] = (hi | ((n === 0 ? 1 : 4) << 24) | (7 << 16)) >>> 0;
  }
  if (!i.baserValid(n)) {
    if (n === 0) i.freeDevices();
    else i.freeCollections();
  }
}

/** The ITS register map (128 KiB frame, arm.md §5.1). */
export const ITS_REGS: readonly Region[] = [
  plain('GITS_CTLR', 0x0000, 4, ACC_32, readCtlr, writeCtlr),
  plain('GITS_IIDR', 0x0004, 4, ACC_32, () => 0x4b00043b, wi),
  plain('GITS_TYPER', 0x0008, 8, ACC_32 | ACC_64, (_c, at) => (at === 0 ? GITS_TYPER_LO : 0), wi),
  plain('GITS_CBASER', 0x0080, 8, ACC_32 | ACC_64, readCbaser, writeCbaser),
  plain('GITS_CWRITER', 0x0088, 8, ACC_32 | ACC_64, readCwriter, writeCwriter),
  plain('GITS_CREADR', 0x0090, 8, ACC_32 | ACC_64, readCreadr, wi, { userWrite: userWriteCreadr }),
  plain('GITS_BASER', 0x0100, 64, ACC_32 | ACC_64, readBaser, writeBaser),
  plain('GITS_ID', 0xffd0, 0x30, ACC_32, (_c, at) => (at === 0x18 ? 0x3b : 0), wi),
  plain('GITS_TRANSLATER', GITS_TRANSLATER, 4, ACC_32, raz, wi),
];
