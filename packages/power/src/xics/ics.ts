import { Bitmap } from '@irqkit/core';
import { XicsNum } from './constants.js';

/** The `flags` bits as a const enum, written in place on the trigger and offer paths. */
export const enum SrcFlag {
  Lsi = 1,
  Exists = 2,
  MaskedPending = 4,
}

/** `flags` bit: level-sensitive source. */
export const F_LSI: 1 = SrcFlag.Lsi;
/** `flags` bit: userspace has set this source at least once. */
export const F_EXISTS: 2 = SrcFlag.Exists;
/** `flags` bit: an attempt happened while masked; deliver when unmasked. */
export const F_MASKED_PENDING: 4 = SrcFlag.MaskedPending;

/**
 * One Interrupt Controller Source: 1024 sources whose global numbers are
 * `(id << 10) | i` (spec/power.md §1, §2). Per-source state is kept in typed arrays (one
 * 7 KiB buffer per ICS) so a trigger touches no objects; `resend` is a bitmap so that resend
 * scans (PWR-4.9) skip idle words.
 */
export class Ics {
  /** The ICS id (BUID): bits 19..10 of its numbers. */
  readonly id: number;
  /** The global number of slot 0. */
  readonly base: number;
  /** Target server number per source. */
  readonly server: Uint32Array;
  /** Current priority; 0xFF = masked. */
  readonly priority: Uint8Array;
  /** Priority restored by `ibm,int-on`. */
  readonly savedPriority: Uint8Array;
  /** P (bit 0) and Q (bit 1). */
  readonly pq: Uint8Array;
  /** {@link F_LSI}, {@link F_EXISTS}, {@link F_MASKED_PENDING}. */
  readonly flags: Uint8Array;
  /** Sources whose delivery failed and waits for a resend scan. */
  readonly resend: Bitmap = new Bitmap(XicsNum.IrqPerIcs);

  /** @param id - ICS id 0..1023. */
  constructor(id: number) {
    this.id = id;
    this.base = id << XicsNum.IcsShift;
    const n = XicsNum.IrqPerIcs;
    const buf = new ArrayBuffer(n * 7);
    this.server = new Uint32Array(buf, 0, n);
    this.priority = new Uint8Array(buf, n * 4, n).fill(XicsNum.Masked);
    this.savedPriority = new Uint8Array(buf, n * 5, n).fill(XicsNum.Masked);
    this.pq = new Uint8Array(buf, n * 6, n);
    this.flags = new Uint8Array(n);
  }
}
