import { IrqError, type MsiMessage } from '@irqkit/core';

/** Message address base: the 1 MiB window at 0xFEE00000, as on x86. */
export const MSI_BASE = 0xfee00000;

/**
 * The reference plugin's message format (x86's physical fixed format, minus everything else):
 * `addressLo = 0xFEE00000 | target << 12`, `addressHi = 0`, `data = vector`.
 */
export function composeMsi(
  target: number,
  vector: number,
): { addressLo: number; addressHi: number; data: number } {
  return {
    addressLo: (MSI_BASE | ((target & 0xff) << 12)) >>> 0,
    addressHi: 0,
    data: vector & 0xff,
  };
}

/** The target vCPU index of a message. */
export function msiTarget(msg: MsiMessage): number {
  return (msg.addressLo >>> 12) & 0xff;
}

/** The vector of a message. */
export function msiVector(msg: MsiMessage): number {
  return msg.data & 0xff;
}

/** Throws EINVAL unless the message is in the reference format's window. */
export function validateRefMsi(msg: MsiMessage): void {
  if (msg.addressHi !== 0 || (msg.addressLo & 0xfff00000) >>> 0 !== MSI_BASE) {
    throw new IrqError(
      'EINVAL',
      `MSI address 0x${msg.addressHi.toString(16)}:${msg.addressLo.toString(16)} is outside 0xfee00000..0xfeefffff`,
    );
  }
}
