import type { IrqBypassProducer } from '../bypass/types.js';
import type { Delivery } from '../delivery.js';
import type { HostIrqLine } from '../host/host-irq-line.js';
import type { Irqfd } from '../irqfd/irqfd.js';
import type { IrqchipRoutingEntry, MsiMessage } from '../routing/entries.js';
import type { RouteTarget } from '../routing/kinds.js';

/**
 * An in-kernel interrupt controller as the routing table sees it: numbered input pins that
 * receive the OR of their sources (CORE-3.1). Called on every `set`, even when the level did
 * not change, so edge controllers can detect rising edges and level controllers re-evaluate.
 */
export interface IrqChip {
  /** Controller id used by `irqchip` routing entries. */
  readonly id: number;
  /** Number of input pins. */
  readonly pins: number;
  /**
   * Drives input `pin` to `level` (the OR of its sources).
   * @param lineStatus - the opaque hint of CORE-2.3 (x86 RTC coalescing report).
   * @returns the Delivery of CORE-0.1.
   */
  setLevel(pin: number, level: boolean, lineStatus: boolean): Delivery;
}

/** Where message-signalled interrupts go (x86: LAPICs; ARM: the ITS). */
export interface MsiSink {
  /**
   * Arch validation of a message, for `msi` routes (CORE-1.6) and `signalMsi` (CORE-8.2).
   * Throws `IrqError('EINVAL')`; must not change state.
   */
  validateMsi?(msg: MsiMessage): void;
  /**
   * Delivers a message (level 1); returns the Delivery. May throw `IrqError` for a message it
   * cannot deliver (ARM: ENODEV without an ITS, EBUSY with LPIs disabled): `signalMsi`
   * propagates it, while a routing entry counts it as a delivery error and returns −1.
   */
  deliverMsi(msg: MsiMessage): Delivery;
  /**
   * Delivers from the signalling context if that is possible now (CORE-5.8), else returns
   * `WOULD_BLOCK`. Absent: MSIs always defer.
   */
  deliverMsiInatomic?(msg: MsiMessage): Delivery;
}

/** Arch hooks behind the irqfd's IRQ-bypass consumer role (CORE-7.9). */
export interface BypassHooks {
  /**
   * A producer was paired with `irqfd`: set up bypass delivery for its cached route.
   * `irqfd.producer` is already set. Return 0 or a negative errno.
   */
  addProducer(irqfd: Irqfd, producer: IrqBypassProducer): number;
  /** The pairing ends: revert to the normal path. */
  delProducer(irqfd: Irqfd, producer: IrqBypassProducer): void;
  /** The cached route of a paired irqfd changed (CORE-5.15). */
  updateRouting?(irqfd: Irqfd, previous: RouteTarget | null, next: RouteTarget | null): void;
  /** Quiesce around a (dis)connect (ARM halts the guest). */
  stop?(irqfd: Irqfd): void;
  /** Resume after a (dis)connect. */
  start?(irqfd: Irqfd): void;
}

/** Arch hook for forwarding a physical line to the guest (spec/host.md §4, seeds 001 and 004). */
export interface ForwardingHooks {
  /**
   * Makes the guest interrupt behind `gsi` a hardware-mapped image of `line`: the guest's
   * deactivation will deactivate `line`. Throws `IrqError` if the mapping is impossible.
   */
  forward(line: HostIrqLine, gsi: number): void;
  /** Undoes {@link ForwardingHooks.forward}. */
  unforward(line: HostIrqLine, gsi: number): void;
  /**
   * Who forwards when a host line's producer pairs with an irqfd (HOST-4.4): `'forward'`
   * (default) — the VFIO producer forwards at once; `'arch'` — the producer leaves it to the
   * arch's {@link BypassHooks.addProducer}, which may decline or retry later (ARM-6.4).
   */
  readonly pairing?: 'forward' | 'arch';
}

/**
 * What an architecture plugs into the core {@link Vm}. Every member is optional except
 * `name`: an absent hook means "KVM's generic behaviour".
 */
export interface IrqArch {
  /** Architecture name, e.g. `'x86'`. */
  readonly name: string;
  /** Throws if `irqLine` is unavailable (x86 without an irqchip: ENXIO, CORE-8.1). */
  checkIrqLine?(): void;
  /**
   * Maps a numeric `KVM_IRQ_LINE` level (a u32) to a line level. Absent: any non-zero value
   * asserts. POWER XICS needs it because `KVM_INTERRUPT_UNSET` (0xFFFFFFFE) de-asserts there
   * (spec/power.md PWR-4.2).
   */
  irqLineLevel?(level: number): boolean;
  /** Throws if a routing table cannot be set now (CORE-1.3: EINVAL). */
  checkSetRouting?(): void;
  /** Throws if an irqfd cannot be assigned now (CORE-5.2: x86 EINVAL, ARM EAGAIN). */
  checkIrqfd?(resample: boolean): void;
  /**
   * Validates an `irqchip` entry (CORE-1.6). Default: the controller is registered and the
   * pin is below its pin count.
   */
  validateIrqchipEntry?(entry: IrqchipRoutingEntry): void;
  /** Message delivery; absent means `msi` entries and `signalMsi` are refused with EINVAL. */
  readonly msi?: MsiSink;
  /** Called after the ack-notifier list changed (CORE-4.1; x86 rescans EOI interception). */
  postAckNotifierListUpdate?(): void;
  /** Called after a routing table was published (CORE-1.3 step 3). */
  afterRoutingUpdate?(): void;
  /** IRQ bypass consumer hooks; absent means irqfds do not register as consumers. */
  readonly bypass?: BypassHooks;
  /** Physical-IRQ forwarding; absent means forwarding is refused (ENXIO). */
  readonly forwarding?: ForwardingHooks;
}
