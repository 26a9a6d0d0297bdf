import { type GuestPort, IrqError, type LineConfig, type MsiConfig } from '@irqkit/core';
import {
  FIRST_IRQ,
  KVM_XICS_LEVEL_SENSITIVE,
  KVM_XICS_MASKED,
  Pq,
  RTAS_SUCCESS,
  type RtasName,
  XicsNum,
} from '../xics/constants.js';
import { SrcFlag } from '../xics/ics.js';
import type { Xics } from '../xics/xics.js';
import type { GuestCalls } from './guest-calls.js';
import type { PowerKernel } from './kernel.js';
import type { PowerMachine } from './types.js';

/** Stale presentations one `take` skips at most. */
const enum Take {
  MAX_SPURIOUS = 8,
}
/** Depth of each vCPU's stack of taken interrupts. */
const enum Stack {
  NEST = 32,
}

/** GuestPort priority 0..11 (larger = more urgent) → XICS priority (smaller = more favoured). */
export function xicsPriority(priority: number): number {
  return 11 - priority;
}

/**
 * The arch-neutral guest verbs on XICS, done the way a Linux guest's `ics-rtas` / `icp-hv`
 * drivers do them: `configure` = the VMM claims the number (a source word in QEMU's reset
 * form, LSI or MSI) + `ibm,set-xive`; `mask` = `ibm,int-off`; `unmask` = `ibm,set-xive` with
 * the configured server and priority; `take` = H_XIRR when the vCPU's external-interrupt line
 * is up; `eoi` = H_EOI with the CPPR the matching `take` replaced. The token is the XISR value
 * (the global number, or 2 for an IPI).
 *
 * Like a guest whose driver finds its device idle, `take` EOIs and skips an LSI presented while
 * its input is no longer asserted — the stale presentation H_EOI leaves behind when a
 * resampling irqfd de-asserts the line only after the re-presentation (PWR-7.6, S48). Each one
 * is counted in `guest.spurious`; the raw hcalls ({@link PowerMachine.hXirr}) still show it.
 */
export class XicsGuestPort implements GuestPort {
  private readonly configs = new Map<number, { server: number; priority: number }>();
  /** Per vCPU: taken tokens (innermost last) and the CPPR each replaced. */
  private readonly tokens: Int32Array;
  private readonly cpprs: Uint8Array;
  private readonly depth: Uint8Array;
  private readonly cSpurious: number;

  /**
   * @param k - the kernel.
   * @param calls - the guest-call front end.
   */
  constructor(
    private readonly k: PowerKernel,
    private readonly calls: GuestCalls,
  ) {
    this.tokens = new Int32Array(k.vcpus * Stack.NEST);
    this.cpprs = new Uint8Array(k.vcpus * Stack.NEST);
    this.depth = new Uint8Array(k.vcpus);
    this.cSpurious = k.vm.counters.id('guest.spurious');
  }

  configure(gsi: number, config: LineConfig): void {
    const { server, priority } = this.check(gsi, config.target, config.priority);
    if (config.trigger !== 'edge' && config.trigger !== 'level') {
      throw new IrqError('EINVAL', `trigger ${String(config.trigger)} is not 'edge' or 'level'`);
    }
    // left masked or unmasked as it was (a number never claimed starts masked)
    const ics = this.k.xics!.findIcs(gsi);
    const src = gsi & 0x3ff;
    const masked =
      ics === undefined ||
      (ics.flags[src]! & SrcFlag.Exists) === 0 ||
      ics.priority[src] === XicsNum.Masked;
    this.claim(gsi, config.trigger === 'level');
    this.configs.set(gsi, { server, priority });
    this.call('ibm,set-xive', [gsi, server, masked ? XicsNum.Masked : priority], 1);
  }

  configureMsi(gsi: number, config: MsiConfig): void {
    const { server, priority } = this.check(gsi, config.target, config.priority);
    this.claim(gsi, false);
    this.configs.set(gsi, { server, priority });
    this.call('ibm,set-xive', [gsi, server, priority], 1);
  }

  mask(gsi: number): void {
    this.checkGsi(gsi);
    this.call('ibm,int-off', [gsi], 1);
  }

  unmask(gsi: number): void {
    this.checkGsi(gsi);
    const cfg = this.configs.get(gsi);
    if (cfg === undefined) this.call('ibm,int-on', [gsi], 1);
    else this.call('ibm,set-xive', [gsi, cfg.server, cfg.priority], 1);
  }

  take(vcpu: number): number | null {
    const k = this.k;
    k.checkVcpu(vcpu);
    if (k.ctx.ee[vcpu] !== 1) return null; // no external interrupt: the guest never asks
    const token = this.calls.accept(vcpu);
    if (token <= 0) return null; // userspace, or spurious (XISR was empty)
    const x = k.xics!;
    const cppr = x.xirrCppr;
    if (stale(x, token)) return this.skipStale(vcpu, token, cppr);
    this.push(vcpu, token, cppr);
    return token;
  }

  eoi(vcpu: number, token: number): void {
    this.k.checkVcpu(vcpu);
    // `>>> 0` keeps only integers 0..2^32−1 (and any non-number) from comparing equal
    if (token >>> 0 !== token || token > 0xffffff) badToken(token);
    this.calls.eoiParts(vcpu, this.pop(vcpu, token), token);
  }

  /** Forgets taken tokens and configurations (after a restore or a device release). */
  reset(): void {
    this.configs.clear();
    this.depth.fill(0);
  }

  // An LSI whose input is no longer asserted: the presentation H_EOI made before its ack
  // de-asserted the line (PWR-7.6). The guest's handler finds its device idle and EOIs it, then
  // asks again; `take` gives up after MAX_SPURIOUS presentations in all.
  private skipStale(vcpu: number, token: number, cppr: number): number | null {
    const k = this.k;
    for (let i = 1; ; i++) {
      k.vm.counters.add(this.cSpurious);
      this.calls.eoiParts(vcpu, cppr, token);
      if (i === Take.MAX_SPURIOUS || k.ctx.ee[vcpu] !== 1) return null;
      token = this.calls.accept(vcpu);
      if (token <= 0) return null;
      const x = k.xics!;
      cppr = x.xirrCppr;
      if (!stale(x, token)) {
        this.push(vcpu, token, cppr);
        return token;
      }
    }
  }

  // Linux keeps a small CPPR stack per CPU; a deeper nest drops its oldest entry.
  private push(vcpu: number, token: number, cppr: number): void {
    let d = this.depth[vcpu]!;
    if (d === Stack.NEST) d = this.dropOldest(vcpu);
    const i = vcpu * Stack.NEST + d;
    this.tokens[i] = token;
    this.cpprs[i] = cppr;
    this.depth[vcpu] = d + 1;
  }

  private dropOldest(vcpu: number): number {
    const base = vcpu * Stack.NEST;
    for (let i = base; i < base + Stack.NEST - 1; i++) {
      this.tokens[i] = this.tokens[i + 1]!;
      this.cpprs[i] = this.cpprs[i + 1]!;
    }
    return Stack.NEST - 1;
  }

  // The CPPR the take of `token` replaced (innermost match), removed from the stack; 0xFF (the
  // stack bottom) when the guest EOIs something it never took.
  private pop(vcpu: number, token: number): number {
    const d = this.depth[vcpu]!;
    const top = vcpu * Stack.NEST + d - 1;
    if (d > 0 && this.tokens[top] === token) {
      this.depth[vcpu] = d - 1; // the usual case: the innermost interrupt is EOIed
      return this.cpprs[top]!;
    }
    return this.popNested(vcpu, token);
  }

  private popNested(vcpu: number, token: number): number {
    const base = vcpu * Stack.NEST;
    const d = this.depth[vcpu]!;
    for (let i = d - 2; i >= 0; i--) {
      if (this.tokens[base + i] === token) {
        const cppr = this.cpprs[base + i]!;
        for (let j = base + i; j < base + d - 1; j++) {
          this.tokens[j] = this.tokens[j + 1]!;
          this.cpprs[j] = this.cpprs[j + 1]!;
        }
        this.depth[vcpu] = d - 1;
        return cppr;
      }
    }
    return XicsNum.Masked;
  }

  private check(
    gsi: number,
    target: number,
    priority: number,
  ): { server: number; priority: number } {
    this.checkGsi(gsi);
    this.k.checkVcpu(target);
    if (!Number.isInteger(priority) || priority < 0 || priority > 11) {
      throw new IrqError('EINVAL', `priority ${String(priority)} is out of range 0..11`);
    }
    const icp = this.k.icp(target);
    if (icp === null) throw new IrqError('ENXIO', `vCPU ${target} has no ICP`);
    return { server: icp.server, priority: xicsPriority(priority) };
  }

  private checkGsi(gsi: number): void {
    if (this.k.xics === null) throw new IrqError('ENODEV', 'the VM has no XICS device');
    if (!Number.isInteger(gsi) || gsi < FIRST_IRQ || gsi >= XicsNum.NrIrqs) {
      throw new IrqError(
        'EINVAL',
        `gsi ${String(gsi)} is out of range ${FIRST_IRQ}..${XicsNum.NrIrqs - 1}`,
      );
    }
  }

  // The VMM's claim (QEMU `spapr_irq_claim` + reset): a masked source word of the right kind.
  private claim(gsi: number, lsi: boolean): void {
    const x = this.k.xics!;
    const ics = x.findIcs(gsi);
    const flags = ics === undefined ? 0 : ics.flags[gsi & 0x3ff]!;
    if ((flags & SrcFlag.Exists) !== 0 && ((flags & SrcFlag.Lsi) !== 0) === lsi) return;
    const word =
      (BigInt(XicsNum.Masked) << 32n) | KVM_XICS_MASKED | (lsi ? KVM_XICS_LEVEL_SENSITIVE : 0n);
    this.k.setSource(gsi, word);
  }

  private call(name: RtasName, args: number[], nret: number): void {
    const token = this.k.tokens.tokenFor(name);
    if (token === undefined || token > 0xffffffffn) {
      throw new IrqError('ENXIO', `no in-kernel RTAS token for '${name}'`);
    }
    const caller = this.rtasCaller();
    const rets = this.calls.rtas(caller, { token: Number(token), nargs: args.length, nret, args });
    if (rets === null || rets[0] !== RTAS_SUCCESS) {
      throw new IrqError('EINVAL', `${name}(${args.join(', ')}) failed: ${String(rets?.[0])}`);
    }
  }

  // RTAS calls run on some vCPU; use the first connected one.
  private rtasCaller(): number {
    for (let v = 0; v < this.k.vcpus; v++) if (this.k.icp(v) !== null) return v;
    return 0;
  }
}

// A presented LSI whose P (its input level) is clear.
function stale(x: Xics, token: number): boolean {
  const ics = x.findIcs(token);
  if (ics === undefined) return false;
  const src = token & 0x3ff;
  return (ics.flags[src]! & SrcFlag.Lsi) !== 0 && (ics.pq[src]! & Pq.Presented) === 0;
}

// Out of line: eoi runs on every guest EOI, and V8 inlines by bytecode size.
function badToken(token: number): never {
  throw new IrqError('EINVAL', `token ${String(token)} is not an XISR value`);
}
