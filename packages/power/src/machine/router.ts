import type {
  Delivery,
  GsiRouter,
  IrqchipRoutingEntry,
  RouteTarget,
  RoutingEntryBase,
} from '@irqkit/core';

/** What the identity map injects into: `kvm_set_irq` on XICS (PWR-7.1). */
export interface XicsTriggerSink {
  /** `trigger(irq, level)` with a u32 level (PWR-4.1, 4.2): 0, −EINVAL or −ENODEV. */
  trigger(irq: number, level: number): number;
}

/**
 * The identity gsi "route" of one global number: `{irqchip 0, pin gsi}` whose action is the
 * XICS trigger itself — no source-id OR-ing (userspace and irqfds share one input per number,
 * PWR-7.1) and no deferral (powerpc's atomic hook never defers, PWR-7.5).
 */
class XicsTarget implements RouteTarget {
  readonly entry: IrqchipRoutingEntry;

  constructor(
    readonly gsi: number,
    private readonly router: XicsRouter,
  ) {
    this.entry = Object.freeze({ gsi, kind: 'irqchip', chip: 0, pin: gsi });
  }

  set(_source: number, level: boolean): Delivery {
    return this.router.sink.trigger(this.gsi, level ? 1 : 0);
  }

  setInatomic(_source: number, level: boolean): Delivery {
    return this.router.sink.trigger(this.gsi, level ? 1 : 0);
  }
}

/**
 * XICS's answer to the routing table (PWR-7.2): `kvm_irq_map_gsi(gsi)` is one identity entry
 * per number and `kvm_irq_map_chip_pin(0, pin) = pin`. There is nothing to configure, so the
 * VM refuses `setGsiRouting` (ENOTTY). Targets are built on first use and cached, so the
 * injection path never allocates.
 */
export class XicsRouter implements GsiRouter {
  private readonly cache = new Map<number, readonly RouteTarget[]>();
  // The last number looked up and its targets: a map lookup per injection is most of what
  // `kvm_set_irq` costs here, and consecutive injections mostly name the same number.
  private lastGsi = 0;
  private lastTargets: readonly RouteTarget[] | null = null;

  /**
   * @param sink - the machine's trigger; the machine replaces it with its kernel once that
   * exists (the kernel needs the VM, and the VM needs the router), so an injection calls the
   * kernel directly.
   */
  constructor(public sink: XicsTriggerSink) {}

  targets(gsi: number): readonly RouteTarget[] {
    if (gsi === this.lastGsi && this.lastTargets !== null) return this.lastTargets;
    let t = this.cache.get(gsi);
    if (t === undefined) {
      // Not frozen: element loads from a frozen array are not inlined by V8 (see core's table).
      t = [new XicsTarget(gsi, this)];
      this.cache.set(gsi, t);
    }
    this.lastGsi = gsi;
    this.lastTargets = t;
    return t;
  }

  gsiFor(chip: number, pin: number): number {
    return chip === 0 ? pin : -1;
  }

  entriesFor(gsi: number): RoutingEntryBase[] {
    return [{ ...this.targets(gsi)[0]!.entry }];
  }

  /** The identity map is implicit: it lists no entries. */
  entries(): RoutingEntryBase[] {
    return [];
  }
}
