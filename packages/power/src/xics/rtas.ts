/**
 * RTAS calls KVM handles in the kernel (spec/power.md §6): the token table userspace fills
 * with `KVM_PPC_RTAS_DEFINE_TOKEN`, and the four `ibm,*` handlers. Handlers read their
 * arguments from and write their results into the 16-word argument block (`rets` starts at
 * `args[nargs]`), as `struct rtas_args` does. None of them checks `exists` (PWR-6.7).
 */
import { IrqError } from '@irqkit/core';
import {
  IRQ_PER_ICS,
  MASKED,
  RTAS_NAMES,
  RTAS_PARAMETER_ERROR,
  RTAS_SUCCESS,
  type RtasName,
} from './constants.js';
import type { XicsContext } from './context.js';
import type { Xics } from './xics.js';

/** The bytes of `kvm_rtas_token_args.name` that take part in comparisons. */
const NAME_BYTES = 120;

/** The VM's RTAS token definitions, in definition order (PWR-6.1). */
export class RtasTokens {
  private list: ReadonlyArray<{ readonly name: RtasName; readonly token: bigint }> = [];

  /**
   * `KVM_PPC_RTAS_DEFINE_TOKEN`: a non-zero token binds `name` (a name may have several
   * tokens); token 0 removes the first definition of `name` (unknown names are fine).
   * @throws IrqError EEXIST when the token value is in use; ENOENT for a name KVM does not
   * implement.
   */
  define(name: string, token: bigint): void {
    const key = name.slice(0, NAME_BYTES);
    if (token === 0n) {
      const i = this.list.findIndex((d) => d.name === key);
      if (i >= 0) this.list = this.list.filter((_, j) => j !== i);
      return;
    }
    if (this.list.some((d) => d.token === token)) {
      throw new IrqError('EEXIST', `RTAS token 0x${token.toString(16)} is already defined`);
    }
    const known = RTAS_NAMES.find((n) => n === key);
    if (known === undefined) throw new IrqError('ENOENT', `no in-kernel RTAS function '${name}'`);
    this.list = [...this.list, { name: known, token }];
  }

  /** True when no token is defined (H_RTAS then goes straight to userspace). */
  get isEmpty(): boolean {
    return this.list.length === 0;
  }

  /** The function bound to `token`, if any. */
  lookup(token: number): RtasName | undefined {
    const t = BigInt(token);
    return this.list.find((d) => d.token === t)?.name;
  }

  /** The first token bound to `name`, if any. */
  tokenFor(name: RtasName): bigint | undefined {
    return this.list.find((d) => d.name === name)?.token;
  }

  /** Removes every definition. */
  clear(): void {
    this.list = [];
  }

  /** Every definition, in order (for snapshots). */
  entries(): Array<[RtasName, bigint]> {
    return this.list.map((d) => [d.name, d.token]);
  }
}

/**
 * Runs RTAS function `name` on the argument block `b` (16 u32 words). `x` is null when the VM
 * has no XICS device (the back ends then fail with -ENODEV, status -3).
 */
export function runRtas(
  x: Xics | null,
  name: RtasName,
  b: Uint32Array,
  nargs: number,
  nret: number,
): void {
  b[nargs] = rtasStatus(x, name, b, nargs, nret) >>> 0;
}

function rtasStatus(
  x: Xics | null,
  name: RtasName,
  b: Uint32Array,
  nargs: number,
  nret: number,
): number {
  if (x === null) return RTAS_PARAMETER_ERROR; // no device: the back ends fail with -ENODEV
  switch (name) {
    case 'ibm,set-xive':
      return nargs === 3 && nret === 1 ? setXive(x, b[0]!, b[1]!, b[2]!) : RTAS_PARAMETER_ERROR;
    case 'ibm,get-xive':
      return nargs === 1 && nret === 3 ? getXive(x, b, nargs) : RTAS_PARAMETER_ERROR;
    case 'ibm,int-off':
      return nargs === 1 && nret === 1 ? intOff(x, b[0]!) : RTAS_PARAMETER_ERROR;
    case 'ibm,int-on':
      return nargs === 1 && nret === 1 ? intOn(x, b[0]!) : RTAS_PARAMETER_ERROR;
  }
}

// PWR-6.4: the current priority (0xFF while masked); rets[1..2] untouched without an ICS.
function getXive(x: Xics, b: Uint32Array, nargs: number): number {
  const ics = x.findIcs(b[0]!);
  if (ics === undefined) return RTAS_PARAMETER_ERROR;
  const src = b[0]! & (IRQ_PER_ICS - 1);
  b[nargs + 1] = ics.server[src]!;
  b[nargs + 2] = ics.priority[src]!;
  return RTAS_SUCCESS;
}

// PWR-6.3: the server is checked even when masking; the priority is cut to 8 bits (PWR-14.2).
function setXive(x: Xics, irq: number, server: number, priority: number): number {
  const ics = x.findIcs(irq);
  if (ics === undefined) return RTAS_PARAMETER_ERROR;
  if (x.findServer(server) === null) return RTAS_PARAMETER_ERROR;
  const p = rangeChecked(x.ctx, irq, priority);
  x.writeXive(ics, irq & (IRQ_PER_ICS - 1), server, p, p);
  return RTAS_SUCCESS;
}

// PWR-6.5: keeps `resend` (a later scan turns it into masked-pending, S57); a second int-off
// copies 0xFF into the saved priority (S36).
function intOff(x: Xics, irq: number): number {
  const ics = x.findIcs(irq);
  if (ics === undefined) return RTAS_PARAMETER_ERROR;
  const src = irq & (IRQ_PER_ICS - 1);
  x.writeXive(ics, src, ics.server[src]!, MASKED, ics.priority[src]!);
  return RTAS_SUCCESS;
}

// PWR-6.6: the source's current server must have an ICP; restores the saved priority.
function intOn(x: Xics, irq: number): number {
  const ics = x.findIcs(irq);
  if (ics === undefined) return RTAS_PARAMETER_ERROR;
  const src = irq & (IRQ_PER_ICS - 1);
  const server = ics.server[src]!;
  if (x.findServer(server) === null) return RTAS_PARAMETER_ERROR;
  const saved = ics.savedPriority[src]!;
  x.writeXive(ics, src, server, saved, saved);
  return RTAS_SUCCESS;
}

function rangeChecked(ctx: XicsContext, irq: number, priority: number): number {
  if (priority > 0xff) ctx.warn('range', irq, priority);
  return priority & 0xff;
}
