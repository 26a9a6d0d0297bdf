import { type Delivery, IGNORED, WOULD_BLOCK } from '../delivery.js';
import { IrqError } from '../errors.js';
import type { IrqChip, MsiSink } from '../machine/arch.js';
import type { IrqchipRoutingEntry, MsiRoutingEntry } from './entries.js';
import type { RouteKind, RouteTarget } from './kinds.js';
import { PinLines } from './pin-lines.js';

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

/** An `irqchip` entry compiled: OR the source into the pin's bitmap, drive the controller. */
class IrqchipTarget implements RouteTarget {
  // The pin's source bitmap, resolved once at compile time (no per-injection lookup).
  private readonly bits: Uint32Array | undefined;
  private readonly pin: number;

  constructor(
    readonly entry: IrqchipRoutingEntry,
    private readonly chip: IrqChip | undefined,
    private readonly ctx: CoreKindContext,
  ) {
    this.bits = ctx.lines.bitsOf(entry.chip);
    this.pin = entry.pin;
  }

  set(source: number, level: boolean, lineStatus: boolean): Delivery {
    const chip = this.chip;
    const bits = this.bits;
    const pin = this.pin;
    if (chip === undefined || bits === undefined || pin >= chip.pins) {
      this.ctx.deliveryError();
      return IGNORED;
    }
    return chip.setLevel(pin, PinLines.setIn(bits, pin, source, level), lineStatus);
  }

  setInatomic(): Delivery {
    return WOULD_BLOCK; // CORE-5.8: controller pins always take the deferred path
  }
}

/** An `msi` entry compiled: deliver the message on level 1, ignore level 0 (CORE-2.5). */
class MsiTarget implements RouteTarget {
  constructor(
    readonly entry: MsiRoutingEntry,
    private readonly sink: MsiSink,
  ) {}

  set(_source: number, level: boolean): Delivery {
    return level ? this.sink.deliverMsi(this.entry) : IGNORED;
  }

  setInatomic(_source: number, level: boolean): Delivery {
    if (!level) return IGNORED;
    const sink = this.sink;
    return sink.deliverMsiInatomic === undefined
      ? WOULD_BLOCK
      : sink.deliverMsiInatomic(this.entry);
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
      return new MsiTarget(e, ctx.msi);
    },
  };
}

/** Throws EINVAL unless `v` is an integer in 0..2^32−1. */
export function checkU32(what: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new IrqError('EINVAL', `${what} ${String(v)} is not a u32`);
  }
}
