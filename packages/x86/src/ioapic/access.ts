import type { Ioapic } from './ioapic.js';
import { decodeIoregsel, IOAPIC_NUM_PINS, ioapicMmioRegister } from './regs.js';

/**
 * Guest accesses to the IOAPIC window (X86-2.1, 2.2): decode through the register map, then
 * call the behaviour. Guest accesses never throw; bad lengths are ignored as hardware would.
 */

/** The low 32 bits of a guest data value (number or bigint; anything else reads as 0). */
export function low32(value: number | bigint): number {
  if (typeof value === 'bigint') return Number(value & 0xffffffffn);
  return typeof value === 'number' && Number.isFinite(value) ? value >>> 0 : 0;
}

/** `ioapic_read_indirect`: the register IOREGSEL selects. */
export function readIndirect(io: Ioapic): number {
  const reg = decodeIoregsel(io.ioregsel >>> 0);
  switch (reg.kind) {
    case 'version':
      return (((IOAPIC_NUM_PINS - 1) << 16) | io.version) >>> 0;
    case 'id':
    case 'arbitration':
      return ((io.ioapicId & 0xf) << 24) >>> 0;
    case 'redir':
      return reg.high ? io.hi[reg.pin]! : io.lo[reg.pin]!;
    default:
      return 0xffffffff; // 0x03–0x0F and ≥ 0x40 decode as a redirection index ≥ 24: all ones
  }
}

/** `ioapic_write_indirect`: writes the register IOREGSEL selects. */
export function writeIndirect(io: Ioapic, value: number): void {
  const reg = decodeIoregsel(io.ioregsel >>> 0);
  if (reg.kind === 'id') io.ioapicId = (value >>> 24) & 0xf;
  else if (reg.kind === 'redir') io.writeEntry(reg.pin, reg.high, value >>> 0);
  // Version and arbitration ID are read-only; other indexes ignore writes.
}

/**
 * `ioapic_mmio_read` (X86-2.1): offsets mod 0x100; lengths 1, 2, 4 return the low bytes of the
 * 32-bit value, length 8 the value zero-extended; any other length reads 0.
 */
export function ioapicMmioRead(io: Ioapic, address: number, len: number): number {
  const reg = ioapicMmioRegister(address, io.version);
  const result = reg === 'IOREGSEL' ? io.ioregsel >>> 0 : reg === 'IOWIN' ? readIndirect(io) : 0;
  switch (len) {
    case 1:
      return result & 0xff;
    case 2:
      return result & 0xffff;
    case 4:
    case 8:
      return result >>> 0;
    default:
      return 0;
  }
}

/**
 * `ioapic_mmio_write` (X86-2.1): lengths 8 and 4 use the low 32 bits, 2 a zero-extended 16-bit
 * value, 1 a zero-extended byte (a narrow IOWIN write replaces the whole selected register —
 * KVM's quirk); other lengths are ignored. The EOI register (0x40) exists on version 0x20 only
 * and takes 4-byte writes only (QEMU).
 */
export function ioapicMmioWrite(
  io: Ioapic,
  address: number,
  value: number | bigint,
  len: number,
): void {
  const raw = low32(value);
  let data: number;
  switch (len) {
    case 8:
    case 4:
      data = raw;
      break;
    case 2:
      data = raw & 0xffff;
      break;
    case 1:
      data = raw & 0xff;
      break;
    default:
      return;
  }
  switch (ioapicMmioRegister(address, io.version)) {
    case 'IOREGSEL':
      io.ioregsel = data & 0xff;
      return;
    case 'IOWIN':
      writeIndirect(io, data);
      return;
    case 'EOI':
      if (len === 4) io.eoiRegister(data & 0xff);
      return;
    default:
      return;
  }
}
