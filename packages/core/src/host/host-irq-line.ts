import { IrqError } from '../errors.js';
import type { Counters } from '../obs/counters.js';
import type { Trace } from '../obs/trace.js';

/** A host interrupt handler: returns true if its device raised the interrupt (IRQ_HANDLED). */
export type HostIrqHandler = (line: HostIrqLine) => boolean;

/** A handler registered on a line (`request_irq`). */
export interface HostIrqAction {
  /** Name, for traces. */
  readonly name: string;
  /** Shared (IRQF_SHARED) or exclusive. */
  readonly shared: boolean;
  /** The handler. */
  readonly handler: HostIrqHandler;
}

/** `note_interrupt` window and threshold (Linux `kernel/irq/spurious.c`, HOST-1.4). */
export const SPURIOUS_WINDOW = 100_000;
/** More than this many unhandled interrupts in a window disable the line. */
export const SPURIOUS_THRESHOLD = 99_900;

/**
 * A level-sensitive physical interrupt line (spec/host.md §1): the OR of the attached devices'
 * outputs, an enable depth (`disable_irq` nests), an active state between the host's
 * acknowledge and its EOI, and optional forwarding, where the line stays active until the
 * guest deactivates the virtual interrupt (HOST-1.3, HOST-4.2).
 */
export class HostIrqLine {
  // The devices that ever drove the line, and whether each drives it high now. A line has one
  // device or a few sharing it, so a scan beats a Map's hash lookup on every output change.
  private readonly devices: object[] = [];
  private driven: Uint8Array = new Uint8Array(4);
  // Outputs currently high, so the level needs no walk (and no iterator) per evaluation.
  private high = 0;
  private readonly cHostIrqs: number;
  private actions: readonly HostIrqAction[] = [];
  private depthValue = 0;
  private activeValue = false;
  private forwardedValue = false;
  private spurious = false;
  private windowCount = 0;
  private windowUnhandled = 0;
  private evaluating = false;
  /** Interrupts the host took on this line. */
  taken = 0;
  /** Of those, how many no handler claimed. */
  unhandled = 0;
  /**
   * Times a device raised its output while the line was held active by a forwarded
   * interrupt and could not interrupt (how a direct-EOI handler on a shared line starves its
   * neighbours, HOST-S8).
   */
  blockedWhileActive = 0;
  /**
   * The driver object that requested the line for a guest (a VFIO model), or null. Lets an
   * arch find the VFIO IRQ behind a host IRQ number (`arm.forward({ hostIrq, gsi })`).
   */
  owner: object | null = null;

  /**
   * @param irq - host IRQ number.
   * @param counters - host counters (`hostIrqs`, `spuriousDisabled`, `blockedWhileActive`).
   * @param trace - host trace.
   */
  constructor(
    readonly irq: number,
    private readonly counters: Counters,
    private readonly trace: Trace,
  ) {
    this.cHostIrqs = counters.id('hostIrqs');
  }

  /** The line level: OR of the attached devices' outputs. */
  get level(): boolean {
    return this.high > 0;
  }

  /** Enable depth; the line is enabled at 0. */
  get depth(): number {
    return this.depthValue;
  }

  /** True while the host interrupt is active (acknowledged, not yet deactivated). */
  get active(): boolean {
    return this.activeValue;
  }

  /** True while the line is forwarded to a guest. */
  get forwarded(): boolean {
    return this.forwardedValue;
  }

  /** True once the line was disabled as spurious (HOST-1.4). */
  get spuriousDisabled(): boolean {
    return this.spurious;
  }

  /** Registered handlers. */
  get handlers(): readonly HostIrqAction[] {
    return this.actions;
  }

  /**
   * `request_irq` (HOST-1.2). As Linux `__setup_irq`: the first handler starts the line
   * enabled (depth 0); a shared handler added to a line disabled as spurious re-enables it
   * (HOST-1.4); either restarts the spurious-detection window.
   * @throws IrqError EBUSY for an exclusive request on a line with a handler, or any request
   * on a line with an exclusive handler.
   */
  request(name: string, handler: HostIrqHandler, options: { shared: boolean }): HostIrqAction {
    if (this.actions.length > 0 && (!options.shared || this.actions.some((a) => !a.shared))) {
      throw new IrqError('EBUSY', `host irq ${this.irq}: '${name}' cannot share the line`);
    }
    const action: HostIrqAction = { name, shared: options.shared, handler };
    const first = this.actions.length === 0;
    this.actions = [...this.actions, action];
    // Linux __setup_irq: a new handler restarts the spurious-detection window.
    this.windowCount = 0;
    this.windowUnhandled = 0;
    if (first) {
      // irq_startup: the first handler starts the line enabled, whatever the last user left.
      this.depthValue = 0;
      this.spurious = false;
    } else if (this.spurious) {
      // A new shared handler gives a spurious-disabled line another chance.
      this.spurious = false;
      this.depthValue--;
    }
    this.evaluate();
    return action;
  }

  /** `free_irq`. */
  free(action: HostIrqAction): void {
    this.actions = this.actions.filter((a) => a !== action);
  }

  /** `disable_irq`: one more level of disable. */
  disable(): void {
    this.depthValue++;
  }

  /**
   * `enable_irq`: one less level; at 0 a pending level interrupts again.
   * @throws IrqError EINVAL when not disabled (unbalanced enable).
   */
  enable(): void {
    if (this.depthValue === 0)
      throw new IrqError('EINVAL', `host irq ${this.irq}: unbalanced enable`);
    this.depthValue--;
    this.evaluate();
  }

  /** Sets `device`'s output on this line. */
  setOutput(device: object, level: boolean): void {
    const devices = this.devices;
    let i = 0;
    while (i < devices.length && devices[i] !== device) i++;
    if (i === devices.length) {
      if (level !== true) return; // a device never seen drives the line low already
      this.attach(device);
    }
    const high = level === true ? 1 : 0;
    if (this.driven[i] === high) return;
    this.driven[i] = high;
    this.high += high === 1 ? 1 : -1;
    if (high === 1 && this.activeValue === true && this.forwardedValue === true) {
      this.blockedWhileActive++;
      this.counters.bump('blockedWhileActive');
      if (this.trace.enabled === true)
        this.trace.emit({ type: 'host', op: 'blocked-while-active', irq: this.irq });
    }
    this.evaluate();
  }

  private attach(device: object): void {
    const n = this.devices.length;
    if (n === this.driven.length) {
      const bigger = new Uint8Array(n * 2);
      bigger.set(this.driven);
      this.driven = bigger;
    }
    this.devices.push(device);
  }

  /**
   * Deactivates the line (the host's EOI, or the guest's deactivation of a forwarded
   * interrupt); a still-asserted line interrupts again.
   */
  deactivate(): void {
    if (this.activeValue !== true) return;
    this.activeValue = false;
    this.evaluate();
  }

  /**
   * Sets the interrupt controller's active state without running the handlers
   * (`irq_set_irqchip_state(IRQCHIP_STATE_ACTIVE)`): the guest's ISPENDR / ISACTIVER on a
   * hardware-mapped interrupt. Clearing it is {@link HostIrqLine.deactivate}.
   */
  setActiveState(active: boolean): void {
    if (active) this.activeValue = true;
    else this.deactivate();
  }

  /** Marks the line forwarded or not (used by the VFIO models' forward control). */
  setForwarded(on: boolean): void {
    this.forwardedValue = on;
  }

  // HOST-1.3: while enabled, inactive and high, the host takes the interrupt.
  private evaluate(): void {
    if (this.evaluating === true) return;
    this.evaluating = true;
    try {
      while (
        this.depthValue === 0 &&
        this.activeValue !== true &&
        this.actions.length > 0 &&
        this.high > 0
      ) {
        this.take();
      }
    } finally {
      this.evaluating = false;
    }
  }

  private take(): void {
    this.activeValue = true;
    this.taken++;
    this.counters.add(this.cHostIrqs);
    let handled = false;
    const actions = this.actions;
    for (let i = 0; i < actions.length; i++) if (actions[i]!.handler(this) === true) handled = true;
    if (handled !== true) this.unhandled++;
    this.noteInterrupt(handled);
    // A forwarded interrupt stays active until the guest deactivates it (HOST-4.2).
    if (this.forwardedValue !== true) this.activeValue = false;
  }

  // HOST-1.4: Linux note_interrupt — more than 99,900 of 100,000 unhandled disables the line.
  private noteInterrupt(handled: boolean): void {
    this.windowCount++;
    if (!handled) this.windowUnhandled++;
    if (this.windowCount < SPURIOUS_WINDOW) return;
    if (this.windowUnhandled > SPURIOUS_THRESHOLD) {
      this.spurious = true;
      this.depthValue++;
      this.counters.bump('spuriousDisabled');
      if (this.trace.enabled === true)
        this.trace.emit({ type: 'host', op: 'spurious-disabled', irq: this.irq });
    }
    this.windowCount = 0;
    this.windowUnhandled = 0;
  }
}
