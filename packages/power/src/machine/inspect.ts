import { MAX_ICS_ID } from '../xics/constants.js';
import type { Icp } from '../xics/icp.js';
import { F_EXISTS, F_LSI, F_MASKED_PENDING } from '../xics/ics.js';
import type { Xics } from '../xics/xics.js';
import type { IcpView, SourceView } from './types.js';

/** A read-only copy of `icp`'s state, or null. */
export function icpView(icp: Icp | null): IcpView | null {
  if (icp === null) return null;
  return {
    vcpu: icp.vcpu,
    server: icp.server,
    cppr: icp.cppr,
    mfrr: icp.mfrr,
    ppri: icp.ppri,
    xisr: icp.xisr,
    needResend: icp.needResend,
    outEe: icp.outEe,
    resendMap: icp.resendMap.toArray(),
  };
}

/** A read-only copy of the slot of `irq`, or null when no ICS holds it. */
export function sourceView(x: Xics | null, irq: number): SourceView | null {
  const ics = x?.findIcs(irq);
  if (ics === undefined) return null;
  const s = irq & 0x3ff;
  const f = ics.flags[s]!;
  return {
    irq,
    server: ics.server[s]!,
    priority: ics.priority[s]!,
    savedPriority: ics.savedPriority[s]!,
    lsi: (f & F_LSI) !== 0,
    exists: (f & F_EXISTS) !== 0,
    resend: ics.resend.test(s),
    maskedPending: (f & F_MASKED_PENDING) !== 0,
    pq: ics.pq[s]!,
  };
}

/** Ids of the created ICSes, ascending. */
export function icsIds(x: Xics | null): number[] {
  const out: number[] = [];
  if (x === null) return out;
  for (let id = 0; id <= MAX_ICS_ID; id++) if (x.ics[id] !== undefined) out.push(id);
  return out;
}
