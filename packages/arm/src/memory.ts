import { IrqError } from '@irqkit/core';

const PAGE = 4096;

/**
 * Guest RAM as the VGIC and ITS see it: the LPI configuration and pending tables, the ITS
 * command queue, device, collection and interrupt translation tables live here (arm.md §5).
 * Sparse (4 KiB pages allocated on first write; unwritten memory reads as zero). Accesses
 * outside `[0, size)` fail the way `kvm_read_guest` fails outside a memslot.
 */
export class GuestMemory {
  private readonly pages = new Map<number, Uint8Array>();

  /** @param size - bytes of RAM starting at guest physical address 0 (default 2^40). */
  constructor(readonly size: number = 2 ** 40) {
    if (!Number.isSafeInteger(size) || size <= 0) {
      throw new IrqError('EINVAL', `guest memory size ${size} is invalid`);
    }
  }

  /** True if `[addr, addr + len)` is RAM. */
  valid(addr: number, len: number): boolean {
    return Number.isSafeInteger(addr) && addr >= 0 && len >= 0 && addr + len <= this.size;
  }

  /** Reads a byte; −1 if the address is not RAM. */
  read8(addr: number): number {
    if (!this.valid(addr, 1)) return -1;
    const page = this.pages.get(Math.floor(addr / PAGE));
    return page === undefined ? 0 : page[addr % PAGE]!;
  }

  /** Writes a byte; false if the address is not RAM. */
  write8(addr: number, value: number): boolean {
    if (!this.valid(addr, 1)) return false;
    const n = Math.floor(addr / PAGE);
    let page = this.pages.get(n);
    if (page === undefined) {
      if ((value & 0xff) === 0) return true;
      page = new Uint8Array(PAGE);
      this.pages.set(n, page);
    }
    page[addr % PAGE] = value & 0xff;
    return true;
  }

  /** Reads a little-endian u32; −1 if any byte is not RAM. */
  read32(addr: number): number {
    if (!this.valid(addr, 4)) return -1;
    return (
      (this.read8(addr) |
        (this.read8(addr + 1) << 8) |
        (this.read8(addr + 2) << 16) |
        (this.read8(addr + 3) << 24)) >>>
      0
    );
  }

  /** Writes a little-endian u32; false if not RAM. */
  write32(addr: number, value: number): boolean {
    if (!this.valid(addr, 4)) return false;
    for (let i = 0; i < 4; i++) this.write8(addr + i, (value >>> (8 * i)) & 0xff);
    return true;
  }

  /** Reads a little-endian u64 as a bigint; null if not RAM. */
  read64(addr: number): bigint | null {
    if (!this.valid(addr, 8)) return null;
    return (BigInt(this.read32(addr + 4)) << 32n) | BigInt(this.read32(addr));
  }

  /** Writes a little-endian u64; false if not RAM. */
  write64(addr: number, value: bigint): boolean {
    if (!this.valid(addr, 8)) return false;
    const v = BigInt.asUintN(64, value);
    this.write32(addr, Number(v & 0xffffffffn));
    this.write32(addr + 4, Number(v >> 32n));
    return true;
  }

  /** Copies `len` bytes out (zeros for unwritten pages); null if not RAM. */
  readBytes(addr: number, len: number): Uint8Array | null {
    if (!this.valid(addr, len)) return null;
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = this.read8(addr + i);
    return out;
  }

  /** The written pages, for save/restore: `[pageNumber, bytes]` pairs. */
  savePages(): Array<[number, number[]]> {
    const out: Array<[number, number[]]> = [];
    for (const [n, page] of this.pages) out.push([n, Array.from(page)]);
    return out;
  }

  /** Replaces the contents with pages saved by {@link GuestMemory.savePages}. */
  restorePages(pages: ReadonlyArray<readonly [number, readonly number[]]>): void {
    this.pages.clear();
    for (const [n, bytes] of pages) {
      const page = new Uint8Array(PAGE);
      page.set(bytes.slice(0, PAGE));
      this.pages.set(n, page);
    }
  }
}
