/**
 * A minimal in-test guest for the host-model tests (spec/host.md): one interrupt controller
 * whose pins are GSIs 0..31 one to one, and an arch with forwarding and bypass hooks that record
 * every call. The test drives the guest's side by hand: `chip.eoi(pin)` stands for the guest's
 * EOI (a plain pin notifies the ack notifiers — the resampler — while a forwarded, HW-mapped pin
 * deactivates its physical line instead, as ARM's HW bit does). The conformance kit runs the
 * same scenarios against real guests.
 */
import {
  COALESCED,
  type Delivery,
  Host,
  type HostIrqLine,
  IGNORED,
  type IrqArch,
  type IrqBypassProducer,
  type IrqChip,
  type Irqfd,
  Vm,
} from '../src/index.js';

/** Pins of the test chip; GSI g is routed to pin g. */
export const GUEST_PINS = 32;

/** A level-triggered guest interrupt controller with in-service tracking and HW-mapped pins. */
export class MiniGuestChip implements IrqChip {
  readonly id = 0;
  readonly pins = GUEST_PINS;
  /** Pins forwarded to a physical line (set by the arch's forwarding hook). */
  readonly hw = new Map<number, HostIrqLine>();
  /** Deliveries per pin. */
  readonly deliveries = new Uint32Array(GUEST_PINS);
  private readonly inService = new Set<number>();
  private readonly level = new Uint8Array(GUEST_PINS);
  private vmRef: Vm | null = null;

  /** Attaches the VM whose ack notifiers an EOI calls. */
  attach(vm: Vm): void {
    this.vmRef = vm;
  }

  setLevel(pin: number, level: boolean): Delivery {
    this.level[pin] = level ? 1 : 0;
    // A HW-mapped pin sees only rising edges (every assert is one); a plain pin is a level.
    return level ? this.deliver(pin) : IGNORED;
  }

  /** True while the guest has `pin` in service (delivered, not yet EOI'd). */
  inServiceNow(pin: number): boolean {
    return this.inService.has(pin);
  }

  /** The guest EOIs `pin` (stands for the guest's action). */
  eoi(pin: number): void {
    if (!this.inService.delete(pin)) return;
    const line = this.hw.get(pin);
    if (line !== undefined) {
      line.deactivate();
      return;
    }
    this.vmRef?.notifyAcked(this.id, pin);
    if (this.level[pin] === 1) this.deliver(pin); // level re-trigger after EOI
  }

  private deliver(pin: number): Delivery {
    if (this.inService.has(pin)) return COALESCED;
    this.inService.add(pin);
    this.deliveries[pin] = this.deliveries[pin]! + 1;
    return 1;
  }
}

/** One recorded arch hook call. */
export type ArchCall =
  | { op: 'forward' | 'unforward'; irq: number; gsi: number }
  | { op: 'addProducer' | 'delProducer'; irq: number; gsi: number };

/** Options of {@link createGuest}. */
export interface GuestOptions {
  /** The host (default: a new one with the immediate scheduler). */
  readonly host?: Host;
  /** Supply forwarding hooks (default true). */
  readonly forwarding?: boolean;
  /** Supply bypass hooks (default true). */
  readonly bypass?: boolean;
  /** The bypass hook posts host MSIs straight to the guest (x86-style IRTE). */
  readonly post?: boolean;
}

/** What {@link createGuest} returns. */
export interface Guest {
  readonly host: Host;
  readonly vm: Vm;
  readonly chip: MiniGuestChip;
  /** Every arch hook call, in order. */
  readonly calls: ArchCall[];
  /** Posted deliveries by GSI (with `post`): what reached the guest without the irqfd. */
  readonly posted: Map<number, number>;
}

/** Builds a VM with the minimal arch and chip; GSIs 0..31 route to pins 0..31. */
export function createGuest(options: GuestOptions = {}): Guest {
  const host = options.host ?? new Host();
  const chip = new MiniGuestChip();
  const calls: ArchCall[] = [];
  const posted = new Map<number, number>();
  const forwarding = {
    forward(line: HostIrqLine, gsi: number): void {
      calls.push({ op: 'forward', irq: line.irq, gsi });
      chip.hw.set(gsi, line);
    },
    unforward(line: HostIrqLine, gsi: number): void {
      calls.push({ op: 'unforward', irq: line.irq, gsi });
      chip.hw.delete(gsi);
    },
  };
  const bypass = {
    addProducer(irqfd: Irqfd, producer: IrqBypassProducer): number {
      calls.push({ op: 'addProducer', irq: producer.irq, gsi: irqfd.gsi });
      if (options.post === true) {
        const gsi = irqfd.gsi;
        host.irqs.setVcpuAffinity(producer.irq, {
          post: () => posted.set(gsi, (posted.get(gsi) ?? 0) + 1),
        });
      }
      return 0;
    },
    delProducer(irqfd: Irqfd, producer: IrqBypassProducer): void {
      calls.push({ op: 'delProducer', irq: producer.irq, gsi: irqfd.gsi });
      if (options.post === true) host.irqs.setVcpuAffinity(producer.irq, null);
    },
  };
  const arch: IrqArch = {
    name: 'mini',
    ...(options.forwarding === false ? {} : { forwarding }),
    ...(options.bypass === false ? {} : { bypass }),
  };
  const vm = new Vm({ host, arch });
  chip.attach(vm);
  vm.addChip(chip);
  vm.setGsiRouting(
    Array.from({ length: GUEST_PINS }, (_, g) => ({ gsi: g, kind: 'irqchip', chip: 0, pin: g })),
  );
  return { host, vm, chip, calls, posted };
}
