import type { VgicCpu } from '../vgic/vcpu.js';
import type { Vgic } from '../vgic/vgic.js';

/** Access sizes a region accepts (KVM `VGIC_ACCESS_*bit`). */
export const ACC_8 = 1;
/** 32-bit accesses. */
export const ACC_32 = 4;
/** 64-bit accesses (performed as two 32-bit halves, low first). */
export const ACC_64 = 8;

/** Who is accessing: the VGIC, the vCPU whose banked registers are addressed, guest or user. */
export interface RegContext {
  /** The VGIC. */
  readonly gic: Vgic;
  /** The accessing vCPU (distributor) or the redistributor's vCPU. */
  readonly v: VgicCpu;
  /** True for a userspace (save/restore) access: `uaccess` handlers apply (ARM-2.8). */
  readonly user: boolean;
}

/**
 * One register or per-IRQ register array, as KVM's `struct vgic_register_region`: decode
 * (offset, length, access sizes, bits per IRQ) is data; `read` / `write` are the behaviour.
 * For per-IRQ regions the handlers get the first INTID covered and the access size; for
 * plain registers the byte offset within the region.
 */
export interface Region {
  /** Register name, as the spec spells it. */
  readonly name: string;
  /** Offset in the frame. */
  readonly offset: number;
  /** Bytes covered. */
  readonly length: number;
  /** 0 for a plain register, else bits per INTID (1, 2 or 8). */
  readonly bitsPerIrq: number;
  /** Accepted access sizes ({@link ACC_8} | {@link ACC_32} | {@link ACC_64}). */
  readonly access: number;
  /** GICv3 distributor: the private-IRQ part of a per-IRQ array is RAZ/WI. */
  readonly privateRazWi?: boolean;
  /** Read: returns the value of `size` bytes (≤ 4). */
  readonly read: (ctx: RegContext, at: number, size: number) => number;
  /** Write `size` bytes (≤ 4). */
  readonly write: (ctx: RegContext, at: number, size: number, value: number) => void;
  /** Userspace read, if different. */
  readonly userRead?: (ctx: RegContext, at: number, size: number) => number;
  /** Userspace write, if different. */
  readonly userWrite?: (ctx: RegContext, at: number, size: number, value: number) => void;
}

/** Reads as zero. */
export const raz = (): number => 0;
/** Ignores writes. */
export const wi = (): void => {};

/** A per-IRQ register array. */
export function perIrq(
  name: string,
  offset: number,
  bitsPerIrq: number,
  access: number,
  read: Region['read'],
  write: Region['write'],
  extra: Partial<Pick<Region, 'privateRazWi' | 'userRead' | 'userWrite'>> = {},
): Region {
  return {
    name,
    offset,
    length: (bitsPerIrq * 1024) / 8,
    bitsPerIrq,
    access,
    read,
    write,
    ...extra,
  };
}

/** A plain register (or block of registers) of `length` bytes. */
export function plain(
  name: string,
  offset: number,
  length: number,
  access: number,
  read: Region['read'],
  write: Region['write'],
  extra: Partial<Pick<Region, 'userRead' | 'userWrite'>> = {},
): Region {
  return { name, offset, length, bitsPerIrq: 0, access, read, write, ...extra };
}

/** Finds the region covering `[off, off + size)`, or null. */
export function findRegion(regions: readonly Region[], off: number, size: number): Region | null {
  for (let i = 0; i < regions.length; i++) {
    const r = regions[i]!;
    if (off >= r.offset && off + size <= r.offset + r.length) return r;
  }
  return null;
}

/**
 * KVM `check_region` (ARM-2.1): the size is accepted, the access aligned, and a per-IRQ access
 * addresses only existing INTIDs. Anything else is RAZ/WI.
 * @returns the region, or null for RAZ/WI.
 */
export function checkAccess(
  regions: readonly Region[],
  ctx: RegContext,
  off: number,
  size: number,
): Region | null {
  if (!Number.isInteger(off) || off < 0) return null;
  if (size !== 1 && size !== 4 && size !== 8) return null;
  if (off % size !== 0) return null;
  const r = findRegion(regions, off, size);
  if (r === null) return null;
  const flag = size === 1 ? ACC_8 : size === 4 ? ACC_32 : ACC_64;
  if ((r.access & flag) === 0) return null;
  if (r.bitsPerIrq > 0) {
    const first = ((off - r.offset) * 8) / r.bitsPerIrq;
    const n = (size * 8) / r.bitsPerIrq;
    if (first + n > ctx.gic.nrIrqs) return null;
  }
  return r;
}

/** The first INTID a per-IRQ access addresses. */
export function firstIntid(r: Region, off: number): number {
  return ((off - r.offset) * 8) / r.bitsPerIrq;
}

/** Performs a checked read of ≤ 4 bytes; RAZ when the access is refused. */
export function regRead(
  regions: readonly Region[],
  ctx: RegContext,
  off: number,
  size: number,
): number {
  const r = checkAccess(regions, ctx, off, size);
  if (r === null || size > 4) return 0;
  const at = r.bitsPerIrq > 0 ? firstIntid(r, off) : off - r.offset;
  if (r.privateRazWi === true && at < 32) return 0;
  const fn = ctx.user && r.userRead !== undefined ? r.userRead : r.read;
  return fn(ctx, at, size) >>> 0;
}

/** Performs a checked write of ≤ 4 bytes; WI when the access is refused. */
export function regWrite(
  regions: readonly Region[],
  ctx: RegContext,
  off: number,
  size: number,
  value: number,
): void {
  const r = checkAccess(regions, ctx, off, size);
  if (r === null || size > 4) return;
  const at = r.bitsPerIrq > 0 ? firstIntid(r, off) : off - r.offset;
  if (r.privateRazWi === true && at < 32) return;
  const fn = ctx.user && r.userWrite !== undefined ? r.userWrite : r.write;
  fn(ctx, at, size, size === 4 ? value >>> 0 : value & 0xff);
}

/**
 * A 64-bit access as two 32-bit halves (low word first), if the region accepts 64 bits.
 * @returns the value, or 0n (RAZ).
 */
export function regRead64(regions: readonly Region[], ctx: RegContext, off: number): bigint {
  if (checkAccess(regions, ctx, off, 8) === null) return 0n;
  const lo = regReadWord(regions, ctx, off);
  const hi = regReadWord(regions, ctx, off + 4);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** A 64-bit write as two 32-bit halves, low first; WI if refused. */
export function regWrite64(
  regions: readonly Region[],
  ctx: RegContext,
  off: number,
  value: bigint,
): void {
  if (checkAccess(regions, ctx, off, 8) === null) return;
  const v = BigInt.asUintN(64, value);
  regWriteWord(regions, ctx, off, Number(v & 0xffffffffn));
  regWriteWord(regions, ctx, off + 4, Number(v >> 32n));
}

// A half of an accepted 64-bit access: the region allows 64 bits, so 32-bit halves are fine.
function regReadWord(regions: readonly Region[], ctx: RegContext, off: number): number {
  const r = findRegion(regions, off, 4)!;
  const fn = ctx.user && r.userRead !== undefined ? r.userRead : r.read;
  return fn(ctx, off - r.offset, 4) >>> 0;
}

function regWriteWord(
  regions: readonly Region[],
  ctx: RegContext,
  off: number,
  value: number,
): void {
  const r = findRegion(regions, off, 4)!;
  const fn = ctx.user && r.userWrite !== undefined ? r.userWrite : r.write;
  fn(ctx, off - r.offset, 4, value >>> 0);
}
