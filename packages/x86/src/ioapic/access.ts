import type { Ioapic } from './ioapic.js';
import {
  IOAPIC_NUM_PINS,
  IOAPIC_REG_ARB_ID,
  IOAPIC_REG_ID,
  IOAPIC_REG_REDTBL,
  IOAPIC_REG_VERSION,
  ioapicMmioRegister,
} from './regs.js';

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
  const sel = io.ioregsel >>> 0;
  switch (sel) {
    case IOAPIC_REG_VERSION:
      return (((IOAPIC_NUM_PINS - 1) << 16) | io.version) >>> 0;
    case IOAPIC_REG_ID:
    case IOAPIC_REG_ARB_ID:
      return ((io.ioapicId & 0xf) << 24) >>> 0;
    default: {
      const index = (sel - IOAPIC_REG_REDTBL) >> 1;
      // 0x03–0x0F and ≥ 0x40 decode as a redirection index ≥ 24: all ones.
      if (sel < IOAPIC_REG_REDTBL || index >= IOAPIC_NUM_PINS) return 0xffffffff;
      return (sel & 1) === 1 ? io.hi[index]! : io.lo[index]!;
    }
  }
}

/** `ioapic_write_indirect`: writes the register IOREGSEL selects. */
export function writeIndirect(io: Ioapic, value: number): void {
  const sel = io.ioregsel >>> 0;
  switch (sel) {
    case IOAPIC_REG_VERSION:
    case IOAPIC_REG_ARB_ID:
      return; // read-only
    case IOAPIC_REG_ID:
      io.ioapicId = (value >>> 24) & 0xf;
      return;
    default: {
      const index = (sel - IOAPIC_REG_REDTBL) >> 1;
      if (sel < IOAPIC_REG_REDTBL || index >= IOAPIC_NUM_PINS) return;
      io.writeEntry(index, (sel & 1) === 1, value >>> 0);
    }
  }
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
