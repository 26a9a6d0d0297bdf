import { type Delivery, Dlv } from '../delivery.js';
import { IrqError } from '../errors.js';
import type { IrqChip, MsiSink } from '../machine/arch.js';
import type { IrqchipRoutingEntry, MsiRoutingEntry } from './entries.js';
import type { RouteKind, RouteTarget } from './kinds.js';
import type { PinLines } from './pin-lines.js';

/** What the core kinds need from their VM. */
export interface CoreKindContext {
  /** The registered controller with id `chip`. */
  chip(chip: number): IrqChip | undefined;
  /** The per-pin source bitmaps. */
  readonly lines: PinLines;
  /** Arch validation of irqchip entries, if the arch overrides the default. */
  readonly validateIrqchip: ((e: IrqchipRoutingEntry) => void) | undefined;
  /** The arch's message sink, if it has one. */
  readonly msi: MsiSink | undefined;
  /** Counts a delivery through a pin that has no interrupt behind it (ARM-4.1). */
  deliveryError(): void;
}

/**
 * An `irqchip` entry compiled: OR the source into the pin's bitmap, drive the controller. The
 * controller and its bitmap words are bound here, once per table, so an injection does no
 * lookups.
 */
class IrqchipTarget implements RouteTarget {
  private readonly bits: Uint32Array | undefined;
  private readonly word: number;

  constructor(
    readonly entry: IrqchipRoutingEntry,
    private readonly chip: IrqChip | undefined,
    private readonly ctx: CoreKindContext,
  ) {
    const ok = chip !== undefined && entry.pin < chip.pins;
    this.bits = ok ? ctx.lines.bitsOf(chip.id) : undefined;
    this.word = entry.pin * 2;
  }

  set(source: number, level: boolean, lineStatus: boolean): Delivery {
    const bits = this.bits;
    if (bits === undefined) {
      this.ctx.deliveryError(); // no controller, or a pin it does not have (ARM-4.1)
      return Dlv.Ignored;
    }
    // CORE-3.1: update this source's bit, then drive the controller with the wired OR.
    const w = this.word + (source >>> 5);
    const mask = 1 << (source & 31);
    bits[w] = level === true ? bits[w]! | mask : bits[w]! & ~mask;
    const line = (bits[this.word]! | bits[this.word + 1]!) !== 0;
    return this.chip!.setLevel(this.entry.pin, line, lineStatus);
  }

  setInatomic(): Delivery {
    return Dlv.WouldBlock; // CORE-5.8: controller pins always take the deferred path
  }
}

/** An `msi` entry compiled: deliver the message on level 1, ignore level 0 (CORE-2.5). */
class MsiTarget implements RouteTarget {
  constructor(
    readonly entry: MsiRoutingEntry,
    private readonly sink: MsiSink,
    private readonly ctx: CoreKindContext,
  ) {}

  // A sink reports a message it cannot deliver by throwing IrqError (what `signalMsi` returns
  // to userspace); through a route that is a counted delivery error instead (ARM-4.7).
  set(_source: number, level: boolean): Delivery {
    if (level !== true) return Dlv.Ignored;
    try {
      return this.sink.deliverMsi(this.entry);
    } catch (e) {
      return this.failed(e);
    }
  }

  setInatomic(_source: number, level: boolean): Delivery {
    if (level !== true) return Dlv.Ignored;
    const sink = this.sink;
    if (sink.deliverMsiInatomic === undefined) return Dlv.WouldBlock;
    try {
      return sink.deliverMsiInatomic(this.entry);
    } catch (e) {
      return this.failed(e);
    }
  }

  private failed(e: unknown): Delivery {
    if (!(e instanceof IrqError)) throw e;
    this.ctx.deliveryError();
    return Dlv.Ignored;
  }
}

/** The `irqchip` kind. */
export function irqchipKind(ctx: CoreKindContext): RouteKind<IrqchipRoutingEntry> {
  return {
    kind: 'irqchip',
    validate(e) {
      checkU32('chip', e.chip);
      checkU32('pin', e.pin);
      if (ctx.validateIrqchip !== undefined) {
        ctx.validateIrqchip(e);
        return;
      }
      const chip = ctx.chip(e.chip);
      if (chip === undefined) throw new IrqError('EINVAL', `no interrupt controller ${e.chip}`);
      if (e.pin >= chip.pins) {
        throw new IrqError(
          'EINVAL',
          `pin ${e.pin} is out of range for controller ${e.chip} (${chip.pins} pins)`,
        );
      }
    },
    compile: (e) => new IrqchipTarget(e, ctx.chip(e.chip), ctx),
  };
}

/** The `msi` kind. */
export function msiKind(ctx: CoreKindContext): RouteKind<MsiRoutingEntry> {
  return {
    kind: 'msi',
    validate(e) {
      checkU32('addressLo', e.addressLo);
      checkU32('addressHi', e.addressHi);
      checkU32('data', e.data);
      if (e.devid !== undefined) checkU32('devid', e.devid);
      if (ctx.msi === undefined) throw new IrqError('EINVAL', 'this VM has no MSI support');
      ctx.msi.validateMsi?.(e);
    },
    compile(e) {
      if (ctx.msi === undefined) throw new IrqError('EINVAL', 'this VM has no MSI support');
      return new MsiTarget(e, ctx.msi, ctx);
    },
  };
}

/** Throws EINVAL unless `v` is an integer in 0..2^32−1. */
export function checkU32(what: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new IrqError('EINVAL', `${what} ${String(v)} is not a u32`);
  }
}
