import { Bitmap } from '@irqkit/core';
import { MAX_ICS_ID, XicsNum } from './constants.js';

/**
 * One Interrupt Controller Presentation (a "server"): the per-vCPU state of
 * `union kvmppc_icp_state` plus the resend map (spec/power.md §3.1). Every change except
 * `resendMap` is one commit (PWR-3.3), made by {@link Xics}.
 */
export class Icp {
  /** Current processor priority; 0 after connect (PWR-3.1). */
  cppr = 0;
  /** IPI request priority; 0xFF = none. */
  mfrr: number = XicsNum.Masked;
  /** Priority of what XISR holds; 0xFF when XISR is 0. */
  ppri: number = XicsNum.Masked;
  /** Pending source: 0 none, 2 IPI, else a global number. */
  xisr = 0;
  /** A delivery to this server failed since the last resend scan. */
  needResend = false;
  /** Derived output `xisr != 0 && ppri < cppr`, recomputed on every commit. */
  outEe = false;
  /** ICS ids holding sources whose delivery to this server failed. */
  readonly resendMap: Bitmap = new Bitmap(MAX_ICS_ID + 1);

  /**
   * @param vcpu - the vCPU index it belongs to.
   * @param server - its server number (unique in the VM).
   */
  constructor(
    readonly vcpu: number,
    readonly server: number,
  ) {}

  /** `XIRR = (cppr << 24) | xisr` as a u32 (PWR-3.2). */
  get xirr(): number {
    return ((this.cppr << 24) | this.xisr) >>> 0;
  }
}
