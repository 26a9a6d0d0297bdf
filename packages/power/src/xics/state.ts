/**
 * The userspace interface of spec/power.md §9: the 64-bit source word (device attribute group
 * `KVM_DEV_XICS_GRP_SOURCES`) and the ICP one_reg word, as encode/decode helpers plus the
 * get/set operations with KVM's validation. This is also the save/restore format.
 */
import { IrqError } from '@irqkit/core';
import {
  FIRST_IRQ,
  ICS_SHIFT,
  IRQ_PER_ICS,
  KVM_REG_PPC_ICP_CPPR_SHIFT,
  KVM_REG_PPC_ICP_MFRR_SHIFT,
  KVM_REG_PPC_ICP_PPRI_SHIFT,
  KVM_REG_PPC_ICP_XISR_MASK,
  KVM_REG_PPC_ICP_XISR_SHIFT,
  KVM_XICS_DESTINATION_MASK,
  KVM_XICS_LEVEL_SENSITIVE,
  KVM_XICS_MASKED,
  KVM_XICS_PENDING,
  KVM_XICS_PRESENTED,
  KVM_XICS_PRIORITY_SHIFT,
  KVM_XICS_QUEUED,
  MASKED,
  NR_IRQS,
  PQ_PRESENTED,
  PQ_QUEUED,
  XICS_IPI,
} from './constants.js';
import type { Icp } from './icp.js';
import { F_EXISTS, F_LSI, F_MASKED_PENDING } from './ics.js';
import type { Xics } from './xics.js';

/** The four fields of an ICP word (PWR-9.6). */
export interface IcpFields {
  /** Current processor priority. */
  readonly cppr: number;
  /** Pending source. */
  readonly xisr: number;
  /** IPI request priority. */
  readonly mfrr: number;
  /** Priority of what XISR holds. */
  readonly ppri: number;
}

/** Splits an ICP word into its fields (bits 15..0 are ignored). */
export function decodeIcpWord(word: bigint): IcpFields {
  return {
    cppr: Number((word >> KVM_REG_PPC_ICP_CPPR_SHIFT) & 0xffn),
    xisr: Number((word >> KVM_REG_PPC_ICP_XISR_SHIFT) & KVM_REG_PPC_ICP_XISR_MASK),
    mfrr: Number((word >> KVM_REG_PPC_ICP_MFRR_SHIFT) & 0xffn),
    ppri: Number((word >> KVM_REG_PPC_ICP_PPRI_SHIFT) & 0xffn),
  };
}

/** Builds an ICP word from its fields. */
export function encodeIcpWord(f: IcpFields): bigint {
  return (
    (BigInt(f.cppr) << KVM_REG_PPC_ICP_CPPR_SHIFT) |
    (BigInt(f.xisr) << KVM_REG_PPC_ICP_XISR_SHIFT) |
    (BigInt(f.mfrr) << KVM_REG_PPC_ICP_MFRR_SHIFT) |
    (BigInt(f.ppri) << KVM_REG_PPC_ICP_PPRI_SHIFT)
  );
}

/**
 * PWR-9.7 validation of an ICP word, without side effects.
 * @returns why the word is refused (EINVAL), or null when `setIcp` would accept it.
 */
export function icpWordProblem(f: IcpFields, icsExists: (irq: number) => boolean): string | null {
  if (f.xisr === 0) return f.ppri === MASKED ? null : `PPRI ${hex(f.ppri)} with XISR 0`;
  if (f.xisr === XICS_IPI) {
    if (f.ppri !== f.mfrr) return `PPRI ${hex(f.ppri)} ≠ MFRR ${hex(f.mfrr)} for an IPI`;
    return f.ppri < f.cppr ? null : `PPRI ${hex(f.ppri)} not below CPPR ${hex(f.cppr)}`;
  }
  if (f.ppri >= f.mfrr) return `PPRI ${hex(f.ppri)} not below MFRR ${hex(f.mfrr)}`;
  if (f.ppri >= f.cppr) return `PPRI ${hex(f.ppri)} not below CPPR ${hex(f.cppr)}`;
  return icsExists(f.xisr) ? null : `no ICS holds XISR ${hex(f.xisr)}`;
}

/** PWR-9.6 `getIcp`: the four fields (`needResend`, `outEe`, the resend map are not exported). */
export function getIcpWord(icp: Icp | null): bigint {
  if (icp === null) return 0n;
  return encodeIcpWord(icp);
}

/**
 * PWR-9.7 `setIcp`: validate (EINVAL, nothing changes), lower EE, one non-self commit of the
 * four fields — `needResend` kept unless MFRR rises, then latched and cleared — and a resend
 * scan if latched. A displaced XISR is not rejected: userspace makes sources consistent.
 */
export function setIcpWord(x: Xics, icp: Icp, word: bigint): void {
  const f = decodeIcpWord(word);
  const problem = icpWordProblem(f, (irq) => x.findIcs(irq) !== undefined);
  if (problem !== null) throw new IrqError('EINVAL', `ICP word ${hex64(word)}: ${problem}`);
  x.ctx.eeLower(icp.vcpu);
  let resend = false;
  if (f.mfrr > icp.mfrr) {
    resend = icp.needResend; // quirk "MFRR restore rule": KVM tests MFRR, not CPPR (PWR-9.8)
    icp.needResend = false;
  }
  icp.cppr = f.cppr;
  icp.xisr = f.xisr;
  icp.mfrr = f.mfrr;
  icp.ppri = f.ppri;
  x.committed(icp, false);
  if (resend) x.checkResend(icp);
}

/**
 * PWR-9.4 `getSource`.
 * @throws IrqError ENOENT when no ICS holds `irq` or the slot was never set.
 */
export function getSourceWord(x: Xics, irq: number): bigint {
  const ics = x.findIcs(irq);
  const src = irq & (IRQ_PER_ICS - 1);
  if (ics === undefined || (ics.flags[src]! & F_EXISTS) === 0) {
    throw new IrqError('ENOENT', `no source ${hex(irq)}`);
  }
  const flags = ics.flags[src]!;
  const pq = ics.pq[src]!;
  let word = BigInt(ics.server[src]!);
  let prio = ics.priority[src]!;
  if (prio === MASKED) {
    word |= KVM_XICS_MASKED;
    prio = ics.savedPriority[src]!;
  }
  word |= BigInt(prio) << KVM_XICS_PRIORITY_SHIFT;
  if ((flags & F_LSI) !== 0) {
    word |= KVM_XICS_LEVEL_SENSITIVE;
    if ((pq & PQ_PRESENTED) !== 0) word |= KVM_XICS_PENDING;
  } else if ((flags & F_MASKED_PENDING) !== 0 || ics.resend.test(src)) {
    word |= KVM_XICS_PENDING;
  }
  if ((pq & PQ_PRESENTED) !== 0) word |= KVM_XICS_PRESENTED;
  if ((pq & PQ_QUEUED) !== 0) word |= KVM_XICS_QUEUED;
  return word;
}

/**
 * PWR-9.5 `setSource`: create the ICS on demand, check the destination unless the priority
 * field is 0xFF, write every field, mark the slot existing, and deliver if PENDING.
 * @throws IrqError ENOENT for `irq` outside 16..0xFFFFF; EINVAL for an unknown server with a
 * priority field other than 0xFF (as in KVM, the ICS is created before that check).
 */
export function setSourceWord(x: Xics, irq: number, word: bigint): void {
  if (!Number.isInteger(irq) || irq < FIRST_IRQ || irq >= NR_IRQS) {
    throw new IrqError('ENOENT', `source ${String(irq)} is outside ${FIRST_IRQ}..${NR_IRQS - 1}`);
  }
  const ics = x.createIcs(irq >>> ICS_SHIFT);
  const src = irq & (IRQ_PER_ICS - 1);
  const server = Number(word & KVM_XICS_DESTINATION_MASK);
  const field = Number((word >> KVM_XICS_PRIORITY_SHIFT) & 0xffn);
  if (field !== MASKED && x.findServer(server) === null) {
    throw new IrqError('EINVAL', `source ${hex(irq)}: no ICP has server ${server}`);
  }
  ics.server[src] = server;
  ics.savedPriority[src] = field;
  ics.priority[src] = (word & KVM_XICS_MASKED) !== 0n ? MASKED : field;
  ics.resend.clear(src);
  const pending = (word & KVM_XICS_PENDING) !== 0n;
  let pq = 0;
  if (pending || (word & KVM_XICS_PRESENTED) !== 0n) pq |= PQ_PRESENTED;
  if ((word & KVM_XICS_QUEUED) !== 0n) pq |= PQ_QUEUED;
  ics.pq[src] = pq;
  ics.flags[src] = F_EXISTS | ((word & KVM_XICS_LEVEL_SENSITIVE) !== 0n ? F_LSI : 0);
  if (pending) x.deliver(irq, null, false);
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function hex64(n: bigint): string {
  return `0x${n.toString(16).padStart(16, '0')}`;
}
