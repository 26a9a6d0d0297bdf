import type { Counters } from '@irqkit/core';
import { MAX_ICS_ID, Pq, XicsNum } from './constants.js';
import type { XicsContext } from './context.js';
import { Icp } from './icp.js';
import { Ics, SrcFlag } from './ics.js';

/** `errno` values the trigger returns, negated (PWR-4.1). */
const enum Errno {
  EINVAL = 22,
  ENODEV = 19,
}

/** Servers below this are found through an array; larger numbers through a map. */
const enum Servers {
  SMALL_SERVERS = 4096,
}

/**
 * The in-kernel XICS device (`struct kvmppc_xics`): the ICS table indexed by BUID, one ICP per
 * connected vCPU, and the source → presentation protocol of spec/power.md §3 and §4 — trigger
 * with P/Q, delivery with reject and resend, down-CPPR, and XIVE writes. The model is
 * sequential (PWR-0.2): each commit is a plain read-modify-write followed by its effects.
 */
export class Xics {
  /** ICSes by id; created lazily by userspace (PWR-1.3). */
  readonly ics: (Ics | undefined)[] = new Array<Ics | undefined>(MAX_ICS_ID + 1);
  /** Highest created ICS id, −1 while none exists (PWR-1.3). */
  maxIcsId = -1;
  /** The CPPR half of the XIRR the last H_XIRR returned (kept apart so no u32 is boxed). */
  xirrCppr = 0;
  /** ICP of each vCPU, or null while not connected. */
  readonly icps: (Icp | null)[];
  private readonly smallServers: (Icp | undefined)[] = [];
  private readonly bigServers = new Map<number, Icp>();
  private readonly c: Readonly<
    Record<
      'presented' | 'failed' | 'rejects' | 'maskedPending' | 'resendScans' | 'noServer' | 'noIcs',
      number
    >
  >;

  /**
   * @param ctx - caller, mode and outward signals.
   * @param vcpus - number of vCPUs of the VM.
   * @param counters - machine counters (`xics.*`).
   */
  constructor(
    readonly ctx: XicsContext,
    vcpus: number,
    private readonly counters: Counters,
  ) {
    this.icps = new Array<Icp | null>(vcpus).fill(null);
    const id = (n: string) => counters.id(n);
    this.c = {
      presented: id('xics.presented'),
      failed: id('xics.failed'),
      rejects: id('xics.rejects'),
      maskedPending: id('xics.maskedPending'),
      resendScans: id('xics.resendScans'),
      noServer: id('xics.noServer'),
      noIcs: id('xics.noIcs'),
    };
  }

  // ---- lookups (PWR-1.1) ---------------------------------------------------------------------

  /** The ICS holding `irq`, or undefined (no such id, or never created). */
  findIcs(irq: number): Ics | undefined {
    return irq >= 0 && irq < XicsNum.NrIrqs ? this.ics[irq >>> XicsNum.IcsShift] : undefined;
  }

  /** The ICS with id `id`, creating it with 1024 reset slots if missing (PWR-1.3, 1.4). */
  createIcs(id: number): Ics {
    let ics = this.ics[id];
    if (ics === undefined) {
      ics = new Ics(id);
      this.ics[id] = ics;
      if (id > this.maxIcsId) this.maxIcsId = id;
    }
    return ics;
  }

  /** The ICP whose server number is `server`, or null. */
  findServer(server: number): Icp | null {
    const icp =
      server < Servers.SMALL_SERVERS ? this.smallServers[server] : this.bigServers.get(server);
    return icp ?? null;
  }

  /** Creates the ICP of `vcpu` with server number `server` (PWR-9.2; caller validated). */
  addIcp(vcpu: number, server: number): Icp {
    const icp = new Icp(vcpu, server);
    this.icps[vcpu] = icp;
    if (server < Servers.SMALL_SERVERS) this.smallServers[server] = icp;
    else this.bigServers.set(server, icp);
    return icp;
  }

  // ---- commits (PWR-3.3) ---------------------------------------------------------------------

  /**
   * Effects of a commit on `icp`: recompute `outEe`; when it is 1, raise the EE line every
   * time, and kick the vCPU unless this is a self commit.
   */
  committed(icp: Icp, self: boolean): void {
    const out = icp.xisr !== 0 && icp.ppri < icp.cppr;
    icp.outEe = out;
    if (out !== true) return;
    this.ctx.eeRaise(icp.vcpu);
    if (self !== true) this.ctx.kick(icp.vcpu);
  }

  // ---- trigger (PWR-4.1 … 4.4) ---------------------------------------------------------------

  /**
   * `ics_deliver_irq(irq, level)`: P/Q update and, when it says so, a delivery.
   * @param level - a u32 with KVM's codes (PWR-4.2).
   * @returns 0, or −EINVAL when no created source has that number.
   */
  trigger(irq: number, level: number): number {
    const ics = this.findIcs(irq);
    if (ics === undefined) return -Errno.EINVAL;
    const src = irq & (XicsNum.IrqPerIcs - 1);
    const flags = ics.flags[src]!;
    if ((flags & SrcFlag.Exists) === 0) return -Errno.EINVAL;
    // PWR-4.2: SET_LEVEL and SET mean 1, UNSET means 0, any other non-zero value means 1.
    const on = level !== 0 && level !== 0xfffffffe;
    const pq = ics.pq;
    if ((flags & SrcFlag.Lsi) === 0) {
      if (!on) return 0; // PWR-4.3: level 0 is a no-op for an MSI
      const next = ((pq[src]! << 1) & 3) | Pq.Presented;
      pq[src] = next;
      if (next === Pq.Presented) this.offer(ics, src, null, false);
      return 0;
    }
    if (!on) {
      pq[src] = 0; // PWR-4.4: nothing already presented or pending is withdrawn
      return 0;
    }
    if ((pq[src]! & Pq.Presented) !== 0) return 0;
    pq[src] = Pq.Presented;
    this.offer(ics, src, null, false);
    return 0;
  }

  /**
   * PWR-7.9: a passed-through host MSI arrived while the guest runs: an MSI trigger without
   * the `exists` check, delivered with the interrupted vCPU's ICP as the hint.
   * @returns false when no ICS holds `irq` (the host then handles the interrupt itself).
   */
  passthroughTrigger(irq: number, hint: Icp | null): boolean {
    const ics = this.findIcs(irq);
    if (ics === undefined) return false;
    const src = irq & (XicsNum.IrqPerIcs - 1);
    const next = ((ics.pq[src]! << 1) & 3) | Pq.Presented;
    ics.pq[src] = next;
    if (next === Pq.Presented) this.offer(ics, src, hint, false);
    return true;
  }

  // ---- delivery (PWR-4.5 … 4.7) --------------------------------------------------------------

  /**
   * `icp_deliver_irq(irq, hint, checkResend)`: offer `irq` to its server; a displaced
   * device interrupt is offered again (reject path, loop instead of recursion); a failed
   * offer sets `resend` and the server's resend map.
   */
  deliver(irq: number, hint: Icp | null, checkResend: boolean): void {
    const ics = this.findIcs(irq);
    if (ics === undefined) {
      this.counters.add(this.c.noIcs); // real mode counts err_noics; no effect otherwise
      return;
    }
    this.offer(ics, irq & (XicsNum.IrqPerIcs - 1), hint, checkResend);
  }

  /** {@link Xics.deliver} of slot `src` of `ics`, for callers that have already looked it up. */
  offer(ics: Ics, src: number, hint: Icp | null, checkResend: boolean): void {
    for (;;) {
      const irq = ics.base | src;
      const server = ics.server[src]!;
      let icp = hint;
      if (icp === null || icp.server !== server) {
        icp = this.findServer(server);
        if (icp === null) {
          // step 2: dropped with no flag changed; never re-offered (PWR-4.10, S39)
          this.counters.add(this.c.noServer);
          this.ctx.warn('noServer', irq);
          return;
        }
      }
      const resend = ics.resend;
      if (checkResend === true && !resend.test(src)) return; // step 3: someone else handled it
      resend.clear(src);
      const prio = ics.priority[src]!;
      if (prio === XicsNum.Masked) {
        // step 5: also for resends, so a rejected interrupt that gets masked is not lost
        ics.flags[src] = ics.flags[src]! | SrcFlag.MaskedPending;
        this.counters.add(this.c.maskedPending);
        return;
      }
      // PWR-4.6: strictly more favoured than CPPR, MFRR and PPRI (ties lose, PWR-4.7)
      if (prio < icp.cppr && prio < icp.mfrr && prio < icp.ppri) {
        const displaced = icp.xisr;
        icp.xisr = irq;
        icp.ppri = prio;
        this.counters.add(this.c.presented);
        this.ctx.presented(icp.vcpu, irq);
        this.committed(icp, false);
        if (displaced === 0 || displaced === XicsNum.XicsIpi) return; // a displaced IPI lives on in MFRR
        this.counters.add(this.c.rejects);
        const next = this.findIcs(displaced);
        if (next === undefined) {
          this.counters.add(this.c.noIcs);
          return;
        }
        ics = next;
        src = displaced & (XicsNum.IrqPerIcs - 1);
        hint = icp;
        checkResend = false;
        continue;
      }
      icp.needResend = true;
      this.counters.add(this.c.failed);
      this.committed(icp, false);
      resend.set(src); // step 8
      icp.resendMap.set(ics.id);
      return;
    }
  }

  /**
   * PWR-4.9: for each ICS id in the resend map, ascending, clear it and re-offer every source
   * of that ICS whose `resend` is set at that moment — including sources of other servers.
   */
  checkResend(icp: Icp): void {
    this.counters.add(this.c.resendScans);
    const map = icp.resendMap;
    for (let id = map.nextSet(0); id >= 0; id = map.nextSet(id + 1)) {
      if (id > this.maxIcsId) break;
      map.clear(id);
      const ics = this.ics[id];
      if (ics === undefined) continue;
      const pending = ics.resend;
      for (let i = pending.nextSet(0); i >= 0; i = pending.nextSet(i + 1)) {
        this.offer(ics, i, icp, true);
      }
    }
  }

  /**
   * PWR-5.3 `downCppr`: one self commit setting CPPR (and making a latent IPI pending), then a
   * resend scan if `needResend` was latched.
   */
  downCppr(icp: Icp, cppr: number): void {
    icp.cppr = cppr;
    if (icp.mfrr < cppr && icp.mfrr <= icp.ppri) {
      // only the guest error of PWR-5.6 leaves a device irq here; KVM WARNs and loses it
      if (icp.xisr !== 0 && icp.xisr !== XicsNum.XicsIpi) this.ctx.warn('ipiOverwrite', icp.xisr);
      icp.ppri = icp.mfrr;
      icp.xisr = XicsNum.XicsIpi;
    }
    const resend = icp.needResend;
    icp.needResend = false;
    this.committed(icp, true);
    if (resend === true) this.checkResend(icp);
  }

  /**
   * PWR-4.11 `writeXive`: store server and priorities; a masked-pending or resend source whose
   * new priority is not 0xFF is delivered now (hint = the new server's ICP).
   */
  writeXive(ics: Ics, src: number, server: number, priority: number, saved: number): void {
    ics.server[src] = server;
    ics.priority[src] = priority;
    ics.savedPriority[src] = saved;
    const flags = ics.flags[src]!;
    if (
      ((flags & SrcFlag.MaskedPending) !== 0 || ics.resend.test(src)) &&
      priority !== XicsNum.Masked
    ) {
      ics.flags[src] = flags & ~SrcFlag.MaskedPending;
      ics.resend.clear(src);
      this.offer(ics, src, this.findServer(server), false);
    }
  }
}

/** The errno a trigger returns when the VM has no XICS device (PWR-4.1). */
export const TRIGGER_NO_DEVICE: number = -Errno.ENODEV;
