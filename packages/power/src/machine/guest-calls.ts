import { IrqError } from '@irqkit/core';
import {
  H_IPOLL,
  H_PARAMETER,
  H_RTAS,
  H_SUCCESS,
  H_XIRR_X,
  RTAS_MAX_ARGS,
  U64_MAX,
  XicsNum,
} from '../xics/constants.js';
import { hCppr, hEoi, hIpi, hIpoll, hXirr } from '../xics/hcalls.js';
import type { Icp } from '../xics/icp.js';
import { runRtas } from '../xics/rtas.js';
import type { PowerKernel } from './kernel.js';

/** Where an hcall was completed (spec/power.md §8). */
export type HcallHandledIn = 'realmode' | 'kernel' | 'user';

/** The registers an hcall returns. */
export interface HcallResult {
  /** r3: the return code (`H_SUCCESS`, `H_PARAMETER`, …); null when userspace handles it. */
  readonly r3: number | null;
  /** r4, for the hcalls that return it. */
  readonly r4?: bigint;
  /** r5, for the hcalls that return it. */
  readonly r5?: bigint;
  /**
   * `realmode`: completed in HV real mode in guest context; `kernel`: the vCPU exited to the
   * host kernel (virtual mode) at least once; `user`: the hcall went to userspace (QEMU, not
   * modelled).
   */
  readonly handledIn: HcallHandledIn;
}

/** An RTAS call as the guest lays it out in memory (`struct rtas_args`). */
export interface RtasCall {
  /** The RTAS token. */
  readonly token: number;
  /** Number of argument words. */
  readonly nargs: number;
  /** Number of return words. */
  readonly nret: number;
  /** The argument array's contents (u32s, at most 16); missing words read as 0. */
  readonly args: readonly number[];
}

const USER: HcallResult = Object.freeze({ r3: null, handledIn: 'user' });

/**
 * The guest-facing side of the kernel: hcall dispatch with real-mode / virtual-mode
 * accounting (PWR-5.1, §8) and H_RTAS (PWR-6.2). Number-valued entry points (`hXirr`, `hEoi`,
 * …) allocate nothing; {@link GuestCalls.hcall} is the full 64-bit register interface.
 */
export class GuestCalls {
  /** Where the last hcall completed. */
  handled: HcallHandledIn = 'user';

  /** @param k - the kernel state. */
  constructor(private readonly k: PowerKernel) {}

  /**
   * H_XIRR (or H_XIRR_X, without r5) on `vcpu` (PWR-5.4).
   * @returns the XIRR, or −1 when the hcall went to userspace.
   */
  xirr(vcpu: number, nr: number = XicsNum.HXirr): number {
    const xisr = this.accept(vcpu, nr);
    return xisr < 0 ? -1 : ((this.k.xics!.xirrCppr << 24) | xisr) >>> 0;
  }

  /**
   * H_XIRR on `vcpu` returning only the XISR (the CPPR half is left in `xics.xirrCppr`), so the
   * guest port's hot path never handles a u32 above 2^30 (V8 would box it).
   * @returns the XISR, or −1 when the hcall went to userspace.
   */
  accept(vcpu: number, nr: number = XicsNum.HXirr): number {
    // The steps every hcall takes (see the note above `toUser`), written out rather than split
    // into helpers: this is the guest port's hot path, and V8 does not inline that many calls.
    const k = this.k;
    const x = k.xics;
    const icp = x === null ? undefined : x.icps[vcpu];
    if (icp == null || k.enabled[nr >>> 2] !== 1) return this.toUser(vcpu);
    const ctx = k.ctx;
    const realMode = k.realModeHost;
    const saved = ctx.beginHcall(vcpu, realMode);
    try {
      if (realMode !== true) ctx.exitHcall(vcpu);
      return hXirr(x!, icp);
    } finally {
      this.handled = ctx.finishHcall(vcpu, saved) === true ? 'kernel' : 'realmode';
    }
  }

  /**
   * H_CPPR on `vcpu` with a register value (PWR-5.5; values above 0xFF are cut to 8 bits and
   * warned about, PWR-14.2).
   * @returns r3, or −1 when the hcall went to userspace.
   */
  cppr(vcpu: number, cppr: number): number {
    checkReg('cppr', cppr);
    return this.cpprCall(vcpu, cppr & 0xff, cppr > 0xff, cppr);
  }

  /**
   * H_EOI on `vcpu` (PWR-5.6); only the low 32 bits of `xirr` are used.
   * @returns r3, or −1 when the hcall went to userspace.
   */
  eoi(vcpu: number, xirr: number): number {
    checkReg('xirr', xirr);
    return this.eoiParts(vcpu, (xirr >>> 24) & 0xff, xirr & 0xffffff);
  }

  /**
   * H_EOI on `vcpu` with the XIRR given as its two halves (CPPR 0..0xFF, XISR 0..0xFFFFFF), so
   * the guest port's hot path never handles a u32 above 2^30 (V8 would box it).
   * @returns r3, or −1 when the hcall went to userspace.
   */
  eoiParts(vcpu: number, cppr: number, xisr: number): number {
    const k = this.k; // written out as in `accept`
    const x = k.xics;
    const icp = x === null ? undefined : x.icps[vcpu];
    if (icp == null || k.enabled[XicsNum.HEoi >>> 2] !== 1) return this.toUser(vcpu);
    const ctx = k.ctx;
    const realMode = k.realModeHost;
    const saved = ctx.beginHcall(vcpu, realMode);
    try {
      if (realMode !== true) ctx.exitHcall(vcpu);
      return hEoi(x!, icp, cppr, xisr);
    } finally {
      this.handled = ctx.finishHcall(vcpu, saved) === true ? 'kernel' : 'realmode';
    }
  }

  /**
   * H_IPI from `vcpu` (PWR-5.7): `server` cut to 32 bits, `mfrr` to 8 (warned above 0xFF).
   * @returns r3, or −1 when the hcall went to userspace.
   */
  ipi(vcpu: number, server: number, mfrr: number): number {
    checkReg('server', server);
    checkReg('mfrr', mfrr);
    return this.ipiCall(vcpu, server >>> 0, mfrr & 0xff, mfrr > 0xff, mfrr);
  }

  /**
   * Any hcall with 64-bit register arguments (PWR-0.3). Numbers other than the six XICS
   * hcalls go to userspace.
   * @throws IrqError EINVAL for a bad vCPU, hcall number or register value, and for H_RTAS
   * (its argument block lives in guest memory: use {@link GuestCalls.rtas}).
   */
  hcall(vcpu: number, nr: number, r4: bigint | number = 0n, r5: bigint | number = 0n): HcallResult {
    this.k.checkVcpu(vcpu);
    if (!Number.isInteger(nr) || nr < 0 || nr > 0xffffffff) {
      throw new IrqError('EINVAL', `hcall number ${String(nr)} is not a u32`);
    }
    if (nr === H_RTAS)
      throw new IrqError('EINVAL', 'H_RTAS takes a guest argument block: use rtas()');
    const a = toU64('r4', r4);
    const b = toU64('r5', r5);
    const lo = Number(a & 0xffffffffn);
    switch (nr) {
      case XicsNum.HXirr:
      case H_XIRR_X: {
        const tb = this.k.timebase; // KVM returns "now", not the arrival time
        const v = this.xirr(vcpu, nr);
        if (this.handled === 'user') return USER;
        return nr === XicsNum.HXirr
          ? { r3: H_SUCCESS, r4: BigInt(v), handledIn: this.handled }
          : { r3: H_SUCCESS, r4: BigInt(v), r5: tb, handledIn: this.handled };
      }
      case XicsNum.HCppr:
        return this.result(this.cpprCall(vcpu, lo & 0xff, a > 0xffn, Number(a)));
      case XicsNum.HEoi:
        return this.result(this.eoi(vcpu, lo));
      case XicsNum.HIpi:
        return this.result(this.ipiCall(vcpu, lo, Number(b & 0xffn), b > 0xffn, Number(b)));
      case H_IPOLL:
        return this.ipoll(vcpu, lo);
      default:
        this.k.ctx.exit(vcpu, 'user', 'hcall');
        this.handled = 'user';
        return USER;
    }
  }

  /**
   * H_RTAS from `vcpu` (PWR-6.2): with no tokens defined, a token not defined in the kernel,
   * or an argument block KVM cannot use (`nargs ≥ 16`, which fails `KVM_RUN`), the call goes
   * to userspace. Otherwise one exit to the host kernel and the handler runs.
   * @returns the `nret` return words (rets[0] signed: 0 or −3), or null for userspace.
   * @throws IrqError EINVAL for values that are not u32s or more than 16 argument words.
   */
  rtas(vcpu: number, call: RtasCall): number[] | null {
    const k = this.k;
    k.checkVcpu(vcpu);
    checkU32('token', call.token);
    checkU32('nargs', call.nargs);
    checkU32('nret', call.nret);
    if (!Array.isArray(call.args) || call.args.length > RTAS_MAX_ARGS) {
      throw new IrqError('EINVAL', `RTAS args must be an array of at most ${RTAS_MAX_ARGS} words`);
    }
    for (const v of call.args) checkU32('RTAS argument', v);
    const ctx = k.ctx;
    if (k.tokens.isEmpty || call.nargs >= RTAS_MAX_ARGS) {
      if (!k.tokens.isEmpty) k.vm.diagnostic('PWR-6.2', `RTAS nargs ${call.nargs}: KVM_RUN fails`);
      ctx.exit(vcpu, 'user', 'rtas');
      return null;
    }
    const name = k.tokens.lookup(call.token);
    if (name === undefined) {
      ctx.exit(vcpu, 'user', 'rtas');
      return null;
    }
    const block = new Uint32Array(RTAS_MAX_ARGS);
    block.set(call.args);
    const saved = ctx.begin(vcpu, false); // RTAS always runs in virtual mode
    try {
      ctx.exit(vcpu, 'vm', 'rtas');
      ctx.countRtas(vcpu);
      runRtas(k.xics, name, block, call.nargs, call.nret);
    } finally {
      ctx.end(saved);
    }
    const n = Math.min(call.nret, RTAS_MAX_ARGS - call.nargs);
    const rets = Array.from(block.subarray(call.nargs, call.nargs + n));
    if (n > 0) rets[0] = rets[0]! | 0;
    return rets;
  }

  private cpprCall(vcpu: number, cppr: number, overRange: boolean, raw: number): number {
    const k = this.k; // written out as in `accept`
    const x = k.xics;
    const icp = x === null ? undefined : x.icps[vcpu];
    if (icp == null || k.enabled[XicsNum.HCppr >>> 2] !== 1) return this.toUser(vcpu);
    const ctx = k.ctx;
    const realMode = k.realModeHost;
    const saved = ctx.beginHcall(vcpu, realMode);
    try {
      if (realMode !== true) ctx.exitHcall(vcpu);
      if (overRange) ctx.warn('range', -1, raw); // PWR-14.2: low 8 bits, warned
      hCppr(x!, icp, cppr);
      return H_SUCCESS;
    } finally {
      this.handled = ctx.finishHcall(vcpu, saved) === true ? 'kernel' : 'realmode';
    }
  }

  private ipiCall(
    vcpu: number,
    server: number,
    mfrr: number,
    overRange: boolean,
    raw: number,
  ): number {
    const k = this.k; // written out as in `accept`
    const x = k.xics;
    const icp = x === null ? undefined : x.icps[vcpu];
    if (icp == null || k.enabled[XicsNum.HIpi >>> 2] !== 1) return this.toUser(vcpu);
    const ctx = k.ctx;
    const realMode = k.realModeHost;
    const saved = ctx.beginHcall(vcpu, realMode);
    try {
      if (realMode !== true) ctx.exitHcall(vcpu);
      if (overRange) ctx.warn('range', -1, raw);
      return hIpi(x!, icp, server, mfrr);
    } finally {
      this.handled = ctx.finishHcall(vcpu, saved) === true ? 'kernel' : 'realmode';
    }
  }

  // PWR-5.8: never done in real mode; no commit, no events.
  private ipoll(vcpu: number, server: number): HcallResult {
    const k = this.k;
    const x = k.xics;
    const icp = x === null ? undefined : x.icps[vcpu];
    if (icp == null || k.enabled[H_IPOLL >>> 2] !== 1) {
      this.toUser(vcpu);
      return USER;
    }
    const ctx = k.ctx;
    const saved = ctx.beginHcall(vcpu, false); // never in real mode (PWR-8.1)
    let target: Icp | null;
    try {
      ctx.exitHcall(vcpu);
      target = hIpoll(x!, icp, server);
    } finally {
      this.handled = ctx.finishHcall(vcpu, saved) === true ? 'kernel' : 'realmode';
    }
    if (target === null) return { r3: H_PARAMETER, handledIn: this.handled };
    return {
      r3: H_SUCCESS,
      r4: BigInt(target.xirr),
      r5: BigInt(target.mfrr),
      handledIn: this.handled,
    };
  }

  private result(r3: number): HcallResult {
    return this.handled === 'user' ? USER : { r3, handledIn: this.handled };
  }

  // PWR-5.1: an hcall is handled in the kernel only when the vCPU has an ICP and the hcall is
  // enabled; otherwise it exits to userspace. In the kernel, `hv-realmode` runs it in real mode
  // except H_IPOLL (PWR-8.1) and virtual mode begins with an exit to the host kernel; real mode
  // ends with an exit only if it left actions for virtual mode (PWR-8.2). Each hcall method
  // writes these steps out (one call fewer per step on the guest's hot paths).
  private toUser(vcpu: number): -1 {
    this.k.checkVcpu(vcpu); // a bad index throws here, before anything happens
    this.k.ctx.exit(vcpu, 'user', 'hcall');
    this.handled = 'user';
    return -1;
  }
}

function checkReg(what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new IrqError('EINVAL', `${what} ${String(v)} is not a register value`);
  }
}

function checkU32(what: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new IrqError('EINVAL', `${what} ${String(v)} is not a u32`);
  }
}

function toU64(what: string, v: bigint | number): bigint {
  if (typeof v === 'bigint') {
    if (v < 0n || v > U64_MAX) throw new IrqError('EINVAL', `${what} ${v} is not a u64`);
    return v;
  }
  checkReg(what, v);
  return BigInt(v);
}
