import { Bitmap } from '@irqkit/core';
import { POSTED_INTR_VECTOR } from '../apic/message.js';

/**
 * A posted-interrupt descriptor (spec/x86.md §6.1, `struct pi_desc`): 256 PIR bits, ON
 * (outstanding notification), SN (suppress notification), NV (notification vector) and NDST
 * (notification destination, the host APIC ID of the pCPU the vCPU last ran on).
 */
export class PostedInterruptDescriptor {
  /** Posted-interrupt requests, one bit per vector. */
  readonly pir: Bitmap = new Bitmap(256);
  /** Outstanding notification. */
  on = false;
  /** Suppress notification. */
  sn = false;
  /** Notification vector: 0xF2 normally, 0xF1 while the vCPU blocks with wakeups armed. */
  nv: number = POSTED_INTR_VECTOR;
  /** Notification destination: the pCPU's host APIC ID (x2APIC host format). */
  ndst: number;

  /** @param pcpu - the host CPU the vCPU runs on. */
  constructor(pcpu: number) {
    this.ndst = pcpu;
  }

  /** True if no PIR bit is set. */
  get pirEmpty(): boolean {
    return this.pir.isEmpty();
  }

  /**
   * The descriptor as its 64 bytes would read, as 16 little-endian 32-bit words (bits 255:0 PIR,
   * 256 ON, 257 SN, 279:272 NV, 319:288 NDST).
   */
  toWords(): number[] {
    const words = new Array<number>(16).fill(0);
    for (let i = 0; i < 8; i++) words[i] = this.pir.words[i]!;
    words[8] = ((this.on ? 1 : 0) | (this.sn ? 2 : 0) | (this.nv << 16)) >>> 0;
    words[9] = this.ndst >>> 0;
    return words;
  }
}
