import {
  Host,
  type IrqchipRoutingEntry,
  type MsiRoutingEntry,
  type RoutingEntryBase,
  TestScheduler,
  type Trigger,
} from '@irqkit/core';
import { composeMsi, createReferenceMachine, type ReferenceMachine } from '../src/index.js';

/**
 * The reference plugin standing in for spec/core.md's "x86 full": 4 vCPUs, controller 0 with
 * 24 pins routed GSI n → pin n (the IOAPIC's role), a test scheduler.
 */
export function refFixture(
  options: { controllers?: 1 | 2; vcpus?: number; irqchip?: boolean } = {},
) {
  const scheduler = new TestScheduler();
  const host = new Host({ scheduler });
  const m: ReferenceMachine = createReferenceMachine({
    vcpus: options.vcpus ?? 4,
    host,
    controllers: options.controllers ?? 1,
    irqchip: options.irqchip ?? true,
  });
  return { m, vm: m.vm, host, scheduler, chip: m.controllers[0]! };
}

/** Programs a pin of controller `chip` as the guest would (unmasked unless told). */
export function program(
  m: ReferenceMachine,
  pin: number,
  cfg: { vector: number; trigger: Trigger; target?: number; masked?: boolean; chip?: number },
): void {
  m.controllers[cfg.chip ?? 0]!.program(pin, {
    vector: cfg.vector,
    trigger: cfg.trigger,
    target: cfg.target ?? 0,
    masked: cfg.masked ?? false,
  });
}

/** A pin entry. */
export function pinRoute(gsi: number, pin: number, chip = 0): IrqchipRoutingEntry {
  return { gsi, kind: 'irqchip', chip, pin };
}

/** An MSI entry to `target` with `vector`. */
export function msiRoute(
  gsi: number,
  target: number,
  vector: number,
  flags?: number,
): MsiRoutingEntry {
  return {
    gsi,
    kind: 'msi',
    ...composeMsi(target, vector),
    ...(flags === undefined ? {} : { flags }),
  };
}

/** The default table: GSI n → controller 0 pin n. */
export function defaultTable(pins = 24): RoutingEntryBase[] {
  return Array.from({ length: pins }, (_, n) => pinRoute(n, n));
}

/** Takes and EOIs on `vcpu` until nothing is deliverable; returns the vectors. */
export function drain(m: ReferenceMachine, vcpu = 0): number[] {
  const out: number[] = [];
  for (let i = 0; i < 64; i++) {
    const t = m.guest.take(vcpu);
    if (t === null) break;
    out.push(t);
    m.guest.eoi(vcpu, t);
  }
  return out;
}

/** Expects `fn` to throw an IrqError with `code`. */
export function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}
