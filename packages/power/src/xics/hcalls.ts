/**
 * The bodies of the six XICS hypercalls (spec/power.md §5), shared by virtual mode and HV real
 * mode: the state they produce is the same (PWR-8.4); only H_EOI's unknown-ICS return code and
 * the accounting differ, and the context says which mode runs. Arguments arrive already cut to
 * the bits each rule uses.
 */
import { H_PARAMETER, H_SUCCESS, Pq, XicsNum } from './constants.js';
import type { Icp } from './icp.js';
import { SrcFlag } from './ics.js';
import type { Xics } from './xics.js';

/**
 * PWR-5.4 H_XIRR / H_XIRR_X: lower EE, return the XIRR and, if XISR holds something, accept
 * it (CPPR takes its priority; an accepted IPI leaves MFRR unchanged).
 * @returns the XISR half of the XIRR (r4); the CPPR half is left in `x.xirrCppr`.
 */
export function hXirr(x: Xics, icp: Icp): number {
  x.ctx.eeLower(icp.vcpu);
  const xisr = icp.xisr;
  x.xirrCppr = icp.cppr;
  if (xisr !== 0) {
    x.ctx.accepted(icp.vcpu, xisr);
    icp.cppr = icp.ppri;
    icp.ppri = XicsNum.Masked;
    icp.xisr = 0;
    x.committed(icp, true);
  }
  return xisr;
}

/**
 * PWR-5.5 H_CPPR with `cppr` already cut to 8 bits: the same value does nothing; a less
 * favoured one is down-CPPR; a more favoured one lowers EE and rejects what it now blocks.
 */
export function hCppr(x: Xics, icp: Icp, cppr: number): void {
  if (cppr > icp.cppr) {
    // virtual-mode KVM then re-runs the up-CPPR pass; the model follows real mode (PWR-5.5)
    x.downCppr(icp, cppr);
    return;
  }
  if (cppr === icp.cppr) return;
  x.ctx.eeLower(icp.vcpu);
  let rejected = 0;
  icp.cppr = cppr;
  if (cppr <= icp.ppri) {
    rejected = icp.xisr;
    icp.xisr = 0;
    icp.ppri = XicsNum.Masked;
  }
  x.committed(icp, true);
  if (rejected !== 0 && rejected !== XicsNum.XicsIpi) x.deliver(rejected, icp, false);
}

/**
 * PWR-5.6 H_EOI of XIRR `(cppr << 24) | irq`: down-CPPR unconditionally (a more favoured value
 * is a guest error that rejects nothing), then for a device irq the ICS EOI: MSI `pq >>= 1`,
 * re-delivery while P is set, and only then the ack (quirk "H_EOI ordering", S48).
 * @returns r3: H_SUCCESS, or H_PARAMETER for an unknown ICS in virtual mode (PWR-8.4).
 */
export function hEoi(x: Xics, icp: Icp, cppr: number, irq: number): number {
  x.ctx.eoied(icp.vcpu, irq);
  x.downCppr(icp, cppr);
  if (irq === XicsNum.XicsIpi) return H_SUCCESS; // IPIs have no source to EOI and no ack
  const ics = x.findIcs(irq);
  if (ics === undefined) return x.ctx.realMode ? H_SUCCESS : H_PARAMETER;
  const src = irq & (XicsNum.IrqPerIcs - 1);
  // step 4: `exists` is not checked; an LSI keeps P (its input level)
  let pq = ics.pq[src]!;
  if ((ics.flags[src]! & SrcFlag.Lsi) === 0) {
    pq >>>= 1;
    ics.pq[src] = pq;
  }
  if ((pq & Pq.Presented) !== 0) x.offer(ics, src, icp, false);
  x.ctx.ack(irq);
  return H_SUCCESS;
}

/**
 * PWR-5.7 H_IPI with `server` cut to 32 bits and `mfrr` to 8: one commit on the target (self
 * iff it is the caller's own ICP). An IPI displaces a device irq of *equal* priority (`<=`);
 * raising MFRR latches the resend flag but never removes an IPI already in XISR.
 * @returns r3: H_SUCCESS, or H_PARAMETER when no ICP has that server.
 */
export function hIpi(x: Xics, icp: Icp, server: number, mfrr: number): number {
  const local = icp.server === server;
  const target = local ? icp : x.findServer(server);
  if (target === null) return H_PARAMETER;
  const oldMfrr = target.mfrr;
  target.mfrr = mfrr;
  let rejected = 0;
  let resend = false;
  if (mfrr < target.cppr && mfrr <= target.ppri) {
    rejected = target.xisr;
    target.xisr = XicsNum.XicsIpi;
    target.ppri = mfrr;
  }
  if (mfrr > oldMfrr) {
    resend = target.needResend;
    target.needResend = false;
  }
  x.committed(target, local);
  if (rejected !== 0 && rejected !== XicsNum.XicsIpi) x.deliver(rejected, target, false);
  if (resend === true) x.checkResend(target);
  return H_SUCCESS;
}

/**
 * PWR-5.8 H_IPOLL: the target ICP (own server or lookup), read without any commit or event.
 * @returns that ICP, or null (H_PARAMETER).
 */
export function hIpoll(x: Xics, icp: Icp, server: number): Icp | null {
  return icp.server === server ? icp : x.findServer(server);
}
